package kazoo_test

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// startTLSServer starts a server whose only client port is TLS, with
// certificates from ca, requiring client certificates (x509 identities).
func startTLSServer(t *testing.T, ca *zktest.CA) *zktest.Server {
	t.Helper()
	zktest.RequireTLS(t)
	return zktest.StartServer(t, zktest.WithTLSOnly(ca))
}

// TestX509 connects with client certificates to a TLS-only server, and
// checks the x509 identity in WhoAmI and ACLs, across a reconnect and a new
// session (zktest expires it over TLS too).
func TestX509(t *testing.T) {
	ca := zktest.NewCA(t)
	srv := startTLSServer(t, ca)
	ctx := testCtx(t)
	if out, err := srv.FourLetter(ctx, "ruok"); err != nil || out != "imok" {
		t.Fatalf("ruok over TLS = %q, %v", out, err)
	}
	aliceTLS := ca.ClientConfig(t, "alice")
	aliceID := kazoo.X509ID(aliceTLS.Certificates[0].Leaf)
	if aliceID != "CN=alice,O=kazoo-go zktest" {
		t.Fatalf("X509ID = %q", aliceID)
	}
	proxy := zktest.NewProxy(t, srv.Addr())
	alice := zktest.Connect(t, proxy.Addr(), kazoo.WithTLS(aliceTLS))
	if !hasIdentity(t, alice, srv, "x509", aliceID) {
		t.Fatalf("WhoAmI does not list x509:%s", aliceID)
	}
	if _, _, err := alice.Create(ctx, "/alice", []byte("hers"), kazoo.WithACL(kazoo.X509ACL(kazoo.PermAll, aliceID))); err != nil {
		t.Fatal(err)
	}
	check := func(c *kazoo.Client, allowed bool) { t.Helper(); checkAccess(t, c, "/alice", allowed) }
	check(alice, true)
	check(zktest.Connect(t, srv.Addr(), kazoo.WithTLS(ca.ClientConfig(t, "bob"))), false)

	reconnect(t, alice, proxy)
	check(alice, true)
	newSession(t, alice) // zktest expires it over TLS
	check(alice, true)
}

// TestTLSRefused: an untrusted CA, a certificate for another host, no
// client certificate: Connect fails, saying why, at its deadline.
func TestTLSRefused(t *testing.T) {
	ca := zktest.NewCA(t)
	srv := startTLSServer(t, ca)
	other := zktest.NewCA(t)
	for _, tc := range []struct {
		name string
		cfg  *tls.Config
		why  string
	}{
		{"untrusted CA", other.ClientConfig(t, "alice"), "unknown authority"},
		{"another host", withServerName(ca.ClientConfig(t, "alice"), "zk.example.com"), "not zk.example.com"},
		{"no client certificate", ca.ClientConfig(t, ""), "certificate"},
		{"client certificate from another CA", withRoots(other.ClientConfig(t, "alice"), ca), "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each waits out its deadline
			ctx, cancel := context.WithTimeout(testCtx(t), 3*time.Second)
			defer cancel()
			c, err := kazoo.Connect(ctx, srv.Addr(), kazoo.WithTLS(tc.cfg))
			if err == nil {
				c.Close()
				t.Fatal("connected")
			}
			if !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("Connect = %v, want it to say %q", err, tc.why)
			}
		})
	}
}

func withServerName(cfg *tls.Config, name string) *tls.Config { cfg.ServerName = name; return cfg }
func withRoots(cfg *tls.Config, ca *zktest.CA) *tls.Config    { cfg.RootCAs = ca.Pool(); return cfg }
