package kazoo_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

const eventWait = 10 * time.Second

func TestOneShotWatches(t *testing.T) {
	root := zktest.Shared(t).Chroot(t)
	c, other, ctx := zktest.Connect(t, root), zktest.Connect(t, root), testCtx(t)

	// exists on a missing node fires on creation.
	ok, _, created, err := c.ExistsW(ctx, "/n")
	if ok || err != nil {
		t.Fatalf("ExistsW = %v, %v", ok, err)
	}
	// Three watchers of the same node all hear of the change.
	var children [3]<-chan kazoo.Event
	for i := range children {
		if _, _, children[i], err = c.ChildrenW(ctx, "/"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := other.Create(ctx, "/n", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, created, eventWait); ev.Type != kazoo.EventNodeCreated || ev.Path != "/n" {
		t.Errorf("exists watch: %+v", ev)
	}
	for _, ch := range children {
		if ev := waitEvent(t, ch, eventWait); ev.Type != kazoo.EventNodeChildrenChanged || ev.Path != "/" {
			t.Errorf("children watch: %+v", ev)
		}
	}

	// A data watch fires once, on the first change only.
	data, _, changed, err := c.GetW(ctx, "/n")
	if err != nil || string(data) != "1" {
		t.Fatalf("GetW = %q, %v", data, err)
	}
	for i := 0; i < 3; i++ {
		if _, err := other.Set(ctx, "/n", []byte("2"), kazoo.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	if ev := waitEvent(t, changed, eventWait); ev.Type != kazoo.EventNodeDataChanged || ev.Path != "/n" {
		t.Errorf("data watch: %+v", ev)
	}
	noEvent(t, c, changed)

	// Deletion reaches data, exists and children watches.
	_, _, dataW, _ := c.GetW(ctx, "/n")
	_, _, existsW, _ := c.ExistsW(ctx, "/n")
	_, _, childW, _ := c.ChildrenW(ctx, "/n")
	if err := other.Delete(ctx, "/n", kazoo.AnyVersion); err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]<-chan kazoo.Event{"data": dataW, "exists": existsW, "children": childW} {
		if ev := waitEvent(t, ch, eventWait); ev.Type != kazoo.EventNodeDeleted {
			t.Errorf("%s watch on delete: %+v", name, ev)
		}
	}

	// No watch is left by a failed GetW.
	if _, _, ch, err := c.GetW(ctx, "/n"); !errors.Is(err, kazoo.ErrNoNode) || ch != nil {
		t.Errorf("GetW missing = %v, %v", ch, err)
	}
}

func TestPersistentWatches(t *testing.T) {
	requireOp(t, proto.OpAddWatch)
	root := zktest.Shared(t).Chroot(t)
	// Servers before 3.9 keep one watch mode per session and path
	// (ZOOKEEPER-4466), so each kind of watch gets its own client here.
	c, c2, other, ctx := zktest.Connect(t, root), zktest.Connect(t, root), zktest.Connect(t, root), testCtx(t)
	if _, _, err := other.Create(ctx, "/app", nil); err != nil {
		t.Fatal(err)
	}
	node, err := c.AddWatch(ctx, "/app", false)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := c2.AddWatch(ctx, "/app", true)
	if err != nil {
		t.Fatal(err)
	}
	// Make changes without reading events: the queues hold them all.
	const n = 50
	for i := 0; i < n; i++ {
		if _, err := other.Set(ctx, "/app", []byte{byte(i)}, kazoo.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := other.Create(ctx, "/app/x/y", nil, kazoo.WithParents()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if ev := waitEvent(t, node.Events(), eventWait); ev.Type != kazoo.EventNodeDataChanged {
			t.Fatalf("node watch event %d: %+v", i, ev)
		}
	}
	if ev := waitEvent(t, node.Events(), eventWait); ev.Type != kazoo.EventNodeChildrenChanged || ev.Path != "/app" {
		t.Errorf("node watch child event: %+v", ev)
	}
	for i := 0; i < n; i++ {
		if ev := waitEvent(t, tree.Events(), eventWait); ev.Type != kazoo.EventNodeDataChanged {
			t.Fatalf("tree watch event %d: %+v", i, ev)
		}
	}
	for _, want := range []string{"/app/x", "/app/x/y"} {
		if ev := waitEvent(t, tree.Events(), eventWait); ev.Type != kazoo.EventNodeCreated || ev.Path != want {
			t.Errorf("tree watch: %+v, want NodeCreated %s", ev, want)
		}
	}
	// Recursive watches see no child events: the next event is a marker
	// change made after them (the server keeps a session's events in order).
	if _, err := other.Set(ctx, "/app/x", []byte("marker"), kazoo.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, tree.Events(), eventWait); ev.Type != kazoo.EventNodeDataChanged || ev.Path != "/app/x" {
		t.Errorf("tree watch: %+v, want the marker change (NodeDataChanged /app/x)", ev)
	}

	if err := node.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-node.Events(); ok {
		t.Error("closed watcher still delivers")
	}
	tree.Close()
}

func TestRemoveAndCheckWatches(t *testing.T) {
	requireOp(t, proto.OpRemoveWatches)
	c, ctx := connect(t), testCtx(t)
	if _, _, err := c.Create(ctx, "/w", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckWatches(ctx, "/w", kazoo.WatchData); !errors.Is(err, kazoo.ErrNoWatcher) {
		t.Errorf("CheckWatches without watch: %v", err)
	}
	_, _, ch, err := c.GetW(ctx, "/w")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckWatches(ctx, "/w", kazoo.WatchData); err != nil {
		t.Errorf("CheckWatches with watch: %v", err)
	}
	if err := c.RemoveWatches(ctx, "/w", kazoo.WatchData); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, ch, eventWait); ev.Type != kazoo.EventDataWatchRemoved {
		t.Errorf("removed watch got %+v", ev)
	}
	if err := c.RemoveWatches(ctx, "/w", kazoo.WatchData); !errors.Is(err, kazoo.ErrNoWatcher) {
		t.Errorf("RemoveWatches again: %v", err)
	}
}

// TestManyWatchesSurviveReconnect re-registers more than 128 KB of watched
// paths (several setWatches batches) and checks that no change made while
// the client was away is lost, and that a consumer reading late loses
// nothing.
func TestManyWatchesSurviveReconnect(t *testing.T) {
	srv := zktest.Shared(t)
	root := srv.Chroot(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, proxy.Addr()+root[len(srv.Addr()):], kazoo.WithSessionTimeout(10*time.Second))
	other, ctx := zktest.Connect(t, root), testCtx(t)
	const n = 1500
	name := func(i int) string { return fmt.Sprintf("/%0120d", i) } // 1500 x 121 bytes > 128 KB
	var futs []*kazoo.Future[kazoo.CreateResult]
	for i := 0; i < n; i++ {
		futs = append(futs, other.CreateAsync(ctx, name(i), nil))
	}
	for _, f := range futs {
		if _, err := f.Result(); err != nil {
			t.Fatal(err)
		}
	}
	chans := make([]<-chan kazoo.Event, n)
	for i := range chans {
		_, _, ch, err := c.GetW(ctx, name(i))
		if err != nil {
			t.Fatal(err)
		}
		chans[i] = ch
	}
	sub := c.SubscribeStates()
	defer sub.Stop()
	proxy.Blackhole()
	proxy.ResetAll()
	waitState(t, sub, kazoo.Suspended, 10*time.Second)
	var sets []*kazoo.Future[kazoo.Stat]
	for i := 0; i < n; i++ {
		sets = append(sets, other.SetAsync(ctx, name(i), []byte("changed"), kazoo.AnyVersion))
	}
	for _, f := range sets {
		if _, err := f.Result(); err != nil {
			t.Fatal(err)
		}
	}
	proxy.Heal()
	waitState(t, sub, kazoo.Connected, 10*time.Second)
	for i, ch := range chans {
		if ev := waitEvent(t, ch, eventWait); ev.Type != kazoo.EventNodeDataChanged || ev.Path != name(i) {
			t.Fatalf("watch %d: %+v", i, ev)
		}
	}
}
