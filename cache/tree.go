package cache

import (
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/kazoo-go/kazoo"
)

// entry is one cached node. Leaves (most nodes) carry no child map, so a node
// costs its data, its Stat and one slot in its parent's map.
type entry struct {
	data []byte
	stat kazoo.Stat
	kids map[string]*entry
}

// tree is a cache's state: the node at root and the nodes below it, updated
// by the engines and read by snapshots. Every change is announced to the
// listeners under the same lock, so they see changes in the order made.
type tree struct {
	mu        sync.RWMutex
	root      string
	top       *entry // nil while the root node is absent
	listeners []*dispatcher
}

// rel splits p (below or at root) into its names under root.
func (t *tree) rel(p string) ([]string, bool) {
	if p == t.root {
		return nil, true
	}
	prefix := t.root + "/"
	if t.root == "/" {
		prefix = "/"
	}
	if !strings.HasPrefix(p, prefix) {
		return nil, false
	}
	return strings.Split(p[len(prefix):], "/"), true
}

// find returns the entry at p (t.mu held).
func (t *tree) find(p string) *entry {
	names, ok := t.rel(p)
	if !ok {
		return nil
	}
	e := t.top
	for _, n := range names {
		if e == nil {
			return nil
		}
		e = e.kids[n]
	}
	return e
}

// emit hands e to every listener (t.mu held).
func (t *tree) emit(e Event) {
	for _, d := range t.listeners {
		d.put(e)
	}
}

// set stores the node read at p (t.mu held) and reports whether it changed
// anything. A read older than what is cached (by czxid, then mzxid) is
// ignored, so a change is announced once whatever the number of reads that
// saw it. A node whose parent is not cached is ignored too: its parent was
// deleted after the read, and it with it.
func (t *tree) set(p string, data []byte, stat kazoo.Stat) bool {
	names, ok := t.rel(p)
	if !ok {
		return false
	}
	if len(names) == 0 {
		if t.top == nil {
			t.top = &entry{data: data, stat: stat}
			t.emit(Event{Type: NodeAdded, Node: Node{Path: p, Data: data, Stat: stat}})
			return true
		}
		return t.update(t.top, p, data, stat)
	}
	parent := t.top
	for _, n := range names[:len(names)-1] {
		if parent == nil {
			return false
		}
		parent = parent.kids[n]
	}
	if parent == nil {
		return false
	}
	name := names[len(names)-1]
	if e := parent.kids[name]; e != nil {
		return t.update(e, p, data, stat)
	}
	if parent.kids == nil {
		parent.kids = make(map[string]*entry)
	}
	parent.kids[strings.Clone(name)] = &entry{data: data, stat: stat}
	t.emit(Event{Type: NodeAdded, Node: Node{Path: p, Data: data, Stat: stat}})
	return true
}

func (t *tree) update(e *entry, p string, data []byte, stat kazoo.Stat) bool {
	if stat.Czxid < e.stat.Czxid || stat.Czxid == e.stat.Czxid && stat.Mzxid <= e.stat.Mzxid {
		// Same version or older; keep the newest child counters all the same.
		if stat.Czxid == e.stat.Czxid && stat.Pzxid > e.stat.Pzxid {
			e.stat.Cversion, e.stat.NumChildren, e.stat.Pzxid = stat.Cversion, stat.NumChildren, stat.Pzxid
		}
		return false
	}
	if stat.Czxid != e.stat.Czxid {
		// Deleted and created again between two reads: its old children
		// went with it. Children created after it are the new node's,
		// read already.
		for name, k := range e.kids {
			if k.stat.Czxid < stat.Czxid {
				t.remove(join(p, name))
			}
		}
	}
	e.data, e.stat = data, stat
	t.emit(Event{Type: NodeUpdated, Node: Node{Path: p, Data: data, Stat: stat}})
	return true
}

// remove drops the node at p and everything below it, announcing the
// deepest nodes first (t.mu held). It reports whether p was cached.
func (t *tree) remove(p string) bool {
	names, ok := t.rel(p)
	if !ok {
		return false
	}
	if len(names) == 0 {
		if t.top == nil {
			return false
		}
		e := t.top
		t.dropKids(p, e)
		t.top = nil
		t.emit(Event{Type: NodeRemoved, Node: Node{Path: p, Data: e.data, Stat: e.stat}})
		return true
	}
	parent := t.find(parentOf(p))
	name := names[len(names)-1]
	if parent == nil || parent.kids[name] == nil {
		return false
	}
	e := parent.kids[name]
	t.dropKids(p, e)
	delete(parent.kids, name)
	if len(parent.kids) == 0 {
		parent.kids = nil
	}
	t.emit(Event{Type: NodeRemoved, Node: Node{Path: p, Data: e.data, Stat: e.stat}})
	return true
}

// dropKids removes e's descendants, announcing each removal.
func (t *tree) dropKids(p string, e *entry) {
	for name, k := range e.kids {
		kp := join(p, name)
		t.dropKids(kp, k)
		t.emit(Event{Type: NodeRemoved, Node: Node{Path: kp, Data: k.data, Stat: k.stat}})
	}
	e.kids = nil
}

// keepKids removes the children of p that are not in names, the children
// the server listed when its last child change was pzxid (t.mu held). A
// cached child created after pzxid was read after the list: it stays.
func (t *tree) keepKids(p string, names []string, pzxid int64) {
	e := t.find(p)
	if e == nil || len(e.kids) == 0 {
		return
	}
	keep := make(map[string]struct{}, len(names))
	for _, n := range names {
		keep[n] = struct{}{}
	}
	for name, k := range e.kids {
		if _, ok := keep[name]; !ok && k.stat.Czxid <= pzxid {
			t.remove(join(p, name))
		}
	}
}

// kidNames returns the names of the cached children of p (t.mu held).
func (t *tree) kidNames(p string) []string {
	e := t.find(p)
	if e == nil {
		return nil
	}
	names := make([]string, 0, len(e.kids))
	for n := range e.kids {
		names = append(names, n)
	}
	return names
}

// get returns the cached node at p.
func (t *tree) get(p string) (Node, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	e := t.find(p)
	if e == nil {
		return Node{}, false
	}
	return Node{Path: p, Data: e.data, Stat: e.stat}, true
}

// children returns the sorted names of the cached children of p, and
// whether p is cached.
func (t *tree) children(p string) ([]string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.find(p) == nil {
		return nil, false
	}
	names := t.kidNames(p)
	slices.Sort(names)
	return names, true
}

// walk yields every cached node, parents before children, children in name
// order. It holds the read lock only while copying one node's children, so
// a long walk never stalls the cache; nodes changed meanwhile appear as they
// are when reached.
func (t *tree) walk() iter.Seq2[string, Node] {
	return func(yield func(string, Node) bool) {
		var visit func(p string) bool
		visit = func(p string) bool {
			n, ok := t.get(p)
			if !ok {
				return true
			}
			if !yield(p, n) {
				return false
			}
			kids, _ := t.children(p)
			for _, k := range kids {
				if !visit(join(p, k)) {
					return false
				}
			}
			return true
		}
		visit(t.root)
	}
}

// depth is how many names p has below root.
func (t *tree) depth(p string) int {
	names, _ := t.rel(p)
	return len(names)
}

func join(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

func parentOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// closeListeners stops every listener; events after it go nowhere.
func (t *tree) closeListeners() {
	t.mu.Lock()
	ls := t.listeners
	t.listeners = nil
	t.mu.Unlock()
	for _, d := range ls {
		d.close()
	}
}
