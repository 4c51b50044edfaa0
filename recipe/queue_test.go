package recipe_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/internal/interop"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/recipe"
	"github.com/kazoo-go/kazoo/zktest"
)

// consumed collects items from several consumers and fails on a duplicate.
type consumed struct {
	mu    sync.Mutex
	items map[string]string // item -> consumer
	dup   []string
}

func (c *consumed) add(t *testing.T, item, who string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.items[item]; ok {
		c.dup = append(c.dup, fmt.Sprintf("%s by %s and %s", item, prev, who))
	}
	c.items[item] = who
}

func (c *consumed) count(who string) (all, by int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.items {
		if w == who {
			by++
		}
	}
	return len(c.items), by
}

// exactlyOnce runs a Go consumer (get) and a worker's consumer (started
// by the caller, printing "item X" lines) until want items were consumed,
// and checks that each was consumed once and every producer's item came.
func exactlyOnce(t *testing.T, ctx context.Context, w *interop.Proc, want []string, get func(context.Context) (string, error)) {
	t.Helper()
	got := &consumed{items: map[string]string{}}
	gctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the worker's items
		defer wg.Done()
		for {
			l, err := w.Next(gctx)
			if err != nil {
				return
			}
			if item, ok := strings.CutPrefix(l, "item "); ok {
				got.add(t, item, "worker")
				if n, _ := got.count(""); n >= len(want) {
					stop() // the Go consumer may be blocked on an empty queue
				}
			}
		}
	}()
	for n := 0; ; {
		if n, _ = got.count(""); n >= len(want) {
			break
		}
		item, err := get(gctx)
		if n, _ = got.count(""); err != nil && n >= len(want) && gctx.Err() != nil {
			break
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			got.mu.Lock()
			for _, it := range want {
				if _, ok := got.items[it]; !ok {
					t.Logf("missing: %s", it)
				}
			}
			got.mu.Unlock()
			t.Fatalf("consumed %d of %d items before the deadline", n, len(want))
		}
		if err != nil {
			t.Fatal(err)
		}
		got.add(t, item, "go")
	}
	w.Send("stop")
	stop()
	wg.Wait()
	got.mu.Lock()
	defer got.mu.Unlock()
	if len(got.dup) > 0 {
		t.Fatalf("consumed twice: %v", got.dup)
	}
	for _, it := range want {
		if _, ok := got.items[it]; !ok {
			t.Fatalf("item %s never consumed (%d consumed)", it, len(got.items))
		}
	}
	if len(got.items) != len(want) {
		t.Fatalf("consumed %d items, want %d", len(got.items), len(want))
	}
	byGo := 0
	for _, w := range got.items {
		if w == "go" {
			byGo++
		}
	}
	t.Logf("Go consumed %d of %d", byGo, len(want))
}

func items(prefix string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return s
}

func TestQueueExactlyOnceWithKazoo(t *testing.T) {
	e := newEnv(t, 120*time.Second)
	py := interop.Python(t, "testdata/recipes2_worker.py", e.addr)
	q, err := recipe.NewQueue(e.c, "/q")
	if err != nil {
		t.Fatal(err)
	}
	py.Send("queue_put %s/q 100 py", e.chroot)
	py.Send("queue_consume %s/q", e.chroot)
	for _, it := range items("go", 100) {
		if err := q.Put(e.ctx, []byte(it)); err != nil {
			t.Fatal(err)
		}
	}
	exactlyOnce(t, e.ctx, py, append(items("go", 100), items("py", 100)...), func(ctx context.Context) (string, error) {
		b, err := q.Get(ctx)
		return string(b), err
	})
}

func TestQueuePriorityForeignChildAndBlockingGet(t *testing.T) {
	requireOp(t, proto.OpCheckWatches) // to see the blocked Get wait
	e := newEnv(t, 30*time.Second)
	q, _ := recipe.NewQueue(e.c, "/q")
	other, _ := recipe.NewQueue(zktest.Connect(t, e.servers), "/q")
	for _, p := range []int{500, 7, 100} {
		if err := q.PutPriority(e.ctx, []byte(fmt.Sprint(p)), p); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.c.Create(e.ctx, "/q/foreign", []byte("not an entry")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 3 {
		b, err := q.Get(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	if fmt.Sprint(got) != "[7 100 500]" {
		t.Fatalf("priority order: %v", got)
	}
	if _, ok, err := q.TryGet(e.ctx); ok || err != nil {
		t.Fatalf("TryGet on a queue with only a foreign child: %v %v", ok, err)
	}
	if err := q.PutPriority(e.ctx, nil, 1000); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Fatalf("priority 1000: %v", err)
	}
	// A blocked Get wakes on the child watch when another client puts.
	res := make(chan string, 1)
	go func() {
		b, err := q.Get(e.ctx)
		if err != nil {
			b = []byte(err.Error())
		}
		res <- string(b)
	}()
	eventually(t, 10*time.Second, "the blocked Get's child watch", func() bool {
		return e.c.CheckWatches(e.ctx, "/q", kazoo.WatchChildren) == nil
	})
	if err := other.Put(e.ctx, []byte("late")); err != nil {
		t.Fatal(err)
	}
	if got := <-res; got != "late" {
		t.Fatalf("blocked Get returned %q", got)
	}
	if data, _, err := e.c.Get(e.ctx, "/q/foreign"); err != nil || string(data) != "not an entry" {
		t.Fatalf("foreign child: %q %v", data, err)
	}
}

func TestSimpleDistributedQueueExactlyOnceWithCurator(t *testing.T) {
	requireCurator(t)
	e := newEnv(t, 120*time.Second)
	java := interop.Java(t, "testdata/Recipes2Worker.java", e.addr)
	java.Expect(60*time.Second, "connected")
	q, err := recipe.NewSimpleDistributedQueue(e.c, "/sq")
	if err != nil {
		t.Fatal(err)
	}
	java.Send("squeue_put %s/sq 100 java", e.chroot)
	java.Send("squeue_consume %s/sq", e.chroot)
	for _, it := range items("go", 100) {
		if err := q.Offer(e.ctx, []byte(it)); err != nil {
			t.Fatal(err)
		}
	}
	exactlyOnce(t, e.ctx, java, append(items("go", 100), items("java", 100)...), func(ctx context.Context) (string, error) {
		b, err := q.Take(ctx)
		return string(b), err
	})
}

func TestDistributedQueueLayoutWithCurator(t *testing.T) {
	requireCurator(t)
	e := newEnv(t, 120*time.Second)
	java := interop.Java(t, "testdata/Recipes2Worker.java", e.addr)
	java.Expect(60*time.Second, "connected")
	q, err := recipe.NewDistributedQueue(e.c, "/dq")
	if err != nil {
		t.Fatal(err)
	}
	// Curator puts, Go takes.
	java.Send("dqueue_put %s/dq 20 java", e.chroot)
	java.Expect(60*time.Second, "done")
	for i := range 20 {
		got, err := q.Get(e.ctx)
		if err != nil || len(got) != 1 || string(got[0]) != fmt.Sprintf("java-%d", i) {
			t.Fatalf("item %d: %q %v", i, got, err)
		}
	}
	// A node in the wrong framing is reported, left, and skipped.
	if _, _, err := e.c.Create(e.ctx, "/dq/queue-", []byte("garbage"), kazoo.WithMode(kazoo.ModePersistentSequential)); err != nil {
		t.Fatal(err)
	}
	if err := q.Put(e.ctx, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Get(e.ctx); !errors.Is(err, recipe.ErrBadValue) {
		t.Fatalf("garbage node: %v", err)
	}
	if got, err := q.Get(e.ctx); err != nil || string(got[0]) != "after" {
		t.Fatalf("after garbage: %q %v", got, err)
	}
	if kids, _, _ := e.c.Children(e.ctx, "/dq"); len(kids) != 1 {
		t.Fatalf("the garbage node should be all that is left: %v", kids)
	}
	// Go puts, Curator's consumer takes.
	if err := q.PutMulti(e.ctx, []byte("go-a"), []byte("go-b")); err != nil {
		t.Fatal(err)
	}
	java.Send("dqueue_consume %s/dq", e.chroot)
	if a, b := java.Expect(30*time.Second, "item"), java.Expect(30*time.Second, "item"); a != "item go-a" || b != "item go-b" {
		t.Fatalf("Curator consumed %q, %q", a, b)
	}
}

func TestLockingQueueWithKazooAndSessionLoss(t *testing.T) {
	e := newEnv(t, 120*time.Second)
	py := interop.Python(t, "testdata/recipes2_worker.py", e.addr)
	q, err := recipe.NewLockingQueue(e.c, "/lq")
	if err != nil {
		t.Fatal(err)
	}
	// A claim dies with its session: the item goes to someone else.
	if err := q.Put(e.ctx, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if b, err := q.Get(e.ctx); err != nil || string(b) != "first" {
		t.Fatalf("get: %q %v", b, err)
	}
	if ok, err := q.HoldsLock(e.ctx); !ok || err != nil {
		t.Fatalf("holds lock: %v %v", ok, err)
	}
	expire(t, e.c)
	if ok, err := q.HoldsLock(e.ctx); ok || err != nil {
		t.Fatalf("holds lock after session loss: %v %v", ok, err)
	}
	if ok, err := q.Consume(e.ctx); ok || err != nil {
		t.Fatalf("consume after session loss: %v %v", ok, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			ents, _, _ := e.c.Children(context.Background(), "/lq/entries")
			taken, _, _ := e.c.Children(context.Background(), "/lq/taken")
			t.Logf("entries %v, taken %v", ents, taken)
			for _, k := range taken {
				d, st, _ := e.c.Get(context.Background(), "/lq/taken/"+k)
				t.Logf("taken %s: %q owner %x (ours %x)", k, d, st.EphemeralOwner, e.c.SessionID())
			}
		}
	})
	// Exactly once with a kazoo consumer, "first" included.
	py.Send("lqueue_put %s/lq 50 py", e.chroot)
	py.Send("lqueue_consume %s/lq", e.chroot)
	if err := q.PutAll(e.ctx, recipe.DefaultPriority, toBytes(items("go", 50))...); err != nil {
		t.Fatal(err)
	}
	want := append(append(items("go", 50), items("py", 50)...), "first")
	exactlyOnce(t, e.ctx, py, want, func(ctx context.Context) (string, error) {
		for {
			b, err := q.Get(ctx)
			if err != nil {
				return "", err
			}
			ok, err := q.Consume(ctx)
			if err != nil {
				return "", err
			}
			if ok {
				return string(b), nil
			}
		}
	})
	if n, err := q.Len(e.ctx); n != 0 || err != nil {
		t.Fatalf("left: %d %v", n, err)
	}
}

func toBytes(s []string) [][]byte {
	b := make([][]byte, len(s))
	for i := range s {
		b[i] = []byte(s[i])
	}
	return b
}

func TestLockingQueueLeavesForeignChild(t *testing.T) {
	e := newEnv(t, 30*time.Second)
	q, _ := recipe.NewLockingQueue(e.c, "/lq")
	if _, _, err := e.c.Create(e.ctx, "/lq/entries/foreign", []byte("x"), kazoo.WithParents()); err != nil {
		t.Fatal(err)
	}
	if err := q.Put(e.ctx, []byte("item")); err != nil {
		t.Fatal(err)
	}
	if b, err := q.Get(e.ctx); err != nil || string(b) != "item" {
		t.Fatalf("get: %q %v", b, err)
	}
	if ok, err := q.Consume(e.ctx); !ok || err != nil {
		t.Fatalf("consume: %v %v", ok, err)
	}
	if data, _, err := e.c.Get(e.ctx, "/lq/entries/foreign"); err != nil || string(data) != "x" {
		t.Fatalf("foreign child: %q %v", data, err)
	}
	if taken, _, _ := e.c.Children(e.ctx, "/lq/taken"); len(taken) != 0 {
		t.Fatalf("claims left: %v", taken)
	}
}

func TestQueuePrioritiesFromKazoo(t *testing.T) {
	e := newEnv(t, 60*time.Second)
	py := interop.Python(t, "testdata/recipes2_worker.py", e.addr)
	py.Send("queue_put %s/q 2 low 900", e.chroot)
	py.Expect(30*time.Second, "done")
	py.Send("queue_put %s/q 2 high 5", e.chroot)
	py.Expect(30*time.Second, "done")
	q, _ := recipe.NewQueue(e.c, "/q")
	var got []string
	for range 4 {
		b, err := q.Get(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	if fmt.Sprint(got) != "[high-0 high-1 low-0 low-1]" {
		t.Fatalf("order %v", got)
	}
}
