package faults

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// Item 2: the client verifies the server's certificate against the host
// name the user gave, not the address it resolved to: a certificate that
// names only "localhost" (the usual case: a host name, no IP) is accepted
// for "localhost:port".
func TestTLSCertificateNamingOnlyTheHost(t *testing.T) {
	inst := zktest.Shared(t)
	if inst.Version().Less(proto.Version{Major: 3, Minor: 5, Patch: 5}) {
		t.Skipf("zktest: ZooKeeper %s has no secure client port (needs 3.5.5 or later)", inst.Version())
	}
	if !hasNetty(inst.Installation().Classpath) {
		t.Skipf("zktest: this ZooKeeper installation (%s) has no Netty jars for a secure client port", inst.Installation().Source)
	}
	keytool, err := exec.LookPath("keytool")
	if err != nil {
		t.Fatalf("keytool (from the JDK) is needed: %v", err)
	}
	dir := t.TempDir()
	ks := filepath.Join(dir, "server.p12")
	run := func(args ...string) []byte {
		out, err := exec.Command(keytool, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("keytool %v: %v\n%s", args, err, out)
		}
		return out
	}
	run("-genkeypair", "-keystore", ks, "-storetype", "PKCS12", "-storepass", "secret", "-keypass", "secret",
		"-alias", "zk", "-dname", "CN=localhost", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
		"-ext", "SAN=dns:localhost") // the host name only: no IP address
	pemCert := run("-exportcert", "-rfc", "-keystore", ks, "-storetype", "PKCS12", "-storepass", "secret", "-alias", "zk")
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCert) {
		t.Fatalf("no certificate in keytool's output: %s", pemCert)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	zktest.StartServer(t,
		zktest.WithProperty("serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory"),
		zktest.WithProperty("secureClientPort", strconv.Itoa(port)),
		zktest.WithProperty("ssl.keyStore.location", ks),
		zktest.WithProperty("ssl.keyStore.password", "secret"),
		zktest.WithProperty("ssl.keyStore.type", "PKCS12"),
		zktest.WithProperty("ssl.clientAuth", "none"))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kazoo.Connect(ctx, "localhost:"+strconv.Itoa(port), kazoo.WithTLS(&tls.Config{RootCAs: pool}))
	if err != nil {
		t.Fatalf("Connect to localhost with a certificate for localhost: %v", err)
	}
	defer c.Close()
	if _, _, err := c.Exists(ctx, "/"); err != nil {
		t.Fatal(err)
	}
}

// hasNetty reports whether a class path holds Netty's codec, which a
// secure client port needs.
func hasNetty(classpath []string) bool {
	for _, e := range classpath {
		base := filepath.Base(e)
		if strings.HasPrefix(base, "netty-codec") || strings.HasPrefix(base, "netty-all") {
			return true
		}
	}
	return false
}
