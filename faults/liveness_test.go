package faults

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// Defect N: a deep backlog of pipelined calls is not mistaken for a dead
// server. The server answers slower than the calls come; as long as
// replies keep arriving, every call succeeds (the client holds callers
// back rather than timing out its own backlog).
func TestDeepPipelineNotMistakenForDeadServer(t *testing.T) {
	n := size(100000, 200000)
	pathLen := 10 // short paths: the backlog is in calls, as in the issue
	servers, _ := chroot(t)
	ctx := testCtx(t, 10*time.Minute)
	c := zktest.Connect(t, servers, kazoo.WithSessionTimeout(2*time.Second))
	path := "/" + strings.Repeat("p", pathLen)
	if _, _, err := c.Create(ctx, path, []byte("x")); err != nil {
		t.Fatal(err)
	}
	id := c.SessionID()
	start := time.Now()
	fs := make([]*kazoo.Future[kazoo.GetResult], n)
	for i := range fs {
		fs[i] = c.GetAsync(ctx, path)
	}
	failed := 0
	var first error
	for _, f := range fs {
		if _, err := f.Result(); err != nil {
			if failed == 0 {
				first = err
			}
			failed++
		}
	}
	t.Logf("%d pipelined Gets of %d-byte requests in %v", n, pathLen+20, time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		t.Errorf("%d of %d pipelined Gets failed (first: %v) while the server kept answering", failed, n, first)
	}
	if c.SessionID() != id {
		t.Errorf("the session changed under the backlog")
	}
}

// Item 4: async calls return at once, always: while disconnected, and
// when the server's version is not known yet and the way to it is cut.
func TestAsyncCallsReturnAtOnce(t *testing.T) {
	p, c, st, _ := proxiedClient(t, 2*time.Second)
	v36 := !zktest.Shared(t).Version().Less(proto.Version{Major: 3, Minor: 6})
	type started interface{ Done() <-chan struct{} }
	calls := map[string]func(ctx context.Context) started{
		"GetAsync":     func(ctx context.Context) started { return c.GetAsync(ctx, "/a") },
		"CreateAsync":  func(ctx context.Context) started { return c.CreateAsync(ctx, "/a", nil) },
		"SetAsync":     func(ctx context.Context) started { return c.SetAsync(ctx, "/a", nil, kazoo.AnyVersion) },
		"DeleteAsync":  func(ctx context.Context) started { return c.DeleteAsync(ctx, "/a", kazoo.AnyVersion) },
		"SyncAsync":    func(ctx context.Context) started { return c.SyncAsync(ctx, "/a") },
		"CommitAsync":  func(ctx context.Context) started { return c.Txn().Create("/a", nil).CommitAsync(ctx) },
		"ExistsWAsync": func(ctx context.Context) started { f, _ := c.ExistsWAsync(ctx, "/a"); return f },
	}
	if v36 {
		calls["GetEphemeralsAsync"] = func(ctx context.Context) started { return c.GetEphemeralsAsync(ctx, "/") }
		calls["MultiReadAsync"] = func(ctx context.Context) started { return c.MultiReadAsync(ctx, kazoo.GetDataOp("/a")) }
		calls["GetAllChildrenNumberAsync"] = func(ctx context.Context) started { return c.GetAllChildrenNumberAsync(ctx, "/") }
	}
	check := func(when string) {
		t.Helper()
		for name, call := range calls {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var f started
			done, ok := returnsWithin(time.Second, func() { f = call(ctx) })
			if !ok {
				t.Errorf("%s %s: still not returned after 1s", name, when)
			}
			cancel() // the call may fail now; it must end
			<-done
			select {
			case <-f.Done():
			case <-time.After(10 * time.Second):
				t.Errorf("%s %s: not done 10s after its context ended", name, when)
			}
		}
	}
	// Connected, the server's version not asked yet, and nothing gets
	// through.
	p.Blackhole()
	check("across a partition")
	st.wait(t, kazoo.Suspended, 10*time.Second)
	check("while disconnected")
}

// Item 4: a transient failure to learn the server's version does not stick.
func TestServerVersionNotStuckOnTransientFailure(t *testing.T) {
	p, servers, _ := proxied(t)
	var dials atomic.Int32
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 2 {
			return nil, errors.New("a transient failure")
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	c := zktest.Connect(t, servers, kazoo.WithDialer(dial), kazoo.WithSessionTimeout(4*time.Second))
	ctx := testCtx(t, time.Minute)
	st := watchStates(t, c)
	st.wait(t, kazoo.Connected, 5*time.Second)
	v, err := c.ServerVersion(ctx)
	t.Logf("first ServerVersion: %v, %v (%d dials)", v, err, dials.Load())
	if dials.Load() < 2 { // no second dial yet: make the reconnect meet the failure
		p.ResetAll()
		st.wait(t, kazoo.Suspended, 10*time.Second)
		st.wait(t, kazoo.Connected, 20*time.Second)
	}
	// After a reconnect at the latest, the version is known.
	p.ResetAll()
	st.wait(t, kazoo.Suspended, 10*time.Second)
	st.wait(t, kazoo.Connected, 20*time.Second)
	v, err = c.ServerVersion(ctx)
	if err != nil || v.Major != 3 {
		t.Errorf("ServerVersion after one transient failure and a reconnect: %v, %v", v, err)
	}
}

// Item 9: results of calls started from one goroutine complete in the
// order the calls were made: when one is done, every earlier one is.
func TestAsyncResultsCompleteInOrder(t *testing.T) {
	n := size(10000, 100000)
	servers, _ := chroot(t)
	c := zktest.Connect(t, servers)
	ctx := testCtx(t, 5*time.Minute)
	if _, _, err := c.Create(ctx, "/q", []byte("x")); err != nil {
		t.Fatal(err)
	}
	fs := make([]*kazoo.Future[kazoo.GetResult], n)
	for i := range fs {
		if i%2 == 0 {
			fs[i] = c.GetAsync(ctx, "/q")
		} else {
			fs[i] = c.GetAsync(ctx, "/missing") // fails: errors are results too
		}
	}
	for _, i := range []int{n / 8, n / 4, n / 2, 3 * n / 4, n - 1} {
		<-fs[i].Done()
		for j := range i {
			select {
			case <-fs[j].Done():
			default:
				t.Fatalf("future %d done while future %d, started before it, is not", i, j)
			}
		}
	}
}

// What sessions cost must keep holding: about 3 goroutines and 71 KB each
// (issue 8, 500 sessions).
func TestSessionCost(t *testing.T) {
	n := size(50, 500)
	servers, _ := chroot(t)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap0, g0 := ms.HeapInuse, runtime.NumGoroutine()
	clients := make([]*kazoo.Client, n)
	for i := range clients {
		clients[i] = zktest.Connect(t, servers)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap, g := float64(ms.HeapInuse-heap0)/float64(n), float64(runtime.NumGoroutine()-g0)/float64(n)
	t.Logf("%d sessions: %.1f goroutines and %.1f KB of heap each", n, g, heap/1024)
	if g > 3 {
		t.Errorf("%.1f goroutines per session, want at most 3", g)
	}
	if heap > 128<<10 {
		t.Errorf("%.0f KB of heap per session, want at most 128", heap/1024)
	}
	for _, c := range clients {
		c.Close()
	}
}

// DESIGN.md: async results complete in request order, always; so calls made
// from one goroutine while the client is disconnected reach the server in
// the order made once it reconnects: successive Sets of one node apply in
// that order.
func TestAsyncOrderKeptWhileDisconnected(t *testing.T) {
	const n = 50
	p, c, st, _ := proxiedClient(t, 4*time.Second)
	ctx := testCtx(t, time.Minute)
	if _, _, err := c.Create(ctx, "/o", nil); err != nil {
		t.Fatal(err)
	}
	p.Blackhole()
	st.wait(t, kazoo.Suspended, 10*time.Second)
	fs := make([]*kazoo.Future[kazoo.Stat], n)
	for i := range fs {
		fs[i] = c.SetAsync(ctx, "/o", []byte(strconv.Itoa(i)), kazoo.AnyVersion)
	}
	p.Heal()
	var order []int32
	for i, f := range fs {
		st, err := f.Result()
		if err != nil {
			t.Fatalf("Set %d: %v", i, err)
		}
		order = append(order, st.Version)
	}
	for i, v := range order {
		if v != int32(i+1) {
			t.Errorf("the %d Sets made in order while disconnected were applied as versions %v", n, order)
			break
		}
	}
	if data, _, err := c.Get(ctx, "/o"); err != nil || string(data) != strconv.Itoa(n-1) {
		t.Errorf("/o holds %q (%v), want the last Set's %d", data, err, n-1)
	}
}
