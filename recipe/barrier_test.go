package recipe_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/internal/interop"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/recipe"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestBarrierWithKazooAndCurator(t *testing.T) {
	requireCurator(t)
	e := newEnv(t, 120*time.Second)
	py := interop.Python(t, "testdata/recipes2_worker.py", e.addr)
	java := interop.Java(t, "testdata/Recipes2Worker.java", e.addr)
	java.Expect(60*time.Second, "connected")
	b := recipe.NewBarrier(e.c, "/b")
	if err := b.Create(e.ctx); err != nil {
		t.Fatal(err)
	}
	py.Send("barrier_wait %s/b", e.chroot)
	java.Send("barrier_wait %s/b", e.chroot)
	done := make(chan error, 1)
	go func() { done <- b.Wait(e.ctx) }()
	// Nobody passes while it is up: the Go waiter's watch is set and it has
	// not returned; kazoo and Curator say nothing.
	eventually(t, 10*time.Second, "the Go waiter's watch", func() bool {
		return e.c.CheckWatches(e.ctx, "/b", kazoo.WatchData) == nil
	})
	select {
	case err := <-done:
		t.Fatalf("Wait returned while the barrier is up: %v", err)
	default:
	}
	// Python raises it too (idempotent), then Go removes it.
	py.Send("barrier_create %s/b", e.chroot)
	py.Expect(10*time.Second, "created")
	if up, err := b.Remove(e.ctx); !up || err != nil {
		t.Fatalf("remove: %v %v", up, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	py.Expect(30*time.Second, "released")
	java.Expect(30*time.Second, "released")
	if up, err := b.Remove(e.ctx); up || err != nil {
		t.Fatalf("second remove: %v %v", up, err)
	}
}

func TestDoubleBarrierMixed(t *testing.T) {
	requireCurator(t)
	e := newEnv(t, 120*time.Second)
	py := interop.Python(t, "testdata/recipes2_worker.py", e.addr)
	java := interop.Java(t, "testdata/Recipes2Worker.java", e.addr)
	java.Expect(60*time.Second, "connected")
	d, err := recipe.NewDoubleBarrier(e.c, "/db", 3, "go")
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan error, 1)
	go func() { entered <- d.Enter(e.ctx) }()
	py.Send("dbarrier_enter %s/db 3 py", e.chroot)
	// Two of three are in: nobody may pass. Wait until both nodes exist.
	eventually(t, 30*time.Second, "two members", func() bool {
		kids, _, err := e.c.Children(e.ctx, "/db")
		return err == nil && len(kids) == 2
	})
	select {
	case err := <-entered:
		t.Fatalf("entered with 2 of 3: %v", err)
	default:
	}
	java.Send("dbarrier_enter %s/db 3", e.chroot)
	if err := <-entered; err != nil {
		t.Fatal(err)
	}
	py.Expect(30*time.Second, "entered")
	java.Expect(30*time.Second, "entered")

	left := make(chan error, 1)
	go func() { left <- d.Leave(e.ctx) }()
	py.Send("dbarrier_leave") // leaving blocks until all have left
	java.Send("dbarrier_leave")
	py.Expect(30*time.Second, "left")
	java.Expect(30*time.Second, "left")
	if err := <-left; err != nil {
		t.Fatal(err)
	}
	if kids, _, err := e.c.Children(e.ctx, "/db"); err != nil || len(kids) > 1 {
		t.Fatalf("after leaving: %v %v", kids, err)
	}
}

// A member whose session is lost while it waits to enter is counted again
// in its new session; spurious wake-ups (the session's watch ending) do not
// let it through.
func TestDoubleBarrierSessionLossWhileWaiting(t *testing.T) {
	e := newEnv(t, 60*time.Second)
	other := zktest.Connect(t, e.servers)
	d, _ := recipe.NewDoubleBarrier(e.c, "/db", 2, "a")
	entered := make(chan error, 1)
	go func() { entered <- d.Enter(e.ctx) }()
	eventually(t, 10*time.Second, "the first member", func() bool {
		kids, _, _ := other.Children(e.ctx, "/db")
		return len(kids) == 1
	})
	first, _, _ := other.Children(e.ctx, "/db")
	expire(t, e.c)
	eventually(t, 20*time.Second, "the member re-created in the new session", func() bool {
		kids, _, _ := other.Children(e.ctx, "/db")
		if len(kids) != 1 || kids[0] != first[0] {
			return false
		}
		_, st, err := other.Get(e.ctx, "/db/"+kids[0])
		return err == nil && st.EphemeralOwner == e.c.SessionID()
	})
	select {
	case err := <-entered:
		t.Fatalf("entered alone after a session loss: %v", err)
	default:
	}
	d2, _ := recipe.NewDoubleBarrier(other, "/db", 2, "b")
	if err := d2.Enter(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-entered; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- d.Leave(ctx) }()
	go func() { errs <- d2.Leave(ctx) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := recipe.NewDoubleBarrier(e.c, "/db", 0, "x"); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Fatalf("0 members: %v", err)
	}
}

// A wake-up that is not the ready node's creation (here the server removes
// the waiting member's watch, which delivers an event) is not a release:
// the member looks again and keeps waiting (Curator's 2026 bug).
func TestDoubleBarrierSpuriousWakeUp(t *testing.T) {
	requireOp(t, proto.OpRemoveWatches)
	e := newEnv(t, 30*time.Second)
	d, _ := recipe.NewDoubleBarrier(e.c, "/db", 2, "a")
	entered := make(chan error, 1)
	go func() { entered <- d.Enter(e.ctx) }()
	watched := func() bool { return e.c.CheckWatches(e.ctx, "/db/ready", kazoo.WatchData) == nil }
	eventually(t, 10*time.Second, "the member's watch on ready", watched)
	if err := e.c.RemoveWatches(e.ctx, "/db/ready", kazoo.WatchData); err != nil {
		t.Fatal(err)
	}
	// It sets its watch again, and has not entered.
	eventually(t, 10*time.Second, "the watch set again after the spurious wake-up", watched)
	select {
	case err := <-entered:
		t.Fatalf("entered alone after a spurious wake-up: %v", err)
	default:
	}
	d2, _ := recipe.NewDoubleBarrier(zktest.Connect(t, e.servers), "/db", 2, "b")
	if err := d2.Enter(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-entered; err != nil {
		t.Fatal(err)
	}
}

// A waiter keeps waiting through a connection loss: the look at the node
// it takes after a wake-up fails with ErrConnectionLoss, and it looks again
// on the next connection (it used to end the wait with that error).
func TestBarrierWaitSurvivesConnectionLoss(t *testing.T) {
	e := newEnv(t, 90*time.Second)
	proxy := zktest.NewProxy(t, e.addr)
	c := zktest.Connect(t, proxy.Addr()+e.chroot, kazoo.WithSessionTimeout(6*time.Second))
	states := c.SubscribeStates()
	defer states.Stop()
	if err := recipe.NewBarrier(e.c, "/b").Create(e.ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- recipe.NewBarrier(c, "/b").Wait(e.ctx) }()
	watched := func() bool { // by the waiter's current session
		w, err := zktest.Shared(t).Watches(e.ctx, c.SessionID())
		return err == nil && w[e.chroot+"/b"]
	}
	eventually(t, 10*time.Second, "the waiter's watch", watched)
	// Requests stop reaching the server. The change below still reaches the
	// waiter, whose look at the node then goes unanswered until the client
	// gives the connection up.
	proxy.CutUpstream()
	if _, err := e.c.Set(e.ctx, "/b", []byte("wake"), kazoo.AnyVersion); err != nil {
		t.Fatal(err)
	}
	for suspended := false; !suspended; {
		select {
		case s := <-states.C():
			suspended = s == kazoo.Suspended
		case <-e.ctx.Done():
			t.Fatal("the client never gave up the cut connection")
		}
	}
	proxy.Heal()
	eventually(t, 30*time.Second, "the waiter's watch, set again", watched)
	select {
	case err := <-done:
		t.Fatalf("Wait returned while the barrier is up: %v", err)
	default:
	}
	if _, err := recipe.NewBarrier(e.c, "/b").Remove(e.ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Wait after the barrier was removed: %v", err)
		}
	case <-e.ctx.Done():
		t.Fatal("Wait did not return once the barrier was removed")
	}
}
