package cache_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/cache"
	"github.com/kazoo-go/kazoo/zktest"
)

// calls records what a watch callback received.
type calls[T any] struct {
	mu  sync.Mutex
	got []T
}

func (c *calls[T]) add(v T) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, v)
	return true
}

func (c *calls[T]) all() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// dataLog renders DataWatch calls as "data" or "-" for absent.
func dataLog(ds []cache.Data) string {
	var s []string
	for _, d := range ds {
		if d.Exists {
			s = append(s, string(d.Data))
		} else {
			s = append(s, "-")
		}
	}
	return strings.Join(s, ",")
}

func TestDataWatch(t *testing.T) {
	c := zktest.Connect(t, zktest.Shared(t).Chroot(t))
	ctx := ctxFor(t, 30*time.Second)
	var rec calls[cache.Data]
	w, err := cache.DataWatch(c, "/n", rec.add)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	expect := func(want string) {
		t.Helper()
		eventually(t, 10*time.Second, "calls "+want, func() error {
			if got := dataLog(rec.all()); got != want {
				return fmt.Errorf("calls %q", got)
			}
			return nil
		})
	}
	expect("-") // absent at first
	mustCreate(t, c, "/n", "a")
	expect("-,a")
	for _, v := range []string{"b", "c"} {
		if _, err := c.Set(ctx, "/n", []byte(v), -1); err != nil {
			t.Fatal(err)
		}
		expect("-,a," + strings.Join([]string{"b", "c"}[:1+slices.Index([]string{"b", "c"}, v)], ","))
	}
	if err := c.Delete(ctx, "/n", -1); err != nil {
		t.Fatal(err)
	}
	expect("-,a,b,c,-")
	mustCreate(t, c, "/n", "d") // created again
	expect("-,a,b,c,-,d")
	got := rec.all()
	if got[0].Event != nil || got[2].Event == nil || got[2].Event.Type != kazoo.EventNodeDataChanged {
		t.Fatalf("events: first %v, third %v", got[0].Event, got[2].Event)
	}
	// Same data again is a new version: a call.
	if _, err := c.Set(ctx, "/n", []byte("d"), -1); err != nil {
		t.Fatal(err)
	}
	expect("-,a,b,c,-,d,d")
}

func TestDataWatchStopsWhenToldAndRemovesItsWatch(t *testing.T) {
	srv := zktest.Shared(t)
	c := zktest.Connect(t, srv.Chroot(t))
	ctx := ctxFor(t, 30*time.Second)
	mustCreate(t, c, "/n", "a")
	var n int
	w, err := cache.DataWatch(c, "/n", func(cache.Data) bool { n++; return false })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.Done():
	case <-ctx.Done():
		t.Fatal("the watch did not stop after its callback said so")
	}
	if _, err := c.Set(ctx, "/n", []byte("b"), -1); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
	if srv.Version().Less(proto35) {
		return
	}
	eventually(t, 5*time.Second, "the server's watch removed", func() error {
		if err := c.CheckWatches(ctx, "/n", kazoo.WatchAny); !errors.Is(err, kazoo.ErrNoWatcher) {
			return fmt.Errorf("CheckWatches: %v", err)
		}
		return nil
	})
}

func TestChildrenWatchAndChanges(t *testing.T) {
	c := zktest.Connect(t, zktest.Shared(t).Chroot(t))
	ctx := ctxFor(t, 30*time.Second)
	mustCreate(t, c, "/p", "")
	seen := make(chan cache.Children, 100)
	go func() {
		defer close(seen)
		for ch, err := range cache.ChildrenChanges(ctx, c, "/p") {
			if err != nil {
				t.Error(err)
				return
			}
			seen <- ch
			if len(ch.Names) == 2 {
				return // breaking the loop stops the watch
			}
		}
	}()
	next := func(want string) cache.Children {
		t.Helper()
		select {
		case ch := <-seen:
			if got := strings.Join(ch.Names, ","); got != want {
				t.Fatalf("children %q, want %q", got, want)
			}
			return ch
		case <-ctx.Done():
			t.Fatalf("no call with %q", want)
		}
		return cache.Children{}
	}
	if first := next(""); first.Event != nil || !first.Exists {
		t.Fatalf("first call: %+v", first)
	}
	mustCreate(t, c, "/p/b", "")
	if ch := next("b"); ch.Event == nil || ch.Event.Type != kazoo.EventNodeChildrenChanged {
		t.Fatalf("second call's event: %+v", ch.Event)
	}
	mustCreate(t, c, "/p/a", "")
	next("a,b")
	if _, ok := <-seen; ok {
		t.Fatal("a call after the loop ended")
	}
}

func TestPatientChildren(t *testing.T) {
	c := zktest.Connect(t, zktest.Shared(t).Chroot(t))
	ctx := ctxFor(t, 30*time.Second)
	mustCreate(t, c, "/p", "")
	if _, err := cache.PatientChildren(ctx, c, "/absent", time.Millisecond); !errors.Is(err, kazoo.ErrNoNode) {
		t.Fatalf("absent node: %v", err)
	}
	// Joins keep coming for a while; the answer comes only after the last.
	stop := make(chan struct{})
	joined := make(chan int, 1)
	go func() {
		n := 0
		defer func() { joined <- n }()
		for ; n < 10; n++ {
			mustCreate(t, c, fmt.Sprintf("/p/m%d", n), "")
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	names, err := cache.PatientChildren(ctx, c, "/p", 400*time.Millisecond)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	if n := <-joined; len(names) != n {
		t.Fatalf("got %d children %v, want all %d", len(names), names, n)
	}
}

func TestNodeCache(t *testing.T) {
	c := zktest.Connect(t, zktest.Shared(t).Chroot(t))
	ctx := ctxFor(t, 30*time.Second)
	rec := &recorder{}
	nc, err := cache.NewNodeCache(c, "/n", cache.WithListener(rec.listen))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.WaitInitialized(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := nc.Get(); ok {
		t.Fatal("absent node cached")
	}
	mustCreate(t, c, "/n", "a")
	if _, err := c.Set(ctx, "/n", []byte("b"), -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "b cached", func() error {
		n, ok := nc.Get()
		if !ok || string(n.Data) != "b" {
			return fmt.Errorf("cached %q, %v", n.Data, ok)
		}
		got, err := rec.replay()
		if err != nil || got["/n"] != value(n.Data, n.Stat) {
			return fmt.Errorf("replay %v, %v", got, err)
		}
		return nil
	})
}

// A listener that panics is reported and goes on; one that blocks stalls
// neither the cache nor the other listeners.
func TestListenersPanicOrBlock(t *testing.T) {
	c := zktest.Connect(t, zktest.Shared(t).Chroot(t))
	ctx := ctxFor(t, 30*time.Second)
	mustCreate(t, c, "/r", "")
	var logged logBuffer
	block := make(chan struct{})
	defer close(block)
	rec := &recorder{}
	panics := 0
	tc := startCache(t, ctx, c, "/r",
		cache.WithLogger(logged.logger()),
		cache.WithListener(func(e cache.Event) { <-block }),
		cache.WithListener(func(e cache.Event) {
			if e.Type == cache.NodeAdded && strings.HasSuffix(e.Node.Path, "/boom") {
				panics++
				panic("boom")
			}
		}),
		cache.WithListener(rec.listen))
	for i := range 100 {
		mustCreate(t, c, fmt.Sprintf("/r/n%d", i), "")
	}
	mustCreate(t, c, "/r/boom", "")
	mustCreate(t, c, "/r/after", "")
	converge(t, c, tc, rec, "/r")
	eventually(t, 5*time.Second, "the panic logged", func() error {
		if !strings.Contains(logged.String(), "listener panicked") {
			return fmt.Errorf("log: %q", logged.String())
		}
		return nil
	})
}

// Closing a cache while it loads leaves no goroutine (goleak) and no watch
// on the server. The cache's client talks through a proxy that delays every
// answer, so that loading takes several slow round trips.
func TestCloseDuringInitialization(t *testing.T) {
	srv := zktest.Shared(t)
	servers := srv.Chroot(t)
	c := zktest.Connect(t, servers)
	ctx := ctxFor(t, 60*time.Second)
	var futs []*kazoo.Future[kazoo.CreateResult]
	mustCreate(t, c, "/r", "")
	for i := range 2000 {
		futs = append(futs, c.CreateAsync(ctx, fmt.Sprintf("/r/n%d", i), nil))
	}
	for _, f := range futs {
		if _, err := f.Result(); err != nil {
			t.Fatal(err)
		}
	}
	proxy := zktest.NewProxy(t, srv.Addr())
	slow := zktest.Connect(t, proxy.Addr()+servers[strings.IndexByte(servers, '/'):])
	proxy.SetDelay(50 * time.Millisecond)
	for _, mode := range modes(t, c) {
		t.Run(modeName(mode), func(t *testing.T) {
			tc, err := cache.NewTreeCache(ctx, slow, "/r", cache.WithMode(mode))
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, "loading under way", func() error {
				if _, ok := tc.Get("/r"); !ok {
					return errors.New("nothing cached yet")
				}
				return nil
			})
			select {
			case <-tc.Initialized():
				t.Fatal("initialized already: the test closes nothing mid-way")
			default:
			}
			tc.Close()
			if srv.Version().Less(proto35) {
				return
			}
			eventually(t, 10*time.Second, "no watch left", func() error {
				for _, p := range []string{"/r", "/r/n0", "/r/n1999"} {
					if err := slow.CheckWatches(ctx, p, kazoo.WatchAny); !errors.Is(err, kazoo.ErrNoWatcher) {
						return fmt.Errorf("CheckWatches %s: %v", p, err)
					}
				}
				return nil
			})
		})
	}
}

// A DataWatch callback that panics is reported and called again on the next
// change; one that blocks holds back only its own watch, which then gets
// the newest value rather than a backlog.
func TestDataWatchCallbackPanicsOrBlocks(t *testing.T) {
	c := zktest.Connect(t, zktest.Shared(t).Chroot(t))
	ctx := ctxFor(t, 30*time.Second)
	mustCreate(t, c, "/n", "0")
	var logged logBuffer
	var rec calls[cache.Data]
	panicky, err := cache.DataWatch(c, "/n", func(d cache.Data) bool {
		rec.add(d)
		if string(d.Data) == "0" {
			panic("boom")
		}
		return true
	}, cache.WithLogger(logged.logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer panicky.Close()
	release := make(chan struct{})
	var slow calls[cache.Data]
	blocked, err := cache.DataWatch(c, "/n", func(d cache.Data) bool {
		slow.add(d)
		<-release
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	defer blocked.Close()
	eventually(t, 10*time.Second, "both first calls", func() error {
		if a, b := dataLog(rec.all()), dataLog(slow.all()); a != "0" || b != "0" {
			return fmt.Errorf("calls %s and %s", a, b)
		}
		return nil
	})
	for i := 1; i <= 20; i++ {
		if _, err := c.Set(ctx, "/n", []byte(fmt.Sprint(i)), -1); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "the panicking callback called on", func() error {
		if got := dataLog(rec.all()); !strings.HasPrefix(got, "0,") || !strings.HasSuffix(got, ",20") {
			return fmt.Errorf("calls %s", got)
		}
		if !strings.Contains(logged.String(), "watch callback panicked") {
			return fmt.Errorf("no panic logged")
		}
		return nil
	})
	close(release)
	eventually(t, 10*time.Second, "the blocked callback given the newest value", func() error {
		// Only the value pending at the release (the newest read by then)
		// and perhaps one newer: never the backlog of 20.
		got := slow.all()
		if log := dataLog(got); len(got) > 3 || !strings.HasPrefix(log, "0,") || !strings.HasSuffix(log, ",20") {
			return fmt.Errorf("calls %s", log)
		}
		return nil
	})
}
