package faults

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// Item 2: the client verifies the server's certificate against the host
// name the user gave, not the address it resolved to: a certificate that
// names only "localhost" (the usual case: a host name, no IP) is accepted
// for "localhost:port".
func TestTLSCertificateNamingOnlyTheHost(t *testing.T) {
	zktest.RequireTLS(t)
	ca := zktest.NewCA(t)
	srv := zktest.StartServer(t, zktest.WithTLSOnly(ca), zktest.WithTLSClientAuth("none"),
		zktest.WithTLSServerNames("localhost")) // the host name only: no IP address
	_, port, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kazoo.Connect(ctx, "localhost:"+port, kazoo.WithTLS(&tls.Config{RootCAs: ca.Pool()}))
	if err != nil {
		t.Fatalf("Connect to localhost with a certificate for localhost: %v", err)
	}
	defer c.Close()
	if _, _, err := c.Exists(ctx, "/"); err != nil {
		t.Fatal(err)
	}
}
