package kazoo_test

import (
	"crypto/tls"
	"testing"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// TestTLS connects through the server's secure client port (Netty, a
// certificate from zktest's CA) and checks that the client verifies the
// server's certificate.
func TestTLS(t *testing.T) {
	zktest.RequireTLS(t)
	ca := zktest.NewCA(t)
	srv := zktest.StartServer(t, zktest.WithTLS(ca), zktest.WithTLSClientAuth("none"))
	secure := srv.SecureAddr()
	ctx := testCtx(t)

	c := zktest.Connect(t, secure, kazoo.WithTLS(&tls.Config{RootCAs: ca.Pool()}))
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
}
