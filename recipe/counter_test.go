package recipe_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/internal/interop"
	"github.com/kazoo-go/kazoo/recipe"
	"github.com/kazoo-go/kazoo/zktest"
)

// goAdds runs n adds of 1 on each of k goroutines.
func goAdds(t *testing.T, k, n int, add func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, k)
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if err := add(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestCounterSumsWithKazoo(t *testing.T) {
	e := newEnv(t, 120*time.Second)
	c, ctx, chroot := e.c, e.ctx, e.chroot
	py := interop.Python(t, "testdata/recipes2_worker.py", e.addr)

	ints := recipe.NewCounter(c, "/ints", int64(0))
	py.Send("counter_add %s/ints 100", chroot)
	goAdds(t, 2, 50, func() error { _, _, err := ints.Add(ctx, 1); return err })
	py.Expect(60*time.Second, "done")
	if v, err := ints.Value(ctx); err != nil || v != 200 {
		t.Fatalf("int counter: %v %v, want 200", v, err)
	}

	floats := recipe.NewCounter(c, "/floats", 0.0)
	py.Send("counter_float_add %s/floats 40 0.5", chroot)
	goAdds(t, 2, 20, func() error { _, _, err := floats.Add(ctx, 0.25); return err })
	py.Expect(60*time.Second, "done")
	if v, err := floats.Value(ctx); err != nil || v != 30 {
		t.Fatalf("float counter: %v %v, want 30", v, err)
	}
	py.Send("counter_value %s/floats 0.0", chroot)
	if got := py.Expect(10*time.Second, "value"); got != "value 30.0" {
		t.Fatalf("kazoo reads %q", got)
	}
}

func TestSharedCountSumsWithKazooAndCurator(t *testing.T) {
	requireCurator(t)
	e := newEnv(t, 120*time.Second)
	c, ctx, chroot := e.c, e.ctx, e.chroot
	py := interop.Python(t, "testdata/recipes2_worker.py", e.addr)
	java := interop.Java(t, "testdata/Recipes2Worker.java", e.addr)
	java.Expect(60*time.Second, "connected")

	sc := recipe.NewSharedCount(c, "/shared", 0)
	if _, err := sc.Get(ctx); err != nil { // 4 zero bytes, which Curator can read
		t.Fatal(err)
	}
	py.Send("counter_curator_add %s/shared 60", chroot)
	java.Send("sharedcount_add %s/shared 60", chroot)
	goAdds(t, 2, 30, func() error { _, err := sc.Add(ctx, 1); return err })
	py.Expect(60*time.Second, "done")
	java.Expect(60*time.Second, "done")
	if v, err := sc.Get(ctx); err != nil || v.Value != 180 {
		t.Fatalf("shared count: %+v %v, want 180", v, err)
	}
}

func TestAtomicLongSumsWithCurator(t *testing.T) {
	requireCurator(t)
	e := newEnv(t, 120*time.Second)
	c, ctx, chroot := e.c, e.ctx, e.chroot
	java := interop.Java(t, "testdata/Recipes2Worker.java", e.addr)
	java.Expect(60*time.Second, "connected")

	l, err := recipe.NewAtomicLong(c, "/long", recipe.WithOptimisticTries(1000))
	if err != nil {
		t.Fatal(err)
	}
	java.Send("atomiclong_add %s/long 100", chroot)
	goAdds(t, 2, 50, func() error {
		v, err := l.Increment(ctx)
		if err == nil && !v.Succeeded {
			err = errors.New("increment lost every try")
		}
		return err
	})
	java.Expect(60*time.Second, "done")
	if v, err := l.Get(ctx); err != nil || v != 200 {
		t.Fatalf("atomic long: %v %v, want 200", v, err)
	}
}

// countedLock is recipes I's Lock in Curator's layout (what Curator's
// PromotedToLock takes), counting its acquisitions.
type countedLock struct {
	l     *recipe.Lock
	taken int // only changed while holding l
}

func (c *countedLock) Lock(ctx context.Context) error {
	err := c.l.Lock(ctx)
	if err == nil {
		c.taken++
	}
	return err
}

func (c *countedLock) Unlock(ctx context.Context) error { return c.l.Unlock(ctx) }

func TestAtomicLongPromotesToLock(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	c := zktest.Connect(t, servers)
	ctx := testCtx(t, 60*time.Second)
	rl, err := recipe.NewLock(c, "/long-lock", recipe.WithCurator())
	if err != nil {
		t.Fatal(err)
	}
	lock := &countedLock{l: rl}
	// One optimistic try: under 4-way contention some lose and promote.
	l, err := recipe.NewAtomicLong(c, "/long", recipe.WithOptimisticTries(1), recipe.WithPromotion(lock))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	promoted, failed := 0, 0
	goAdds(t, 4, 50, func() error {
		v, err := l.Add(ctx, 1)
		mu.Lock()
		defer mu.Unlock()
		if v.Promoted {
			promoted++
		}
		if !v.Succeeded {
			failed++
		}
		return err
	})
	got, err := l.Get(ctx)
	if err != nil || got != int64(200-failed) {
		t.Fatalf("value %d %v, want %d (200 minus %d failed)", got, err, 200-failed, failed)
	}
	if promoted == 0 || lock.taken != promoted {
		t.Fatalf("promoted %d times, lock taken %d times", promoted, lock.taken)
	}
	if _, err := recipe.NewAtomicLong(c, "/x", recipe.WithOptimisticTries(0)); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Fatalf("zero tries: %v", err)
	}
}

func TestCountersRefuseForeignValues(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	c := zktest.Connect(t, servers)
	ctx := testCtx(t, 30*time.Second)
	for _, p := range []string{"/abc", "/short", "/long"} {
		data := map[string]string{"/abc": "abc", "/short": "ab", "/long": "abcdefghij"}[p]
		if _, _, err := c.Create(ctx, p, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, err error, path, want string) {
		t.Helper()
		if !errors.Is(err, recipe.ErrBadValue) {
			t.Fatalf("%s: %v, want ErrBadValue", what, err)
		}
		if data, _, _ := c.Get(ctx, path); string(data) != want {
			t.Fatalf("%s: node changed to %q", what, data)
		}
	}
	_, _, err := recipe.NewCounter(c, "/abc", int64(0)).Add(ctx, 1)
	check("counter", err, "/abc", "abc")
	_, err = recipe.NewCounter(c, "/abc", 0.0).Value(ctx)
	check("float counter", err, "/abc", "abc")
	_, err = recipe.NewSharedCount(c, "/short", 0).Add(ctx, 1)
	check("shared count", err, "/short", "ab")
	l, _ := recipe.NewAtomicLong(c, "/long")
	_, err = l.Increment(ctx)
	check("atomic long", err, "/long", "abcdefghij")
	// The recipes still work on good nodes.
	if _, post, err := recipe.NewCounter(c, "/good", int64(5)).Add(ctx, 2); err != nil || post != 7 {
		t.Fatalf("good counter: %v %v", post, err)
	}
}

func TestSharedCountWatch(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	c, other := zktest.Connect(t, servers), zktest.Connect(t, servers)
	ctx := testCtx(t, 30*time.Second)
	sc, osc := recipe.NewSharedCount(c, "/n", 7), recipe.NewSharedCount(other, "/n", 7)
	var seen []int32
	for v, err := range sc.Watch(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, v.Value)
		if v.Value == 9 {
			break
		}
		if _, err := osc.Add(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(seen) != "[7 8 9]" {
		t.Fatalf("saw %v", seen)
	}
}
