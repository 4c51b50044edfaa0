package kazoo_test

import (
	"context"
	"testing"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// The cost of hooks: a Get, synchronous and asynchronous (16 in flight),
// without hooks and with a no-op hook of each kind. Compare the lines side
// by side, in one run:
//
//	go test -run '^$' -bench Hooks -benchmem

type (
	noopState   struct{}
	noopRequest struct{}
	noopConnect struct{}
	noopWatch   struct{}
)

func (noopState) OnStateChange(_, _ kazoo.State)                 {}
func (noopRequest) OnRequest(context.Context, kazoo.RequestInfo) {}
func (noopConnect) OnConnect(kazoo.ConnectInfo)                  {}
func (noopConnect) OnDisconnect(string, error)                   {}
func (noopWatch) OnWatchEvent(kazoo.Event, int)                  {}

var hookCases = []struct {
	name  string
	hooks []kazoo.Hook
}{
	{"none", nil},
	{"state", []kazoo.Hook{noopState{}}},
	{"request", []kazoo.Hook{noopRequest{}}},
	{"connect", []kazoo.Hook{noopConnect{}}},
	{"watch", []kazoo.Hook{noopWatch{}}},
	{"all", []kazoo.Hook{noopState{}, noopRequest{}, noopConnect{}, noopWatch{}}},
}

func BenchmarkHooks(b *testing.B) {
	for _, hc := range hookCases {
		b.Run("Get/"+hc.name, func(b *testing.B) {
			c, path := hookedClient(b, hc.hooks)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.Get(ctx, path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, hc := range hookCases {
		b.Run("GetAsync16/"+hc.name, func(b *testing.B) {
			c, path := hookedClient(b, hc.hooks)
			ctx := context.Background()
			var ring [16]*kazoo.Future[kazoo.GetResult]
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				slot := i % len(ring)
				i++
				if f := ring[slot]; f != nil {
					if _, err := f.Result(); err != nil {
						b.Fatal(err)
					}
				}
				ring[slot] = c.GetAsync(ctx, path)
			}
			for _, f := range ring {
				if f != nil {
					f.Result()
				}
			}
		})
	}
}

// hookedClient returns a client with hooks, and the path of a 100-byte
// node.
func hookedClient(tb testing.TB, hooks []kazoo.Hook) (*kazoo.Client, string) {
	c := connect(tb)
	if _, _, err := c.Create(context.Background(), "/bench", make([]byte, 100)); err != nil {
		tb.Fatal(err)
	}
	return zktest.Connect(tb, zktest.Shared(tb).Addr(), kazoo.WithHooks(hooks...)), c.Chroot() + "/bench"
}

// TestHooksAllocateNothingWhenUnused pins what a Get allocates without
// hooks, and with hooks that do not observe requests: the returned data
// only for a synchronous Get; the future, the data and perhaps a channel to
// wait on for an asynchronous one.
func TestHooksAllocateNothingWhenUnused(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations over 2000 requests")
	}
	ctx := context.Background()
	for _, hc := range hookCases {
		if hc.name == "request" || hc.name == "all" {
			continue
		}
		c, path := hookedClient(t, hc.hooks)
		sync := testing.AllocsPerRun(1000, func() {
			if _, _, err := c.Get(ctx, path); err != nil {
				t.Fatal(err)
			}
		})
		async := testing.AllocsPerRun(1000, func() {
			if _, err := c.GetAsync(ctx, path).Result(); err != nil {
				t.Fatal(err)
			}
		})
		// An async Get's channel is made only when Result must block.
		if sync > 1 || async > 3 {
			t.Errorf("hooks %s: a Get allocates %v times, an async Get %v; want 1 (the data) and at most 3 (the future, the data, its channel)", hc.name, sync, async)
		}
	}
}
