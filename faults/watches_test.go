package faults

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// nextEvent waits for the next event on ch, failing the test after d.
func nextEvent(t testing.TB, ch <-chan kazoo.Event, d time.Duration, what string) kazoo.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
		return ev
	case <-time.After(d):
		t.Fatalf("%s: no event within %v", what, d)
	}
	return kazoo.Event{}
}

// serverWatches returns the server paths on which the shared server holds a
// watch for session id.
func serverWatches(t testing.TB, ctx context.Context, id int64) map[string]bool {
	t.Helper()
	m, err := zktest.Shared(t).Watches(ctx, id)
	if err != nil {
		t.Fatalf("wchp: %v", err)
	}
	return m
}

// waitServerWatch waits until the server holds (or no longer holds) a watch
// on path for session id, and reports whether it got there within d.
func waitServerWatch(t testing.TB, ctx context.Context, id int64, path string, held bool, d time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if serverWatches(t, ctx, id)[path] == held {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond) // polling the server's own view, with a deadline
	}
}

// Defect D: the server does not replay changes to persistent watches made
// while the client was away. A Watcher must say so in its stream
// (EventResync once re-registered), so that whoever keeps state re-reads.
func TestPersistentWatchMarksReconnect(t *testing.T) {
	zktest.RequireOp(t, zktest.Shared(t), proto.OpAddWatch)
	for _, recursive := range []bool{false, true} {
		t.Run(fmt.Sprintf("recursive=%v", recursive), func(t *testing.T) {
			p, c, st, direct := proxiedClient(t, 4*time.Second)
			w := zktest.Connect(t, direct)
			ctx := testCtx(t, time.Minute)
			node := "/d"
			if _, _, err := w.Create(ctx, "/d", nil); err != nil {
				t.Fatal(err)
			}
			if recursive {
				node = "/d/child"
				if _, _, err := w.Create(ctx, node, nil); err != nil {
					t.Fatal(err)
				}
			}
			watcher, err := c.AddWatch(ctx, "/d", recursive)
			if err != nil {
				t.Fatal(err)
			}
			defer watcher.Close()
			set := func(v string) {
				t.Helper()
				if _, err := w.Set(ctx, node, []byte(v), kazoo.AnyVersion); err != nil {
					t.Fatal(err)
				}
			}
			set("1")
			if ev := nextEvent(t, watcher.Events(), 10*time.Second, "change before the fault"); ev.Type != kazoo.EventNodeDataChanged {
				t.Fatalf("first event %+v, want NodeDataChanged", ev)
			}

			// A change whose notification dies with the connection.
			p.Blackhole()
			set("2")
			p.ResetAll()
			p.Heal()
			st.wait(t, kazoo.Suspended, 10*time.Second)
			st.wait(t, kazoo.Connected, 20*time.Second)
			ev := nextEvent(t, watcher.Events(), 5*time.Second, "after the reconnect (EventResync due)")
			if ev.Type != kazoo.EventResync {
				t.Fatalf("first event after the reconnect %+v, want EventResync: the change made while away was missed silently", ev)
			}
			set("3")
			if ev := nextEvent(t, watcher.Events(), 10*time.Second, "change after the resync"); ev.Type != kazoo.EventNodeDataChanged || ev.Path != node {
				t.Fatalf("event %+v, want NodeDataChanged on %s", ev, node)
			}
		})
	}
}

// Defect D under load: a recursive watch over many changes and several
// connection resets. Every change is either delivered, once and in order,
// or lies in a gap the stream marks with EventResync.
func TestRecursiveWatchGapsAreMarked(t *testing.T) {
	zktest.RequireOp(t, zktest.Shared(t), proto.OpAddWatch)
	nodes := size(150, 1000)
	setsPerNode := size(2, 3)
	resets := size(3, 7)
	p, servers, direct := proxied(t)
	c := zktest.Connect(t, servers, kazoo.WithSessionTimeout(4*time.Second))
	w := zktest.Connect(t, direct)
	ctx := testCtx(t, 5*time.Minute)
	if _, _, err := w.Create(ctx, "/s", nil); err != nil {
		t.Fatal(err)
	}
	watcher, err := c.AddWatch(ctx, "/s", true)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()

	// The expected events, in the order the writer makes the changes:
	// every node created, then each node's data changed, round after
	// round, so that one node's changes lie far apart.
	type change struct {
		typ  kazoo.EventType
		path string
	}
	var want []change
	at := make(map[change][]int) // where each change occurs in want
	for round := 0; round <= setsPerNode; round++ {
		for i := range nodes {
			ch := change{kazoo.EventNodeDataChanged, fmt.Sprintf("/s/n-%05d", i)}
			if round == 0 {
				ch.typ = kazoo.EventNodeCreated
			}
			at[ch] = append(at[ch], len(want))
			want = append(want, ch)
		}
	}

	// The stream as received: indexes into want, and -1 for EventResync.
	got := make(chan []int, 1)
	const sentinel = "/s/end"
	go func() {
		var seq []int
		last := -1
		for ev := range watcher.Events() {
			switch {
			case ev.Type == kazoo.EventResync:
				seq = append(seq, -1)
			case ev.Path == sentinel:
				got <- seq
				return
			default:
				// The first occurrence after the last event received: a
				// gap is a few changes long, a node's changes lie a round
				// apart.
				i := len(want)
				for _, j := range at[change{ev.Type, ev.Path}] {
					if j > last {
						i = j
						break
					}
				}
				seq = append(seq, i)
				last = i
			}
		}
		got <- seq
	}()

	const gap = 10 // changes made while partitioned, before each reset
	every := len(want) / (resets + 1)
	healAt := -1
	for i, ch := range want {
		if i > 0 && i%every == 0 && i/every <= resets {
			p.Blackhole()
			healAt = i + gap
		}
		if i == healAt {
			// The notifications held by the partition die with the
			// connection.
			p.ResetAll()
			p.Heal()
		}
		var err error
		if ch.typ == kazoo.EventNodeCreated {
			_, _, err = w.Create(ctx, ch.path, nil)
		} else {
			_, err = w.Set(ctx, ch.path, []byte(strconv.Itoa(i)), kazoo.AnyVersion)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// The end: a change the watcher sees once it is back for good.
	if _, _, err := w.Create(ctx, sentinel, nil); err != nil {
		t.Fatal(err)
	}
	var seq []int
	for seq == nil {
		select {
		case seq = <-got:
		case <-time.After(2 * time.Second):
			// Not seen: the watch may be re-registering; change it again.
			if _, err := w.Set(ctx, sentinel, nil, kazoo.AnyVersion); err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			t.Fatal("the sentinel change never reached the watcher")
		}
	}
	checkGapsMarked(t, seq, len(want), resets)
}

// checkGapsMarked checks a watcher's stream: seq holds, in the order
// received, the index of each change (0 to n-1, in the order made) and -1
// for each EventResync. Changes arrive in order and at most once, and every
// change missing lies in a gap marked by an EventResync between the
// changes received around it.
func checkGapsMarked(t *testing.T, seq []int, n, reconnects int) {
	t.Helper()
	pos := make([]int, n) // where change i was received in seq, or -1
	for i := range pos {
		pos[i] = -1
	}
	last, resyncs := -1, 0
	for k, i := range seq {
		switch {
		case i < 0:
			resyncs++
			continue
		case i >= n:
			t.Errorf("event %d of the stream matches no change made", k)
			continue
		case i <= last:
			t.Errorf("change %d received after change %d: out of order or twice", i, last)
			continue
		}
		pos[i], last = k, i
	}
	missed, unmarked := 0, 0
	for m := range n {
		if pos[m] >= 0 {
			continue
		}
		missed++
		before, after := -1, len(seq)
		for i := m - 1; i >= 0; i-- {
			if pos[i] >= 0 {
				before = pos[i]
				break
			}
		}
		for i := m + 1; i < n; i++ {
			if pos[i] >= 0 {
				after = pos[i]
				break
			}
		}
		marked := false
		for k := before + 1; k < after; k++ {
			marked = marked || seq[k] < 0
		}
		if !marked {
			if unmarked < 5 {
				t.Errorf("change %d missed with no EventResync around it", m)
			}
			unmarked++
		}
	}
	t.Logf("%d changes, %d received, %d missed (%d unmarked), %d EventResync, %d reconnects",
		n, n-missed, missed, unmarked, resyncs, reconnects)
	if unmarked > 0 {
		t.Errorf("%d of %d changes missed silently", unmarked, n)
	}
	if reconnects > 0 && resyncs == 0 {
		t.Errorf("no EventResync over %d reconnects", reconnects)
	}
}

// Defect E: Watcher.Close removes the server's watch when it was the last
// local one, on every server version (before 3.9 the server refuses the
// persistent watcher types in removeWatches).
func TestWatcherCloseRemovesServerWatch(t *testing.T) {
	zktest.RequireOp(t, zktest.Shared(t), proto.OpAddWatch)
	for _, recursive := range []bool{false, true} {
		t.Run(fmt.Sprintf("recursive=%v", recursive), func(t *testing.T) {
			servers, root := chroot(t)
			c := zktest.Connect(t, servers)
			ctx := testCtx(t, time.Minute)
			watcher, err := c.AddWatch(ctx, "/e", recursive)
			if err != nil {
				t.Fatal(err)
			}
			id := c.SessionID()
			if !waitServerWatch(t, ctx, id, root+"/e", true, 5*time.Second) {
				t.Fatalf("wchp does not list %s/e for session 0x%x after AddWatch", root, id)
			}
			watcher.Close()
			if !waitServerWatch(t, ctx, id, root+"/e", false, 5*time.Second) {
				t.Errorf("the server still holds the watch on %s/e 5s after Watcher.Close (ZooKeeper %s)", root, zktest.Shared(t).Version())
			}
		})
	}
}

// Item 6: RemoveWatches of a persistent watch ends the local Watcher too,
// so that the next reconnect does not register it again.
func TestRemoveWatchesEndsWatcher(t *testing.T) {
	zktest.RequireOp(t, zktest.Shared(t), proto.OpAddWatch)
	p, c, st, direct := proxiedClient(t, 4*time.Second)
	root := direct[strings.Index(direct, "/"):]
	ctx := testCtx(t, time.Minute)
	watcher, err := c.AddWatch(ctx, "/r", false)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	if err := c.RemoveWatches(ctx, "/r", kazoo.WatchPersistent); err != nil {
		t.Fatalf("RemoveWatches of a persistent watch the client holds: %v", err)
	}
	// The watcher ends: a removal or terminal event at most, then closed.
	deadline := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case ev, ok := <-watcher.Events():
			if ok && ev.Type != kazoo.EventPersistentWatchRemoved && ev.Type != kazoo.EventNotWatching {
				t.Errorf("event %+v after RemoveWatches", ev)
			}
			open = ok
		case <-deadline:
			t.Fatal("the Watcher is still open 5s after RemoveWatches removed its watch")
		}
	}
	// A reconnect must not bring the watch back.
	p.ResetAll()
	st.wait(t, kazoo.Suspended, 10*time.Second)
	st.wait(t, kazoo.Connected, 20*time.Second)
	if _, _, err := c.Exists(ctx, "/"); err != nil { // after the watches re-sent, in order
		t.Fatal(err)
	}
	if serverWatches(t, ctx, c.SessionID())[root+"/r"] {
		t.Errorf("the reconnect registered the removed watch on %s/r again", root)
	}
}

// Defect F: Close leaves no goroutine behind, even when nobody drains a
// Watcher's or a state subscription's channel.
func TestCloseLeavesNoDeliveryGoroutine(t *testing.T) {
	persistent := !zktest.Shared(t).Version().Less(proto.Version{Major: 3, Minor: 6})
	servers, _ := chroot(t)
	w := zktest.Connect(t, servers)
	ctx := testCtx(t, time.Minute)
	before := goleak.IgnoreCurrent()

	c, err := kazoo.Connect(ctx, servers)
	if err != nil {
		t.Fatal(err)
	}
	sub := c.SubscribeStates() // never read
	var events <-chan kazoo.Event
	if persistent {
		watcher, err := c.AddWatch(ctx, "/f", false)
		if err != nil {
			t.Fatal(err)
		}
		events = watcher.Events()
	}
	for i := range 3 { // events queued for nobody
		if _, _, err := w.Create(ctx, fmt.Sprintf("/f%d", i), nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.Create(ctx, "/f", nil); err != nil {
			t.Fatal(err)
		}
		if err := w.Delete(ctx, "/f", kazoo.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	if err := goleak.Find(before); err != nil {
		t.Errorf("goroutines left after Close with undrained channels:\n%v", err)
	}
	// Drain, so that what leaked ends before the package's leak check.
	drain := func(name string, ch <-chan struct{}) {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Errorf("%s channel not closed 10s after Close", name)
		}
	}
	drain("state", chanDone(sub.C()))
	if events != nil {
		drain("watcher", chanDone(events))
	}
}

// chanDone drains ch on a goroutine and reports when it is closed.
func chanDone[T any](ch <-chan T) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range ch {
		}
	}()
	return done
}

// One-shot watches are re-registered after a reset and every event is
// delivered exactly once: changes made while disconnected (the server
// fires them on re-registration) and after.
func TestOneShotWatchesSurviveReset(t *testing.T) {
	n := size(2000, 100000)
	p, c, st, direct := proxiedClient(t, 10*time.Second)
	w := zktest.Connect(t, direct)
	ctx := testCtx(t, 10*time.Minute)
	if _, _, err := w.Create(ctx, "/o", nil); err != nil {
		t.Fatal(err)
	}
	name := func(i int) string { return fmt.Sprintf("/o/n-%06d", i) }
	chans := make([]<-chan kazoo.Event, n)
	futures := make([]*kazoo.Future[kazoo.ExistsResult], n)
	for i := range n {
		futures[i], chans[i] = c.ExistsWAsync(ctx, name(i))
	}
	for i, f := range futures {
		if r, err := f.Result(); err != nil || r.Exists {
			t.Fatalf("ExistsW %s: %+v, %v", name(i), r, err)
		}
	}
	createAll := func(from, to int) {
		t.Helper()
		fs := make([]*kazoo.Future[kazoo.CreateResult], 0, to-from)
		for i := from; i < to; i++ {
			fs = append(fs, w.CreateAsync(ctx, name(i), nil))
		}
		for _, f := range fs {
			if _, err := f.Result(); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Some nodes appear while the client is partitioned (a partition
	// shorter than the session timeout); their notifications die with the
	// connection, and the server fires them again when every watch is
	// re-registered.
	missed := min(n/2, 1000)
	p.Blackhole()
	createAll(0, missed)
	reset := time.Now()
	p.ResetAll()
	p.Heal()
	st.wait(t, kazoo.Suspended, 10*time.Second)
	connected := st.wait(t, kazoo.Connected, 30*time.Second)
	for i := range missed {
		ev := nextEvent(t, chans[i], 30*time.Second, name(i))
		if ev.Type != kazoo.EventNodeCreated || ev.Path != name(i) {
			t.Fatalf("%s: event %+v, want NodeCreated", name(i), ev)
		}
	}
	t.Logf("%d watches: reconnected %v after the reset, the %d missed events delivered %v after that",
		n, connected.Sub(reset).Round(time.Millisecond), missed, time.Since(connected).Round(time.Millisecond))
	createAll(missed, n)
	for i := missed; i < n; i++ {
		ev := nextEvent(t, chans[i], 30*time.Second, name(i))
		if ev.Type != kazoo.EventNodeCreated || ev.Path != name(i) {
			t.Fatalf("%s: event %+v, want NodeCreated", name(i), ev)
		}
	}
	// A last watch fires after every event above has been delivered:
	// a second event on any channel would be there by now.
	_, _, last, err := c.ExistsW(ctx, "/o/last")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Create(ctx, "/o/last", nil); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, last, 30*time.Second, "/o/last")
	for i, ch := range chans {
		select {
		case ev := <-ch:
			t.Fatalf("%s: second event %+v", name(i), ev)
		default:
		}
	}
}
