package zktest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
)

// TestSecuredCluster starts an ensemble whose members serve clients only
// over TLS and authenticate them with SASL DIGEST-MD5: the harness's own
// four-letter words go over TLS, and a client has both identities.
func TestSecuredCluster(t *testing.T) {
	RequireTLS(t)
	RequireOp(t, Shared(t), proto.OpWhoAmI)
	ca := NewCA(t)
	c := StartCluster(t, 3, WithTLSOnly(ca), WithSASLUser("alice", "alice-secret"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range c.Len() {
		if out, err := c.Member(i).FourLetter(ctx, "srvr"); err != nil || !strings.Contains(out, "Mode:") {
			t.Fatalf("srvr over TLS to member %d: %q, %v", i, out, err)
		}
	}
	client, err := kazoo.Connect(ctx, c.ConnString(), kazoo.WithTLS(ca.ClientConfig(t, "alice")), kazoo.WithSASLDigest("alice", "alice-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	who, err := client.WhoAmI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []kazoo.ClientInfo{{AuthScheme: "sasl", User: "alice"}, {AuthScheme: "x509", User: "CN=alice,O=kazoo-go zktest"}} {
		if !slices.Contains(who, want) {
			t.Errorf("WhoAmI = %v, lacks %v", who, want)
		}
	}
}

// TestKDC creates a realm, and gets a ticket from its KDC with kinit.
func TestKDC(t *testing.T) {
	kdc := StartKDC(t)
	if kdc.Realm() != "KAZOO.TEST" {
		t.Fatalf("realm %q", kdc.Realm())
	}
	if err := kdc.Kinit("alice", t.TempDir()+"/cc", time.Minute, 0); err != nil {
		t.Fatal(err)
	}
	kdc.Stop()
	if err := kdc.Kinit("alice", t.TempDir()+"/cc", time.Minute, 0); err == nil {
		t.Fatal("kinit succeeded with the KDC stopped")
	}
}
