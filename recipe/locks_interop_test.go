package recipe

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/internal/interop"
	"github.com/kazoo-go/kazoo/zktest"
)

// worker starts the kazoo or Curator side of an interop test.
func worker(t *testing.T, lib, servers, id string) *interop.Proc {
	t.Helper()
	var p *interop.Proc
	if lib == "kazoo" {
		p = interop.Python(t, "testdata/locks_worker.py", servers, id)
	} else {
		p = interop.Java(t, "testdata/LocksWorker.java", servers, id)
	}
	p.Expect(90*time.Second, "connected")
	return p
}

// checkHolders is the Go side of the workers' holders check: while holding
// (role "w" exclusive, "r" shared, "s" one of limit), register under
// /holders and fail if the rule is broken.
func checkHolders(ctx context.Context, c *kazoo.Client, role string, limit int) error {
	me, _, err := c.Create(ctx, "/holders/"+role+"-", nil, kazoo.WithMode(kazoo.ModeEphemeralSequential))
	if err != nil {
		return err
	}
	defer c.Delete(context.WithoutCancel(ctx), me, -1)
	kids, _, err := c.Children(ctx, "/holders")
	if err != nil {
		return err
	}
	bad := false
	switch role {
	case "w":
		bad = len(kids) > 1
	case "r":
		for _, k := range kids {
			bad = bad || strings.HasPrefix(k, "w-")
		}
	default:
		bad = len(kids) > limit
	}
	if bad {
		return fmt.Errorf("violation: %s holds among %v", role, kids)
	}
	return nil
}

// interopLoop runs n rounds of take, check, release on each Go contender
// and each worker at once, and fails on any violation.
func interopLoop(t *testing.T, ctx context.Context, procs []*interop.Proc, kind, path string, n int, gos []func(context.Context) error) {
	t.Helper()
	for _, p := range procs {
		p.Send("loop %s %s %d", kind, path, n)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(gos))
	for _, g := range gos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if err := g(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for _, p := range procs {
		if got := p.Expect(120*time.Second, "done"); got != fmt.Sprint("done ", n) {
			t.Errorf("worker: %s", got)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Our Lock and the real kazoo Lock (kazoo layout), and our Lock and the
// real Curator InterProcessMutex (Curator layout), exclude each other.
func TestInteropLock(t *testing.T) {
	for _, lib := range []string{"kazoo", "curator"} {
		t.Run(lib, func(t *testing.T) {
			servers := zktest.Shared(t).Chroot(t)
			ctx := testCtx(t, 180*time.Second)
			admin := connect(t, servers)
			if err := admin.EnsurePath(ctx, "/holders"); err != nil {
				t.Fatal(err)
			}
			procs := []*interop.Proc{worker(t, lib, servers, lib+"1"), worker(t, lib, servers, lib+"2")}
			var opts []Option
			if lib == "curator" {
				opts = append(opts, WithCurator())
			}
			var gos []func(context.Context) error
			for i := range 2 {
				c := connect(t, servers)
				l := newLock(t, c, "/lock", append(opts, WithIdentifier(fmt.Sprint("go", i)))...)
				gos = append(gos, func(ctx context.Context) error {
					if err := l.Lock(ctx); err != nil {
						return err
					}
					defer l.Unlock(ctx)
					return checkHolders(ctx, c, "w", 1)
				})
			}
			interopLoop(t, ctx, procs, "lock", "/lock", 25, gos)
			// A lock held by the other library blocks ours, and is seen in order.
			procs[0].Send("hold lock /lock")
			procs[0].Expect(30*time.Second, "held")
			l := newLock(t, admin, "/lock", opts...)
			if ok, err := l.TryLock(ctx); ok || err != nil {
				t.Fatalf("TryLock while %s holds: %v, %v", lib, ok, err)
			}
			procs[0].Send("release")
			procs[0].Expect(30*time.Second, "released")
			if ok, err := l.TryLock(ctx); !ok || err != nil {
				t.Fatalf("TryLock after %s released: %v, %v", lib, ok, err)
			}
			if err := l.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
