package zktest

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kazoo-go/kazoo/proto"
)

// WithTLS gives the server a secure client port (Netty, TLS 1.2 or later)
// next to its plaintext one: a certificate for localhost and 127.0.0.1
// issued by ca, ca as the trust store for client certificates, which it
// requires (see [WithTLSClientAuth]), and the x509 authentication provider,
// which gives each client the identity "x509:" + its certificate's subject.
// [Server.SecureAddr] is the port's address. It needs ZooKeeper 3.6 or later
// (PEM key stores) with Netty on the class path.
func WithTLS(ca *CA) Option { return func(c *config) { c.ca = ca } }

// WithTLSOnly is [WithTLS] without the plaintext port: [Server.Addr] is then
// the secure port. zktest's own connections ([FourLetter],
// [ExpireSession]) use TLS with a certificate for "zktest" from ca.
func WithTLSOnly(ca *CA) Option { return func(c *config) { c.ca, c.tlsOnly = ca, true } }

// WithTLSClientAuth sets whether the secure port asks clients for a
// certificate: "need" (the default: clients without one are refused),
// "want" or "none" (then no client gets an x509 identity).
func WithTLSClientAuth(mode string) Option { return func(c *config) { c.clientAuth = mode } }

// WithTLSServerNames sets the names the server's certificate is issued for
// (its subject alternative names: host names and IP addresses) instead of
// "localhost" and "127.0.0.1", e.g. a host name alone to test that a client
// verifies the name it was given. zktest's own TLS connections then verify
// against the first name.
func WithTLSServerNames(names ...string) Option {
	return func(c *config) { c.tlsNames = names }
}

// SecureAddr returns the address of the secure client port ("" without
// [WithTLS]).
func (s *Server) SecureAddr() string {
	switch {
	case s.cfg.ca == nil:
		return ""
	case s.cfg.tlsOnly:
		return s.Addr()
	}
	return "127.0.0.1:" + strconv.Itoa(s.securePort)
}

// setUpTLS writes the key and trust stores and registers the secure port
// for zktest's own connections.
func (s *Server) setUpTLS() error {
	if err := s.inst.TLSSupport(); err != nil {
		return err
	}
	ca := s.cfg.ca
	names, serverName := []string{"localhost", "127.0.0.1"}, "127.0.0.1"
	if len(s.cfg.tlsNames) > 0 {
		names, serverName = s.cfg.tlsNames, s.cfg.tlsNames[0]
	}
	cert, err := ca.Issue("localhost", names...)
	if err != nil {
		return err
	}
	ks, err := keyStorePEM(cert)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(s.dir, "keystore.pem"), ks, 0o600); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(s.dir, "truststore.pem"), ca.certPEM(), 0o644); err != nil {
		return err
	}
	if !s.cfg.tlsOnly {
		if s.securePort, err = freePort(); err != nil {
			return err
		}
	}
	harness, err := ca.Issue("zktest")
	if err != nil {
		return err
	}
	s.harnessTLS = &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{harness}, ServerName: serverName, MinVersion: tls.VersionTLS12}
	return nil
}

// tlsLines are zoo.cfg's lines for the secure port.
func (s *Server) tlsLines(line func(k, v string)) {
	port := s.securePort
	if s.cfg.tlsOnly {
		port = s.port
	}
	auth := s.cfg.clientAuth
	if auth == "" {
		auth = "need"
	}
	line("serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory")
	line("secureClientPort", strconv.Itoa(port))
	line("secureClientPortAddress", "127.0.0.1")
	line("ssl.keyStore.location", filepath.Join(s.dir, "keystore.pem"))
	line("ssl.keyStore.type", "PEM")
	line("ssl.trustStore.location", filepath.Join(s.dir, "truststore.pem"))
	line("ssl.trustStore.type", "PEM")
	line("ssl.clientAuth", auth)
	line("authProvider.x509", "org.apache.zookeeper.server.auth.X509AuthenticationProvider")
}

// TLSSupport returns why the installation cannot serve [WithTLS], or nil:
// zktest's key stores are PEM files, which need ZooKeeper 3.6 or later, and
// a secure client port needs Netty on the class path.
func (inst *Installation) TLSSupport() error {
	if v := inst.Version; v != (proto.Version{}) && v.Less(proto.Version{Major: 3, Minor: 6}) {
		return fmt.Errorf("zktest: ZooKeeper %s cannot read PEM key stores (3.6+ can)", v)
	}
	for _, e := range inst.Classpath {
		base := filepath.Base(e)
		if strings.HasPrefix(base, "netty-codec") || strings.HasPrefix(base, "netty-all") {
			return nil
		}
	}
	return fmt.Errorf("zktest: this ZooKeeper installation (%s) has no Netty jars for a secure client port", inst.Source)
}

// RequireTLS skips the test, saying why, when the installation the tests
// run cannot serve [WithTLS] (see [Installation.TLSSupport]).
func RequireTLS(t testing.TB) {
	t.Helper()
	inst, err := FindInstallation()
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.TLSSupport(); err != nil {
		t.Skip(err)
	}
}
