package kazoo_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/internal/sasl"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// hasIdentity reports whether WhoAmI lists scheme:user (servers before 3.7
// lack WhoAmI: then true, and the ACL checks carry the test).
func hasIdentity(t testing.TB, c *kazoo.Client, srv *zktest.Server, scheme, user string) bool {
	t.Helper()
	if srv.Version().Less(proto.Version{Major: 3, Minor: 7}) {
		return true
	}
	who, err := c.WhoAmI(testCtx(t))
	if err != nil {
		t.Fatalf("WhoAmI: %v", err)
	}
	return slices.ContainsFunc(who, func(ci kazoo.ClientInfo) bool { return ci.AuthScheme == scheme && ci.User == user })
}

// TestSASLDigest authenticates with DIGEST-MD5 against a server whose JAAS
// file zktest wrote, and checks the identity in ACLs and WhoAmI, that it is
// replayed on every new connection and in a new session, and that wrong
// credentials end the client at once with a clear error.
func TestSASLDigest(t *testing.T) {
	srv := zktest.StartServer(t, zktest.WithSASLUser("alice", "alice-secret"), zktest.WithSASLUser("bob", "bob-secret"))
	ctx := testCtx(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	alice := zktest.Connect(t, proxy.Addr(), kazoo.WithSASLDigest("alice", "alice-secret"))
	if !hasIdentity(t, alice, srv, "sasl", "alice") {
		t.Fatal("WhoAmI does not list sasl:alice")
	}
	if _, _, err := alice.Create(ctx, "/alice", []byte("hers"), kazoo.WithACL(kazoo.SASLACL(kazoo.PermAll, "alice"))); err != nil {
		t.Fatal(err)
	}
	check := func(c *kazoo.Client, allowed bool) { t.Helper(); checkAccess(t, c, "/alice", allowed) }
	check(alice, true)
	check(zktest.Connect(t, srv.Addr()), false)
	check(zktest.Connect(t, srv.Addr(), kazoo.WithSASLDigest("bob", "bob-secret")), false)

	t.Run("replayed after reconnect", func(t *testing.T) {
		reconnect(t, alice, proxy)
		check(alice, true)
	})
	t.Run("replayed in a new session", func(t *testing.T) {
		newSession(t, alice)
		check(alice, true)
	})
	t.Run("wrong password", func(t *testing.T) {
		start := time.Now()
		short, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, err := kazoo.Connect(short, srv.Addr(), kazoo.WithSASLDigest("alice", "not-her-password"))
		if !errors.Is(err, kazoo.ErrAuthFailed) {
			t.Fatalf("Connect = %v, want ErrAuthFailed", err)
		}
		if short.Err() != nil {
			t.Fatalf("Connect waited for its deadline (%v) instead of failing at once: %v", time.Since(start), err)
		}
		t.Logf("wrong password: %v", err)
	})
	t.Run("temporary failure", func(t *testing.T) {
		mech := &flakyDigest{user: "alice", password: "alice-secret", fails: 2}
		c := zktest.Connect(t, srv.Addr(), kazoo.WithSASL(mech), kazoo.WithReconnectBackoff(time.Millisecond, 10*time.Millisecond))
		if mech.fails != 0 {
			t.Fatalf("connected with %d temporary failures left", mech.fails)
		}
		check(c, true)
	})
	t.Run("no user", func(t *testing.T) {
		_, err := kazoo.Connect(ctx, srv.Addr(), kazoo.WithSASLDigest("", "x"))
		if !errors.Is(err, kazoo.ErrInvalidArgument) {
			t.Fatalf("Connect = %v, want ErrInvalidArgument", err)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		_, err := kazoo.Connect(ctx, srv.Addr(), kazoo.WithSASLDigest("mallory", "x"))
		if !errors.Is(err, kazoo.ErrAuthFailed) {
			t.Fatalf("Connect = %v, want ErrAuthFailed", err)
		}
	})
}

// TestSASLMismatch: a server that requires SASL and a client without it,
// and a client with SASL and a server without it: a clear error, no hang.
func TestSASLMismatch(t *testing.T) {
	ctx := testCtx(t)
	t.Run("server requires it", func(t *testing.T) {
		srv := zktest.StartServer(t, zktest.WithSASLUser("alice", "alice-secret"), zktest.WithSASLRequired())
		if srv.Version().Less(proto.Version{Major: 3, Minor: 6}) {
			t.Skipf("zktest: ZooKeeper %s cannot require SASL (3.6+)", srv.Version())
		}
		c := zktest.Connect(t, srv.Addr()) // the handshake needs no SASL
		_, _, err := c.Get(ctx, "/")
		if !errors.Is(err, kazoo.ErrSessionClosedRequireSASL) {
			t.Fatalf("Get without SASL = %v, want ErrSessionClosedRequireSASL", err)
		}
		waitClosed(t, c)
		if _, _, err := c.Get(ctx, "/"); !errors.Is(err, kazoo.ErrAuthFailed) {
			t.Fatalf("Get after = %v, want ErrAuthFailed", err)
		}
		// With SASL the same server serves.
		ok := zktest.Connect(t, srv.Addr(), kazoo.WithSASLDigest("alice", "alice-secret"))
		if _, _, err := ok.Get(ctx, "/"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("server lacks it", func(t *testing.T) {
		short, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		c, err := kazoo.Connect(short, zktest.Shared(t).Addr(), kazoo.WithSASLDigest("alice", "alice-secret"))
		if err == nil {
			c.Close()
			t.Fatal("connected with SASL to a server without SASL")
		}
		if short.Err() != nil || !errors.Is(err, kazoo.ErrSASL) || !strings.Contains(err.Error(), "no SASL configured") {
			t.Fatalf("Connect = %v, want ErrSASL saying the server has no SASL", err)
		}
	})
}

// waitClosed waits until c's state is Closed.
func waitClosed(t testing.TB, c *kazoo.Client) {
	t.Helper()
	sub := c.SubscribeStates()
	defer sub.Stop()
	waitState(t, sub, kazoo.Closed, 10*time.Second)
}

// checkAccess checks that c may read path, or that the server refuses it
// with NoAuth.
func checkAccess(t testing.TB, c *kazoo.Client, path string, allowed bool) {
	t.Helper()
	_, _, err := c.Get(testCtx(t), path)
	if allowed && err != nil || !allowed && !errors.Is(err, kazoo.ErrNoAuth) {
		t.Fatalf("Get %s: %v (allowed %v)", path, err, allowed)
	}
}

// reconnect drops c's connections through proxy and waits until c is
// connected again, in the same session.
func reconnect(t testing.TB, c *kazoo.Client, proxy *zktest.Proxy) {
	t.Helper()
	sub := c.SubscribeStates()
	defer sub.Stop()
	id := c.SessionID()
	proxy.ResetAll()
	waitState(t, sub, kazoo.Suspended, 10*time.Second)
	waitState(t, sub, kazoo.Connected, 10*time.Second)
	if c.SessionID() != id {
		t.Fatalf("session changed: %x -> %x", id, c.SessionID())
	}
}

// newSession expires c's session and waits until c has a new one.
func newSession(t testing.TB, c *kazoo.Client) {
	t.Helper()
	ctx := testCtx(t)
	id := c.SessionID()
	if err := zktest.ExpireSession(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(ctx, "/"); err != nil { // waits for the new session
		t.Fatal(err)
	}
	if c.SessionID() == id {
		t.Fatal("still the old session")
	}
}

// TestSASLRequiredExpiry: on a server that requires SASL, a reconnect
// replays the watches after authenticating, zktest expires the session (as
// a user of its own), and the client's new session authenticates again.
func TestSASLRequiredExpiry(t *testing.T) {
	srv := zktest.StartServer(t, zktest.WithSASLUser("alice", "alice-secret"), zktest.WithSASLRequired())
	if srv.Version().Less(proto.Version{Major: 3, Minor: 6}) {
		t.Skipf("zktest: ZooKeeper %s cannot require SASL (3.6+)", srv.Version())
	}
	ctx := testCtx(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, proxy.Addr(), kazoo.WithSASLDigest("alice", "alice-secret"))
	if _, _, err := c.Create(ctx, "/w", nil); err != nil {
		t.Fatal(err)
	}
	// A watch is re-registered on reconnect: after the SASL exchange, or
	// the server would close the connection.
	_, _, changed, err := c.GetW(ctx, "/w")
	if err != nil {
		t.Fatal(err)
	}
	reconnect(t, c, proxy)
	other := zktest.Connect(t, srv.Addr(), kazoo.WithSASLDigest("alice", "alice-secret"))
	if _, err := other.Set(ctx, "/w", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, changed, 10*time.Second); ev.Type != kazoo.EventNodeDataChanged {
		t.Fatalf("watch event %+v", ev)
	}
	newSession(t, c)
	if _, _, err := c.Get(ctx, "/w"); err != nil {
		t.Fatal(err)
	}
}

// flakyDigest is a SASLMechanism (DIGEST-MD5) whose first starts fail with
// ErrSASLTemporary, as a Kerberos mechanism does while its KDC is down.
type flakyDigest struct {
	user, password string
	fails          int // used by the client's session goroutine only
}

func (m *flakyDigest) Name() string { return "DIGEST-MD5" }

func (m *flakyDigest) Start(context.Context, string) (kazoo.SASLExchange, []byte, error) {
	if m.fails > 0 {
		m.fails--
		return nil, nil, fmt.Errorf("no KDC today: %w", kazoo.ErrSASLTemporary)
	}
	d := sasl.NewDigest(m.user, m.password, rand.Reader)
	return digestExchange{d}, d.Start(), nil
}

type digestExchange struct{ d *sasl.Digest }

func (e digestExchange) Next(_ context.Context, challenge []byte) ([]byte, bool, error) {
	return e.d.Next(challenge)
}
