package recipe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// A create whose answer is lost is found by its prefix, not made twice.
func TestCreateProtectedAdoptsAfterConnectionLoss(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 60*time.Second)
	proxy, through := proxied(t, servers)
	c := zktest.Connect(t, through, kazoo.WithSessionTimeout(4*time.Second))
	observer := zktest.Connect(t, servers)
	if err := observer.EnsurePath(ctx, "/p"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Create(ctx, "/warm", nil); err != nil { // the client knows the server's version now
		t.Fatal(err)
	}
	prefix := protectedPrefix()
	proxy.CutDownstream() // the create reaches the server; its answer does not come back
	type result struct {
		path string
		stat kazoo.Stat
		err  error
	}
	done := make(chan result, 1)
	go func() {
		p, st, err := createProtected(ctx, c, "/p", prefix+"lock-", []byte("x"), kazoo.ModeEphemeralSequential)
		done <- result{p, st, err}
	}()
	waitFor(t, 10*time.Second, "the node to exist on the server", func() bool { return len(children(t, observer, "/p")) == 1 })
	proxy.Heal()
	proxy.ResetAll() // the client sees the loss now, and reconnects to the same session
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	got := children(t, observer, "/p")
	if len(got) != 1 || "/p/"+got[0] != r.path || !strings.HasPrefix(got[0], prefix+"lock-") {
		t.Fatalf("children %v, created %s: want exactly the adopted node", got, r.path)
	}
	if r.stat.EphemeralOwner != c.SessionID() {
		t.Fatalf("adopted node's owner 0x%x, session 0x%x", r.stat.EphemeralOwner, c.SessionID())
	}
}

// A node with our prefix that another session owns (ours before it was
// lost) is deleted, never adopted.
func TestFindOwnDeletesEarlierSessionsNode(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 30*time.Second)
	c := zktest.Connect(t, servers)
	earlier := zktest.Connect(t, servers)
	prefix := protectedPrefix()
	if _, _, err := earlier.Create(ctx, "/"+prefix+"lock-", nil, kazoo.WithMode(kazoo.ModeEphemeralSequential)); err != nil {
		t.Fatal(err)
	}
	_, _, found, err := findOwn(ctx, c, "/", prefix, func(st kazoo.Stat) bool { return st.EphemeralOwner == c.SessionID() })
	if err != nil || found {
		t.Fatalf("findOwn = found %v, %v; want not found", found, err)
	}
	if got := children(t, c, "/"); len(got) != 0 {
		t.Fatalf("children %v: the earlier session's node should be gone", got)
	}
}

func TestCreateProtectedBadInput(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	c := zktest.Connect(t, servers)
	_, _, err := createProtected(context.Background(), c, "/p", "bad/name", nil, kazoo.ModeEphemeralSequential)
	if !errors.Is(err, kazoo.ErrNoNode) && !errors.Is(err, kazoo.ErrInvalidPath) {
		t.Fatalf("got %v", err)
	}
	_, _, err = createProtected(context.Background(), c, "/p", "a\x00", nil, kazoo.ModeEphemeralSequential)
	if !errors.Is(err, kazoo.ErrInvalidPath) {
		t.Fatalf("got %v, want ErrInvalidPath", err)
	}
	if got := children(t, c, "/"); len(got) != 0 {
		t.Fatalf("left behind %v", got)
	}
}
