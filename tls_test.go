package kazoo_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// TestTLS connects through the server's secure client port (Netty, with a
// keystore made by keytool) and checks that the client verifies the
// server's certificate.
func TestTLS(t *testing.T) {
	if zktest.Shared(t).Version().Less(proto.Version{Major: 3, Minor: 5, Patch: 5}) {
		t.Skipf("zktest: ZooKeeper %s has no secure client port (needs 3.5.5 or later)", zktest.Shared(t).Version())
	}
	if !hasNetty(zktest.Shared(t).Installation().Classpath) {
		t.Skipf("zktest: this ZooKeeper installation (%s) has no Netty jars for a secure client port", zktest.Shared(t).Installation().Source)
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
		"-ext", "SAN=ip:127.0.0.1,dns:localhost")
	pemCert := run("-exportcert", "-rfc", "-keystore", ks, "-storetype", "PKCS12", "-storepass", "secret", "-alias", "zk")
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCert) {
		t.Fatalf("no certificate in keytool's output: %s", pemCert)
	}
	port := freePort(t)
	srv := zktest.StartServer(t,
		zktest.WithProperty("serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory"),
		zktest.WithProperty("secureClientPort", strconv.Itoa(port)),
		zktest.WithProperty("ssl.keyStore.location", ks),
		zktest.WithProperty("ssl.keyStore.password", "secret"),
		zktest.WithProperty("ssl.keyStore.type", "PKCS12"),
		zktest.WithProperty("ssl.clientAuth", "none"))
	secure := "127.0.0.1:" + strconv.Itoa(port)
	ctx := testCtx(t)

	c := zktest.Connect(t, secure, kazoo.WithTLS(&tls.Config{RootCAs: pool}))
	if _, _, err := c.Create(ctx, "/tls", []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	if data, _, err := c.Get(ctx, "/tls"); err != nil || string(data) != "sealed" {
		t.Fatalf("Get over TLS = %q, %v", data, err)
	}
	// The same data through the plain port: it is one server.
	plain := zktest.Connect(t, srv.Addr())
	if data, _, err := plain.Get(ctx, "/tls"); err != nil || string(data) != "sealed" {
		t.Fatalf("Get over the plain port = %q, %v", data, err)
	}
	// A client that does not trust the certificate never connects.
	short, cancel := contextWithTimeout(ctx, 2)
	defer cancel()
	if _, err := kazoo.Connect(short, secure, kazoo.WithTLS(&tls.Config{})); err == nil {
		t.Fatal("connected with an untrusted certificate")
	}
	_ = os.Remove(ks)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// hasNetty reports whether a classpath holds Netty's codec, the jar a
// secure client port needs that installations lack most often (Debian's
// zookeeper.jar reaches the rest through its manifest).
func hasNetty(classpath []string) bool {
	for _, e := range classpath {
		base := filepath.Base(e)
		if strings.HasPrefix(base, "netty-codec") || strings.HasPrefix(base, "netty-all") {
			return true
		}
	}
	return false
}
