package recipe

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

func newLock(t testing.TB, c *kazoo.Client, path string, opts ...Option) *Lock {
	t.Helper()
	l, err := NewLock(c, path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Contenders on their own sessions exclude each other, in both layouts;
// each holder's guarded write goes through, with a growing token.
func TestLockMutualExclusion(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	for _, layout := range []struct {
		name string
		opts []Option
		node *regexp.Regexp
	}{
		{"kazoo", nil, regexp.MustCompile(`^[0-9a-f]{32}__lock__\d{10}$`)},
		{"curator", []Option{WithCurator()}, regexp.MustCompile(`^_c_[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}-lock-\d{10}$`)},
	} {
		t.Run(layout.name, func(t *testing.T) {
			ctx := testCtx(t, 60*time.Second)
			path := "/" + layout.name
			admin := zktest.Connect(t, servers)
			if _, _, err := admin.Create(ctx, "/register-"+layout.name, []byte("0")); err != nil {
				t.Fatal(err)
			}
			var inside atomic.Int32
			var mu sync.Mutex
			var last int64
			var wg sync.WaitGroup
			errs := make(chan error, 5)
			for i := range 5 {
				c := zktest.Connect(t, servers)
				l := newLock(t, c, path, append(layout.opts, WithIdentifier(fmt.Sprint("c", i)))...)
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- func() error {
						for range 10 {
							if err := l.Lock(ctx); err != nil {
								return err
							}
							if n := inside.Add(1); n != 1 {
								return fmt.Errorf("%d holders at once", n)
							}
							if name := l.Node()[len(path)+1:]; !layout.node.MatchString(name) {
								return fmt.Errorf("lock node %q has the wrong layout", name)
							}
							tok, _ := l.Token()
							mu.Lock()
							if tok <= last {
								mu.Unlock()
								return fmt.Errorf("token %d after %d", tok, last)
							}
							last = tok
							mu.Unlock()
							data, st, err := c.Get(ctx, "/register-"+layout.name)
							if err != nil {
								return err
							}
							n, _ := strconv.Atoi(string(data))
							txn, err := l.Txn()
							if err != nil {
								return err
							}
							if _, err := txn.Set("/register-"+layout.name, []byte(strconv.Itoa(n+1)), st.Version).Commit(ctx); err != nil {
								return fmt.Errorf("guarded write: %w", err)
							}
							inside.Add(-1)
							if err := l.Unlock(ctx); err != nil {
								return err
							}
						}
						return nil
					}()
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			data, _, _ := admin.Get(ctx, "/register-"+layout.name)
			if string(data) != "50" {
				t.Fatalf("register %s, want 50", data)
			}
			if got := children(t, admin, path); len(got) != 0 {
				t.Fatalf("left behind %v", got)
			}
		})
	}
}

// Each waiter watches its predecessor only, so a release wakes one waiter
// (the server's own list of watches, wchc, says who watches what).
func TestLockWaitersWatchOnlyPredecessor(t *testing.T) {
	srv := zktest.StartServer(t, zktest.With4LW("wchc", "srvr"))
	ctx := testCtx(t, 60*time.Second)
	var clients []*kazoo.Client
	var locks []*Lock
	for range 4 {
		c := zktest.Connect(t, srv.Addr())
		clients = append(clients, c)
		locks = append(locks, newLock(t, c, "/l"))
	}
	if err := locks[0].Lock(ctx); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 3)
	for i := 1; i < 4; i++ {
		waitFor(t, 10*time.Second, "the previous waiter's node", func() bool { return len(children(t, clients[0], "/l")) == i })
		go func() { errs <- locks[i].Lock(ctx) }()
	}
	waitFor(t, 10*time.Second, "every waiter's node", func() bool { return len(children(t, clients[0], "/l")) == 4 })
	ms := members(children(t, clients[0], "/l"), "__lock__")
	want := map[string]string{} // session -> the one path it should watch
	for i := 1; i < 4; i++ {
		want[fmt.Sprintf("0x%x", clients[i].SessionID())] = "/l/" + ms[i-1].Name
	}
	var got map[string][]string
	waitFor(t, 10*time.Second, "each waiter's watch", func() bool {
		out, err := srv.FourLetter(ctx, "wchc")
		if err != nil {
			t.Fatal(err)
		}
		got = map[string][]string{}
		var session string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "0x") {
				session = strings.TrimSpace(line)
			} else if p := strings.TrimSpace(line); p != "" && session != "" {
				got[session] = append(got[session], p)
			}
		}
		return len(got) == 3
	})
	for s, p := range want {
		if len(got[s]) != 1 || got[s][0] != p {
			t.Errorf("session %s watches %v, want only %s", s, got[s], p)
		}
	}
	for i := range 4 {
		if i > 0 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		for _, l := range locks {
			if l.Node() != "" {
				if err := l.Unlock(ctx); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
	}
}

// A waiting Lock that its context cancels leaves nothing behind; TryLock
// does not wait.
func TestLockCancelAndTryLock(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 30*time.Second)
	c1, c2 := zktest.Connect(t, servers), zktest.Connect(t, servers)
	l1, l2 := newLock(t, c1, "/l"), newLock(t, c2, "/l")
	if ok, err := l1.TryLock(ctx); !ok || err != nil {
		t.Fatalf("TryLock on a free lock: %v, %v", ok, err)
	}
	if ok, err := l2.TryLock(ctx); ok || err != nil {
		t.Fatalf("TryLock on a held lock: %v, %v", ok, err)
	}
	if _, err := l1.TryLock(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("TryLock while holding: %v, want ErrBusy", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- l2.Lock(wctx) }()
	waitFor(t, 10*time.Second, "the waiter's node", func() bool { return len(children(t, c1, "/l")) == 2 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Lock returned %v", err)
	}
	if got := children(t, c1, "/l"); len(got) != 1 || "/l/"+got[0] != l1.Node() {
		t.Fatalf("children %v: only the holder's node should be left", got)
	}
	if err := l1.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l1.Unlock(ctx); err != nil {
		t.Fatalf("second Unlock: %v", err)
	}
	if _, err := l1.Token(); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Token after Unlock: %v", err)
	}
	if cause := context.Cause(l1.Context()); !errors.Is(cause, ErrNotHeld) {
		t.Fatalf("Context after Unlock: %v", cause)
	}
}

// Children that are not contenders neither block nor break the order.
func TestLockIgnoresForeignChildren(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 30*time.Second)
	c := zktest.Connect(t, servers)
	for _, name := range []string{"config", "lease_holder", "x__lock__", "x__lock__12", "_c_abc-latch-0000000001", "zzzz__lock__000000000a"} {
		if _, _, err := c.Create(ctx, "/l/"+name, []byte("junk"), kazoo.WithParents()); err != nil {
			t.Fatal(err)
		}
	}
	l := newLock(t, c, "/l")
	if ok, err := l.TryLock(ctx); !ok || err != nil {
		t.Fatalf("TryLock among foreign children: %v, %v", ok, err)
	}
	if err := l.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// A holder cut off from the servers hears that its ownership is in doubt
// before the server expires its session and admits the next holder.
func TestLockBlackholedHolderToldBeforeExpiry(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 60*time.Second)
	proxy, through := proxied(t, servers)
	holderC := zktest.Connect(t, through, kazoo.WithSessionTimeout(3*time.Second))
	holder := newLock(t, holderC, "/l")
	if err := holder.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	held := holder.Context()
	node := holder.Node()
	next := newLock(t, zktest.Connect(t, servers), "/l")
	acquired := make(chan time.Time, 1)
	go func() {
		if err := next.Lock(ctx); err != nil {
			t.Error(err)
		}
		acquired <- time.Now()
	}()
	observer := zktest.Connect(t, servers)
	waitFor(t, 10*time.Second, "the waiter's node", func() bool { return len(children(t, observer, "/l")) == 2 })
	proxy.Blackhole()
	select {
	case <-held.Done():
	case <-ctx.Done():
		t.Fatal("the holder was never told")
	}
	told := time.Now()
	if ok, _, err := observer.Exists(ctx, node); err != nil || !ok {
		t.Fatalf("the holder's node was gone (%v, %v) before it was told", ok, err)
	}
	if cause := context.Cause(held); !errors.Is(cause, ErrSuspended) {
		t.Fatalf("cause %v, want ErrSuspended", cause)
	}
	at := <-acquired
	if !told.Before(at) {
		t.Fatalf("next holder admitted at %v, before the old one was told at %v", at, told)
	}
	txn, err := holder.Txn()
	if err != nil {
		t.Fatal(err)
	}
	proxy.Heal()
	if _, err := txn.Create("/fenced", nil).Commit(ctx); !errors.Is(err, kazoo.ErrNoNode) && !errors.Is(err, kazoo.ErrSessionExpired) {
		t.Fatalf("the ex-holder's guarded write: %v, want it refused", err)
	}
	if err := holder.Unlock(ctx); err != nil {
		t.Fatalf("Unlock of a lost lock: %v", err)
	}
	if err := next.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// An Unlock during a connection loss is retried until the node is gone,
// from any goroutine; the lock is forgotten only then.
func TestLockUnlockRetriedThroughConnectionLoss(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 60*time.Second)
	proxy, through := proxied(t, servers)
	c := zktest.Connect(t, through, kazoo.WithSessionTimeout(6*time.Second))
	observer := zktest.Connect(t, servers)
	l := newLock(t, c, "/l", WithLossPolicy(SessionPolicy))
	if err := l.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	proxy.Blackhole()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := l.Unlock(short); err == nil {
		t.Fatal("Unlock succeeded while cut off")
	}
	if l.Node() == "" {
		t.Fatal("a failed Unlock forgot the lock")
	}
	done := make(chan error, 1)
	go func() { done <- l.Unlock(ctx) }()
	proxy.Heal()
	proxy.ResetAll()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if l.Node() != "" || len(children(t, observer, "/l")) != 0 {
		t.Fatal("the lock node or its local state survived Unlock")
	}
}

// A waiter whose session expires starts again in its new session; the
// node of the dead session is never taken for ours.
func TestLockWaiterSurvivesSessionExpiry(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 60*time.Second)
	holder := newLock(t, zktest.Connect(t, servers), "/l")
	if err := holder.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	c := zktest.Connect(t, servers)
	waiter := newLock(t, c, "/l")
	done := make(chan error, 1)
	go func() { done <- waiter.Lock(ctx) }()
	waitFor(t, 10*time.Second, "the waiter's node", func() bool { return len(children(t, c, "/l")) == 2 })
	if err := zktest.ExpireSession(ctx, c); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the waiter's new node", func() bool {
		return c.State() == kazoo.Connected && len(children(t, c, "/l")) == 2
	})
	if err := holder.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_, st, err := c.Exists(ctx, waiter.Node())
	if err != nil || st.EphemeralOwner != c.SessionID() {
		t.Fatalf("holding a node of session 0x%x in session 0x%x (%v)", st.EphemeralOwner, c.SessionID(), err)
	}
	if err := context.Cause(waiter.Context()); err != nil {
		t.Fatalf("ownership already ended: %v", err)
	}
	if err := waiter.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// Bad input gets a clear error and leaves nothing behind.
func TestLockBadInput(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 30*time.Second)
	c := zktest.Connect(t, servers)
	for _, p := range []string{"", "l", "/l/", "/", "/a//b", "/a/\x01"} {
		if _, err := NewLock(c, p); !errors.Is(err, kazoo.ErrInvalidPath) {
			t.Errorf("NewLock(%q): %v, want ErrInvalidPath", p, err)
		}
	}
	if _, err := NewLock(nil, "/l"); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("NewLock(nil client): %v", err)
	}
	if _, err := NewLock(c, "/l", WithSuspendGrace(-1)); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("negative grace: %v", err)
	}
	if _, _, err := c.Create(ctx, "/data", []byte("somebody's config")); err != nil {
		t.Fatal(err)
	}
	if err := newLock(t, c, "/data").Lock(ctx); !errors.Is(err, ErrForeignLayout) {
		t.Errorf("Lock on a node with data: %v, want ErrForeignLayout", err)
	}
	if _, _, err := c.Create(ctx, "/mixed/_c_0a-lock-0000000000", nil, kazoo.WithParents()); err != nil {
		t.Fatal(err)
	}
	if err := newLock(t, c, "/mixed").Lock(ctx); !errors.Is(err, ErrForeignLayout) {
		t.Errorf("kazoo Lock among Curator lock nodes: %v, want ErrForeignLayout", err)
	}
	if got := children(t, c, "/mixed"); len(got) != 1 {
		t.Errorf("left behind: %v", got)
	}
	if got := children(t, c, "/data"); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
	closed := zktest.Connect(t, servers)
	l := newLock(t, closed, "/l")
	closed.Close()
	if err := l.Lock(ctx); !errors.Is(err, kazoo.ErrClosed) {
		t.Errorf("Lock on a closed client: %v, want ErrClosed", err)
	}
	if _, err := NewLock(closed, "/l"); !errors.Is(err, kazoo.ErrClosed) {
		t.Errorf("NewLock on a closed client: %v, want ErrClosed", err)
	}
	if ok, _, _ := c.Exists(ctx, "/l"); ok {
		t.Error("/l was created")
	}
}

// A lock whose node was deleted between two acquisitions (a Curator
// container emptied, an operator's cleanup) creates it again.
func TestLockRecreatesDeletedPath(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 30*time.Second)
	c := zktest.Connect(t, servers)
	l := newLock(t, c, "/a/l")
	for range 2 {
		if err := l.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := l.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, "/a/l", -1); err != nil {
			t.Fatal(err)
		}
	}
}
