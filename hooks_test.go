package kazoo_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// recorder is a hook of every kind that keeps what it is told.
type recorder struct {
	mu          sync.Mutex
	states      []string
	requests    []kazoo.RequestInfo
	ctxValues   []any
	connects    []kazoo.ConnectInfo
	disconnects int
	events      []kazoo.Event
	changed     chan struct{}
}

type ctxKey struct{}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) note(f func()) {
	r.mu.Lock()
	f()
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) OnStateChange(from, to kazoo.State) {
	r.note(func() { r.states = append(r.states, from.String()+">"+to.String()) })
}

func (r *recorder) OnRequest(ctx context.Context, info kazoo.RequestInfo) {
	r.note(func() {
		r.requests = append(r.requests, info)
		r.ctxValues = append(r.ctxValues, ctx.Value(ctxKey{}))
	})
}

func (r *recorder) OnConnect(c kazoo.ConnectInfo) {
	r.note(func() { r.connects = append(r.connects, c) })
}
func (r *recorder) OnDisconnect(string, error) { r.note(func() { r.disconnects++ }) }
func (r *recorder) OnWatchEvent(e kazoo.Event, _ int) {
	r.note(func() { r.events = append(r.events, e) })
}

// await waits until cond holds over the recorder, or fails after d.
func (r *recorder) await(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("hooks never reported %s", what)
		}
	}
}

func TestHooksSeeRequestsStatesConnectionsAndWatches(t *testing.T) {
	requireOp(t, proto.OpAddWatch)
	srv := zktest.Shared(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	chroot := srv.Chroot(t)[len(srv.Addr()):]
	rec := newRecorder()
	c := zktest.Connect(t, proxy.Addr()+chroot, kazoo.WithHooks(rec), kazoo.WithSessionTimeout(4*time.Second))
	ctx := context.WithValue(testCtx(t), ctxKey{}, "caller")

	if _, _, err := c.Create(ctx, "/a", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(ctx, "/missing"); !errors.Is(err, kazoo.ErrNoNode) {
		t.Fatalf("Get /missing: %v", err)
	}
	if _, err := c.GetAsync(ctx, "/a").Result(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, 10*time.Second, "three requests", func() bool { return len(rec.requests) >= 3 })
	rec.mu.Lock()
	create, miss, get := rec.requests[0], rec.requests[1], rec.requests[2]
	if create.Op != proto.OpCreate2 && create.Op != proto.OpCreate || create.Path != "/a" || create.Err != nil ||
		create.BytesOut <= len("hello") || create.BytesIn == 0 || create.Latency <= 0 || create.Start.IsZero() {
		t.Errorf("create reported as %+v", create)
	}
	if miss.Op != proto.OpGetData || !errors.Is(miss.Err, kazoo.ErrNoNode) || miss.Result() != "no_node" {
		t.Errorf("failed get reported as %+v (result %q)", miss, miss.Result())
	}
	if get.Op != proto.OpGetData || get.BytesIn < len("hello") || get.Err != nil {
		t.Errorf("async get reported as %+v", get)
	}
	for i, v := range rec.ctxValues[:3] {
		if v != "caller" {
			t.Errorf("request %d's hook got a context without the caller's value: %v", i, v)
		}
	}
	if len(rec.connects) != 1 || rec.connects[0].Err != nil || rec.connects[0].SessionID != c.SessionID() || rec.connects[0].Resumed {
		t.Errorf("connects: %+v", rec.connects)
	}
	if len(rec.states) == 0 || rec.states[0] != "State(?)>Connected" {
		t.Errorf("states: %v", rec.states)
	}
	rec.mu.Unlock()

	w, err := c.AddWatch(ctx, "/a", false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := c.Set(ctx, "/a", []byte("x"), kazoo.AnyVersion); err != nil {
		t.Fatal(err)
	}
	rec.await(t, 10*time.Second, "the watch event", func() bool {
		return len(rec.events) == 1 && rec.events[0].Type == kazoo.EventNodeDataChanged
	})

	proxy.ResetAll()
	rec.await(t, 20*time.Second, "the disconnect and the resumed session", func() bool {
		n := len(rec.connects)
		return rec.disconnects == 1 && n >= 2 && rec.connects[n-1].Err == nil && rec.connects[n-1].Resumed &&
			strings.Contains(strings.Join(rec.states, " "), "Connected>Suspended Suspended>Connected")
	})
}

func TestHooksRefuseWhatHooksNothing(t *testing.T) {
	_, err := kazoo.Connect(context.Background(), "127.0.0.1:1", kazoo.WithHooks(struct{}{}))
	if !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Fatalf("Connect with a hook of no hook interface: %v, want ErrInvalidArgument", err)
	}
}
