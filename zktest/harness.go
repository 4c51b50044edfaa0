package zktest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"sync"
)

// harnessAuth is how zktest's own connections to a server it started get
// in: TLS to its TLS ports, and a SASL user of its own when it requires
// SASL.
type harnessAuth struct {
	tls                    *tls.Config
	saslUser, saslPassword string
}

// harnessUser is the DIGEST-MD5 user zktest adds to servers that require
// SASL, with a random password.
const harnessUser = "zktestharness"

// harnessAuths maps the addresses of the servers (and proxies to them) that
// need it to their harnessAuth.
var harnessAuths sync.Map // string -> *harnessAuth

// dialServer connects to a server's client port as zktest itself, with TLS
// when addr is a TLS port zktest started; auth says how else to get in.
func dialServer(ctx context.Context, addr string) (nc net.Conn, auth *harnessAuth, err error) {
	var d net.Dialer
	if nc, err = d.DialContext(ctx, "tcp", addr); err != nil {
		return nil, nil, err
	}
	a, ok := harnessAuths.Load(addr)
	if !ok {
		return nc, nil, nil
	}
	auth = a.(*harnessAuth)
	if auth.tls == nil {
		return nc, auth, nil
	}
	tc := tls.Client(nc, auth.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, auth, nil
}

// setUpHarnessSASL gives a server that requires DIGEST-MD5 the harness's
// user (before the JAAS file is written).
func (s *Server) setUpHarnessSASL() {
	if !s.cfg.saslRequired || len(s.cfg.saslUsers) == 0 {
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	s.harnessSASL = [2]string{harnessUser, hex.EncodeToString(b)}
}

// harnessAddrs returns the addresses zktest's own connections need a
// harnessAuth for.
func (s *Server) harnessAddrs() map[string]*harnessAuth {
	m := map[string]*harnessAuth{}
	user, pw := s.harnessSASL[0], s.harnessSASL[1]
	if s.harnessTLS != nil {
		m[s.SecureAddr()] = &harnessAuth{tls: s.harnessTLS, saslUser: user, saslPassword: pw}
	}
	if !s.cfg.tlsOnly && user != "" {
		m[s.Addr()] = &harnessAuth{saslUser: user, saslPassword: pw}
	}
	return m
}

// register makes zktest's own connections to the server use its
// harnessAuth; it is called whenever the ports are (re)assigned.
func (s *Server) register() {
	for addr, a := range s.harnessAddrs() {
		harnessAuths.Store(addr, a)
	}
}

func (s *Server) unregister() {
	for addr := range s.harnessAddrs() {
		harnessAuths.Delete(addr)
	}
}

// proxied makes zktest's connections through a proxy to target use
// target's harnessAuth; the returned function undoes it.
func proxied(target, proxy string) func() {
	a, ok := harnessAuths.Load(target)
	if !ok {
		return func() {}
	}
	harnessAuths.Store(proxy, a)
	return func() { harnessAuths.Delete(proxy) }
}
