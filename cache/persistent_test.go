package cache

import (
	"testing"

	"github.com/kazoo-go/kazoo"
)

// On 3.9 events carry their zxid: an event the cache has already seen the
// effect of (read by an earlier read) asks for no read; anything else does,
// deletions included. EventResync starts a walk of the whole tree.
func TestPersistentSkipsSeenEvents(t *testing.T) {
	cfg, _ := newConfig(nil)
	tc := &TreeCache{cfg: cfg, t: tree{root: "/r"}}
	p := newPersistent(tc)
	tc.t.set("/r", nil, st(1, 1, 5))
	tc.t.set("/r/a", nil, st(5, 7, 5))
	for _, c := range []struct {
		typ  kazoo.EventType
		path string
		zxid int64
		read bool
	}{
		{kazoo.EventNodeDataChanged, "/r/a", 7, false}, // the version cached
		{kazoo.EventNodeDataChanged, "/r/a", 6, false}, // older
		{kazoo.EventNodeCreated, "/r/a", 5, false},     // its creation
		{kazoo.EventNodeDataChanged, "/r/a", 8, true},  // newer
		{kazoo.EventNodeDeleted, "/r/a", 9, true},
		{kazoo.EventNodeCreated, "/r/b", 10, true},        // not cached
		{kazoo.EventNodeDataChanged, "/r/a", -1, true},    // no zxid (before 3.9)
		{kazoo.EventNodeChildrenChanged, "/r", 11, false}, // not from recursive watches
		{kazoo.EventNodeCreated, "/other", 12, false},     // outside the root
		{kazoo.EventResync, "/r", -1, true},               // the engine says changes may be missing: walk
	} {
		before := len(p.backlog)
		p.event(kazoo.Event{Type: c.typ, Path: c.path, Zxid: c.zxid})
		if read := len(p.backlog) > before; read != c.read {
			t.Errorf("%v %s at zxid %d: read %v, want %v", c.typ, c.path, c.zxid, read, c.read)
		}
	}
}
