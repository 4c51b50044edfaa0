package cache

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/kazoo-go/kazoo"
)

// oneShot is the engine on one-shot watches, for every server version (like
// Curator's TreeCache): each cached node holds a data and a children watch
// and is read again when one fires. Nodes are served in groups of up to
// groupSize by one goroutine each, which waits on all their watches at once
// (reflect.Select) and reads them in turn: a goroutine per node would cost
// its stack, several kilobytes, for as long as the node lives.
//
// Reads may complete out of order across groups; the tree keeps the newest
// version of each node (by czxid, mzxid), and a parent that lists a child
// the cache lacks wakes that child to read it again.
type oneShot struct {
	tc      *TreeCache
	ctx     context.Context
	wg      sync.WaitGroup
	mu      sync.Mutex
	running map[string]*node // watched nodes by path
	open    *group           // the group new nodes join while it has room
	again   chan struct{}    // closed on a reconnect, then replaced
	left    []string         // nodes still watched when the cache closed
	loading int              // nodes of the first load not read yet
	loaded  bool
}

// groupSize is how many nodes one goroutine serves.
const groupSize = 64

// node is a watched node. Its group's goroutine alone touches the fields
// but wake, which o.mu guards.
type node struct {
	path               string
	g                  *group
	withKids           bool
	first              bool // its first read is still to count
	dataW, kidsW       <-chan kazoo.Event
	needData, needKids bool // read again, with a watch
	refresh            bool // read again without a watch (its watches stand)
	wake               bool // a parent listed it while the cache lacked it
}

// group is a goroutine serving up to groupSize nodes.
type group struct {
	o      *oneShot
	notify chan struct{} // something is in inbox or woken
	inbox  []*node       // nodes to take in (o.mu held)
	woken  []*node       // nodes to read again (o.mu held)
	size   int           // nodes assigned (o.mu held)
	nodes  []*node       // nodes served: the goroutine's own
	cases  []reflect.SelectCase
}

func newOneShot(tc *TreeCache) *oneShot {
	return &oneShot{tc: tc, running: make(map[string]*node), again: make(chan struct{})}
}

func (o *oneShot) run(ctx context.Context) {
	o.ctx = ctx
	o.mu.Lock()
	o.loading = 1
	o.spawn(o.tc.t.root)
	o.mu.Unlock()
	<-ctx.Done()
	o.wg.Wait()
	o.removeWatches()
}

// resync has every node read again (no watch added: theirs stand).
func (o *oneShot) resync() {
	o.mu.Lock()
	close(o.again)
	o.again = make(chan struct{})
	o.mu.Unlock()
}

// spawn starts watching p, or wakes it if it is watched (o.mu held).
func (o *oneShot) spawn(p string) {
	if n, ok := o.running[p]; ok {
		if !n.wake {
			n.wake = true
			n.g.woken = append(n.g.woken, n)
			n.g.poke()
		}
		return
	}
	g := o.open
	if g == nil || g.size >= groupSize {
		g = &group{o: o, notify: make(chan struct{}, 1)}
		o.open = g
		o.wg.Add(1)
		go g.run()
	}
	n := &node{path: p, g: g, first: true, needData: true}
	n.withKids = o.tc.cfg.maxDepth != o.tc.t.depth(p)
	n.needKids = n.withKids
	o.running[p] = n
	g.size++
	g.inbox = append(g.inbox, n)
	g.poke()
}

func (g *group) poke() {
	select {
	case g.notify <- struct{}{}:
	default:
	}
}

// run serves the group's nodes until the cache closes.
func (g *group) run() {
	o := g.o
	defer o.wg.Done()
	var again chan struct{}
	for {
		o.mu.Lock()
		g.nodes = append(g.nodes, g.inbox...)
		clear(g.inbox)
		g.inbox = g.inbox[:0]
		for _, n := range g.woken {
			if n.wake {
				n.wake, n.refresh = false, true
			}
		}
		clear(g.woken)
		g.woken = g.woken[:0]
		if again == nil {
			again = o.again
		}
		o.mu.Unlock()
		kept := g.nodes[:0]
		for _, n := range g.nodes {
			if g.step(n) || g.stays(n) {
				kept = append(kept, n)
			}
		}
		clear(g.nodes[len(kept):])
		g.nodes = kept
		if o.ctx.Err() != nil {
			o.mu.Lock()
			for _, n := range g.nodes {
				o.left = append(o.left, n.path)
			}
			o.mu.Unlock()
			return
		}
		switch i, ev := g.wait(again); i {
		case -1: // closing: leave at the top of the loop
		case -2: // new nodes or wake-ups
		case -3: // reconnected
			again = nil
			for _, n := range g.nodes {
				n.refresh = true
			}
		default:
			n := g.nodes[i/2]
			if i%2 == 0 {
				n.dataW, n.needData = nil, true
				// The root's creation, or the end of the session: read
				// the children too.
				n.needKids = n.needKids || n.withKids && (ev.Type == kazoo.EventNodeCreated || ev.Type == kazoo.EventNotWatching)
			} else {
				n.kidsW, n.needKids = nil, true
				n.needData = n.needData || ev.Type == kazoo.EventNotWatching
			}
		}
	}
}

// wait waits for a watch of the group to fire (it returns 2*node, +1 for
// the children watch) or for -1 (closing), -2 (notified) or -3 (again).
func (g *group) wait(again chan struct{}) (int, kazoo.Event) {
	g.cases = append(g.cases[:0],
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(g.o.ctx.Done())},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(g.notify)},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(again)})
	for _, n := range g.nodes {
		// A nil channel never fires: a watch not set is simply not waited on.
		g.cases = append(g.cases,
			reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(n.dataW)},
			reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(n.kidsW)})
	}
	i, v, _ := reflect.Select(g.cases)
	if i < 3 {
		return -1 - i, kazoo.Event{}
	}
	return i - 3, v.Interface().(kazoo.Event)
}

// step does the reads n needs, setting its watches; it reports false when
// n is gone (deleted) or the cache is closing.
func (g *group) step(n *node) bool {
	o := g.o
	ctx, c, t := o.ctx, o.tc.c, &o.tc.t
	for ctx.Err() == nil {
		if n.refresh {
			n.refresh = false
			o.refresh(n.path, n.withKids)
		}
		if n.needData {
			data, stat, ch, err := c.GetW(ctx, n.path)
			if errors.Is(err, kazoo.ErrNoNode) {
				t.mu.Lock()
				t.remove(n.path)
				t.mu.Unlock()
				if n.path != t.root {
					return false
				}
				// The root waits for its creation.
				ok, _, ch, err := c.ExistsW(ctx, n.path)
				if err == nil && !ok {
					o.loadIf(n, 0)
					n.dataW, n.needData, n.kidsW, n.needKids = ch, false, nil, false
					return true
				}
				if err != nil && !o.wait(err) {
					return false
				}
				continue
			}
			if err != nil {
				if !o.wait(err) {
					return false
				}
				continue
			}
			t.mu.Lock()
			t.set(n.path, data, stat)
			t.mu.Unlock()
			n.dataW, n.needData = ch, false
		}
		if n.needKids {
			kids, stat, ch, err := c.ChildrenW(ctx, n.path)
			if errors.Is(err, kazoo.ErrNoNode) {
				n.needData = true
				continue
			}
			if err != nil {
				if !o.wait(err) {
					return false
				}
				continue
			}
			o.loadIf(n, o.found(n.path, kids, stat.Pzxid))
			n.kidsW, n.needKids = ch, false
		} else {
			o.loadIf(n, 0)
		}
		return true
	}
	return true // closing: the group records it as left
}

// stays decides, once n's reads found it gone, whether it leaves the group:
// not if a parent listed it again meanwhile (it reads again instead).
func (g *group) stays(n *node) bool {
	o := g.o
	o.mu.Lock()
	defer o.mu.Unlock()
	if n.wake && o.ctx.Err() == nil {
		n.wake = false
		n.needData, n.needKids = true, n.withKids
		return true
	}
	if o.ctx.Err() != nil {
		o.left = append(o.left, n.path)
	}
	delete(o.running, n.path)
	g.size--
	if g.size < groupSize && (o.open == nil || o.open.size >= groupSize) {
		o.open = g // room here
	}
	if n.first {
		n.first = false
		o.countLoaded(0)
	}
	return false
}

// loadIf counts the node's first read, once, and the children it started.
func (o *oneShot) loadIf(n *node, kids int) {
	if n.first {
		n.first = false
		o.mu.Lock()
		o.countLoaded(kids)
		o.mu.Unlock()
	}
}

// countLoaded counts a node of the first load as read, and the children it
// found as still to read (o.mu held).
func (o *oneShot) countLoaded(kids int) {
	if o.loaded {
		return
	}
	o.loading += kids - 1
	if o.loading == 0 {
		o.loaded = true
		o.tc.initialized()
	}
}

// found applies the children the server listed for p and starts watching
// the new ones; it returns how many it started or woke.
func (o *oneShot) found(p string, kids []string, pzxid int64) int {
	t := &o.tc.t
	depth := t.depth(p) + 1
	t.mu.Lock()
	t.keepKids(p, kids, pzxid)
	t.mu.Unlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, k := range kids {
		kp := join(p, k)
		if !o.tc.cfg.wanted(kp, depth) {
			continue
		}
		if _, ok := o.running[kp]; !ok {
			o.spawn(kp)
			n++
		} else if _, cached := t.get(kp); !cached {
			// Its goroutine holds its watches, but a stale list of ours
			// dropped it: wake it to read again.
			o.spawn(kp)
		}
	}
	return n
}

// refresh reads p again without setting watches (its goroutine holds them).
func (o *oneShot) refresh(p string, withKids bool) {
	ctx, t := o.ctx, &o.tc.t
	data, stat, err := o.tc.c.Get(ctx, p)
	if errors.Is(err, kazoo.ErrNoNode) {
		t.mu.Lock()
		t.remove(p)
		t.mu.Unlock()
		return
	}
	if err != nil {
		return // the watches left in place, or the session's end, tell the rest
	}
	t.mu.Lock()
	t.set(p, data, stat)
	t.mu.Unlock()
	if withKids {
		if kids, stat, err := o.tc.c.Children(ctx, p); err == nil {
			o.found(p, kids, stat.Pzxid)
		}
	}
}

// wait pauses after a failed read; it reports false when the cache is closing.
func (o *oneShot) wait(err error) bool {
	if !retryable(o.ctx, err) {
		return false
	}
	return pause(o.ctx, 50*time.Millisecond)
}

// removeWatches takes the cache's watches off the server (3.5+), so a closed
// cache leaves nothing behind. It removes every one-shot watch this client
// holds on those paths: give a cache its own paths, or its own client.
func (o *oneShot) removeWatches() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, p := range o.left {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := o.tc.c.RemoveWatches(ctx, p, kazoo.WatchAny)
			if errors.Is(err, kazoo.ErrUnimplemented) || errors.Is(err, kazoo.ErrUnsupported) {
				cancel() // 3.4: one-shot watches stay until they fire
			}
		}()
	}
	wg.Wait()
}
