package recipe

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// The first latch leads; when it closes, or its session is lost, the next
// one does, and the one that lost leadership queues again. Never two
// leaders at once.
func TestLeaderLatch(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 60*time.Second)
	observer := zktest.Connect(t, servers)
	var clients []*kazoo.Client
	var latches []*LeaderLatch
	for i := range 3 {
		c := zktest.Connect(t, servers)
		l, err := NewLeaderLatch(c, "/latch", WithIdentifier(fmt.Sprint("l", i)), WithLossPolicy(SessionPolicy))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close(context.Background()) })
		clients, latches = append(clients, c), append(latches, l)
		waitFor(t, 10*time.Second, "the latch's node", func() bool { return len(children(t, observer, "/latch")) == i+1 })
	}
	leaders := func() (n int, who int) {
		for i, l := range latches {
			if l.HasLeadership() {
				n, who = n+1, i
			}
		}
		return n, who
	}
	if err := latches[0].Await(ctx); err != nil {
		t.Fatal(err)
	}
	if n, who := leaders(); n != 1 || who != 0 {
		t.Fatalf("%d leaders, latch %d", n, who)
	}
	if id, err := latches[2].Leader(ctx); err != nil || id != "l0" {
		t.Fatalf("Leader() = %q, %v", id, err)
	}
	lead := latches[0].Context()
	if err := zktest.ExpireSession(ctx, clients[0]); err != nil {
		t.Fatal(err)
	}
	<-lead.Done()
	if cause := context.Cause(lead); !errors.Is(cause, ErrLost) {
		t.Fatalf("cause %v, want ErrLost", cause)
	}
	if err := latches[1].Await(ctx); err != nil {
		t.Fatal(err)
	}
	// l0 queued again behind l2, in its new session.
	waitFor(t, 10*time.Second, "l0 back in line", func() bool { return len(children(t, observer, "/latch")) == 3 })
	if n, who := leaders(); n != 1 || who != 1 {
		t.Fatalf("%d leaders, latch %d", n, who)
	}
	if err := latches[1].Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := latches[1].Await(ctx); !errors.Is(err, ErrLatchClosed) {
		t.Fatalf("Await on a closed latch: %v", err)
	}
	if err := latches[2].Await(ctx); err != nil {
		t.Fatal(err)
	}
	if err := latches[2].Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := latches[0].Await(ctx); err != nil {
		t.Fatal(err)
	}
	if err := latches[0].Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := children(t, observer, "/latch"); len(got) != 0 {
		t.Fatalf("left behind %v", got)
	}
}

// Around a reconnect (CURATOR-696, CURATOR-724): the leader that lost its
// connection is told, and gives its node up, before the next one leads;
// it then queues again behind it.
func TestLeaderLatchReconnectNeverTwoLeaders(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 20*time.Second)
	proxy, through := proxied(t, servers)
	observer := zktest.Connect(t, servers)
	a, err := NewLeaderLatch(zktest.Connect(t, through, kazoo.WithSessionTimeout(4*time.Second)), "/latch", WithIdentifier("a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewLeaderLatch(zktest.Connect(t, servers), "/latch", WithIdentifier("b"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []*LeaderLatch{a, b} { // a first: it leads
		if err := l.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close(context.Background()) })
		if err := a.Await(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "b's node", func() bool { return len(children(t, observer, "/latch")) == 2 })
	lead := a.Context()
	proxy.ResetAll()
	<-lead.Done()
	told := time.Now()
	if err := b.Await(ctx); err != nil {
		t.Fatal(err)
	}
	if elected := time.Now(); !told.Before(elected) {
		t.Fatalf("b led at %v, before a was told at %v", elected, told)
	}
	if cause := context.Cause(lead); !errors.Is(cause, ErrSuspended) {
		t.Fatalf("a's term ended with %v, want ErrSuspended", cause)
	}
	waitFor(t, 10*time.Second, "a back in line", func() bool { return len(children(t, observer, "/latch")) == 2 })
	if a.HasLeadership() || !b.HasLeadership() {
		t.Fatalf("after the reconnect: a leads %v, b leads %v", a.HasLeadership(), b.HasLeadership())
	}
	if id, err := b.Leader(ctx); err != nil || id != "b" {
		t.Fatalf("Leader() = %q, %v", id, err)
	}
}
