package cache

import (
	"fmt"
	"log/slog"
	"testing"
)

// A listener that is blocked while a tree churns holds at most one pending
// event per path, and what it then receives replays to the final state.
func TestDispatcherMergesWhileBehind(t *testing.T) {
	release, entered := make(chan struct{}), make(chan struct{})
	state := map[string]string{}
	done := make(chan struct{})
	d := newDispatcher(func(e Event) {
		switch e.Type {
		case Initialized:
			close(entered)
			<-release
		case NodeAdded, NodeUpdated:
			if _, ok := state[e.Node.Path]; ok == (e.Type == NodeAdded) {
				t.Errorf("%v of %s, known %v", e.Type, e.Node.Path, ok)
			}
			state[e.Node.Path] = string(e.Node.Data)
		case NodeRemoved:
			if _, ok := state[e.Node.Path]; !ok {
				t.Errorf("remove of unknown %s", e.Node.Path)
			}
			delete(state, e.Node.Path)
		case ConnectionLost:
			close(done)
		}
	}, slog.Default())
	d.put(Event{Type: Initialized})
	<-entered
	// 100 paths, each added, updated, removed and added again many times;
	// the final state: even paths present with their last value.
	want := map[string]string{}
	for round := range 1000 {
		for i := range 100 {
			p := fmt.Sprintf("/n%d", i)
			v := fmt.Sprint(round)
			d.put(Event{Type: NodeAdded, Node: Node{Path: p, Data: []byte(v)}})
			d.put(Event{Type: NodeUpdated, Node: Node{Path: p, Data: []byte(v + "u")}})
			if i%2 == 1 || round < 999 {
				d.put(Event{Type: NodeRemoved, Node: Node{Path: p}})
			} else {
				want[p] = v + "u"
			}
		}
		d.mu.Lock()
		pending := d.order.Len()
		d.mu.Unlock()
		if pending > 100 {
			t.Fatalf("round %d: %d events pending for 100 paths", round, pending)
		}
	}
	d.put(Event{Type: ConnectionLost})
	close(release)
	<-done
	d.close()
	if fmt.Sprint(state) != fmt.Sprint(want) {
		t.Fatalf("replayed %v\nwant %v", state, want)
	}
}
