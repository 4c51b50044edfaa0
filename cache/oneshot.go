package cache

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/kazoo-go/kazoo"
)

// oneShot is the engine on one-shot watches, for every server version (like
// Curator's TreeCache): each cached node has a goroutine that holds a data
// and a children watch on it and reads the node again when one fires.
// Reads may complete out of order across nodes; the tree keeps the newest
// version of each node (by czxid, mzxid), and a parent that lists a child
// the cache lacks wakes that child's goroutine to read it again.
type oneShot struct {
	tc      *TreeCache
	ctx     context.Context
	wg      sync.WaitGroup
	mu      sync.Mutex
	running map[string]chan struct{} // path -> wake-up of its goroutine
	again   chan struct{}            // closed on a reconnect, then replaced
	left    []string                 // nodes whose goroutine ended with the cache: their watches stay
	loading int                      // nodes of the first load not read yet
	loaded  bool
}

func newOneShot(tc *TreeCache) *oneShot {
	return &oneShot{tc: tc, running: make(map[string]chan struct{}), again: make(chan struct{})}
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

// resync wakes every node's goroutine to read its node again.
func (o *oneShot) resync() {
	o.mu.Lock()
	close(o.again)
	o.again = make(chan struct{})
	o.mu.Unlock()
}

// spawn starts the goroutine of p, or wakes it if it runs (o.mu held).
func (o *oneShot) spawn(p string) {
	if wake, ok := o.running[p]; ok {
		select {
		case wake <- struct{}{}:
		default:
		}
		return
	}
	wake := make(chan struct{}, 1)
	o.running[p] = wake
	o.wg.Add(1)
	go o.node(p, wake)
}

// loadedOne counts a node of the first load as read, and the children it
// found as still to read.
func (o *oneShot) loadedOne(kids int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.loaded {
		return
	}
	o.loading += kids - 1
	if o.loading == 0 {
		o.loaded = true
		o.tc.initialized()
	}
}

// node keeps p current until it is deleted (and not created again before
// its goroutine ends) or the cache closes.
func (o *oneShot) node(p string, wake chan struct{}) {
	defer o.wg.Done()
	first := true
	for {
		o.watchNode(p, wake, &first)
		o.mu.Lock()
		select {
		case <-wake:
			// A parent listed p again while we were leaving: stay.
			o.mu.Unlock()
			continue
		default:
		}
		delete(o.running, p)
		if o.ctx.Err() != nil {
			o.left = append(o.left, p)
		}
		o.mu.Unlock()
		if first {
			o.loadedOne(0)
		}
		return
	}
}

// watchNode reads p with watches and again on every event, until p is gone.
func (o *oneShot) watchNode(p string, wake chan struct{}, first *bool) {
	ctx, c, t := o.ctx, o.tc.c, &o.tc.t
	isRoot := p == t.root
	withKids := o.tc.cfg.maxDepth != t.depth(p)
	var dataW, kidsW <-chan kazoo.Event
	needData, needKids := true, withKids
	for ctx.Err() == nil {
		if needData {
			data, stat, ch, err := c.GetW(ctx, p)
			if errors.Is(err, kazoo.ErrNoNode) {
				t.mu.Lock()
				t.remove(p)
				t.mu.Unlock()
				if !isRoot {
					return
				}
				// The root waits for its creation.
				ok, _, ch, err := c.ExistsW(ctx, p)
				if err == nil && !ok {
					o.loadIf(first, 0)
					select {
					case <-ch:
					case <-ctx.Done():
					}
				}
				if err != nil && !o.wait(err) {
					return
				}
				continue
			}
			if err != nil {
				if !o.wait(err) {
					return
				}
				continue
			}
			t.mu.Lock()
			t.set(p, data, stat)
			t.mu.Unlock()
			dataW, needData = ch, false
		}
		if needKids {
			kids, stat, ch, err := c.ChildrenW(ctx, p)
			if errors.Is(err, kazoo.ErrNoNode) {
				needData = true
				continue
			}
			if err != nil {
				if !o.wait(err) {
					return
				}
				continue
			}
			n := o.found(p, kids, stat.Pzxid)
			o.loadIf(first, n)
			kidsW, needKids = ch, false
		} else {
			o.loadIf(first, 0)
		}
		o.mu.Lock()
		again := o.again
		o.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case ev := <-dataW:
			needData = true
			needKids = needKids || ev.Type == kazoo.EventNotWatching && withKids
		case ev := <-kidsW:
			needKids = true
			needData = needData || ev.Type == kazoo.EventNotWatching
		case <-wake:
			o.refresh(p, withKids)
		case <-again:
			o.refresh(p, withKids)
		}
	}
}

// loadIf counts the node's first read, once.
func (o *oneShot) loadIf(first *bool, kids int) {
	if *first {
		*first = false
		o.loadedOne(kids)
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
