package cache

import (
	"context"
	"errors"
	"time"

	"github.com/kazoo-go/kazoo"
)

// persistent is the engine on one persistent recursive watch (ZooKeeper
// 3.6+), like Curator's CuratorCache. Each event asks for a read of the node
// it names; reads go out pipelined from this one goroutine and are applied in
// the order sent, which is the order the server served them: so the cache
// only ever moves forward in the server's history, and a read that sees
// nothing new (same czxid and mzxid) announces nothing. Events say what to
// read, never what to apply: a read sent before an event arrived may
// already show a later state than the event's. A walk (the first
// load, and after every reconnect or failed read) reads the whole tree again
// and drops what the server no longer lists.
type persistent struct {
	tc       *TreeCache
	w        *kazoo.Watcher
	backlog  []want     // reads not sent yet, in order
	inflight []*pending // reads sent, in order
	epoch    int        // walks started; a failure of an older walk's read is covered already
	initLeft int        // reads of the first load not applied yet
	initDone bool
}

// want is one step: read a node's data or its children.
type want struct {
	path    string
	kids    bool // read the children (else the data)
	walk    bool // part of a walk: go on to the children
	initial bool // part of the first load
	epoch   int
}

type pending struct {
	want
	get  *kazoo.Future[kazoo.GetResult]
	list *kazoo.Future[kazoo.ChildrenResult]
}

const (
	maxInflight = 512   // reads in flight at once
	maxBacklog  = 65536 // stop taking events while this many reads wait to be sent
)

func newPersistent(tc *TreeCache) *persistent {
	return &persistent{tc: tc}
}

// resync does nothing: the Watcher itself says when to re-read
// (EventResync, once the server has the watch again, which is the moment a
// walk sees every change it could have missed; the state change may come
// before), and a lost session ends the watch (EventNotWatching), which
// starts a walk on the new one. Walking on the state change too read the
// whole tree twice per reconnect.
func (p *persistent) resync() {}

// watch sets the recursive watch, retrying until it is set or ctx ends.
func (p *persistent) watch(ctx context.Context) bool {
	for {
		w, err := p.tc.c.AddWatch(ctx, p.tc.t.root, true)
		if err == nil {
			p.w = w
			return true
		}
		if !retryable(ctx, err) {
			return false
		}
		p.tc.cfg.log.Debug("kazoo/cache: setting the watch again", "path", p.tc.t.root, "err", err)
		if !pause(ctx, 100*time.Millisecond) {
			return false
		}
	}
}

func (p *persistent) run(ctx context.Context) {
	if !p.watch(ctx) {
		return
	}
	defer p.unwatch()
	p.startWalk()
	for {
		p.send(ctx)
		var head <-chan struct{}
		if len(p.inflight) > 0 {
			head = p.inflight[0].done()
		}
		var events <-chan kazoo.Event
		if len(p.backlog) < maxBacklog {
			events = p.w.Events()
		}
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok || ev.Type == kazoo.EventNotWatching {
				// The session was lost: set the watch again on the new one.
				p.w.Close()
				if !p.watch(ctx) {
					return
				}
				p.startWalk()
				continue
			}
			p.event(ev)
		case <-head:
			for len(p.inflight) > 0 && p.inflight[0].ready() {
				pd := p.inflight[0]
				p.inflight[0] = nil
				p.inflight = p.inflight[1:]
				p.apply(pd)
			}
		}
	}
}

// unwatch removes the watch. Watcher.Close asks the server to remove it
// with the persistent watch types, which servers before 3.9 refuse: ask
// again with WatchAny, which they take.
func (p *persistent) unwatch() {
	p.w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.tc.c.RemoveWatches(ctx, p.tc.t.root, kazoo.WatchAny)
}

// startWalk reads the whole tree again. Until the first load is complete,
// the walk counts as part of it.
func (p *persistent) startWalk() {
	p.epoch++
	p.push(want{path: p.tc.t.root, walk: true, initial: !p.initDone})
}

func (p *persistent) push(w want) {
	w.epoch = p.epoch
	if w.initial {
		p.initLeft++
	}
	p.backlog = append(p.backlog, w)
}

// send starts waiting reads, up to maxInflight.
func (p *persistent) send(ctx context.Context) {
	n := 0
	for n < len(p.backlog) && len(p.inflight) < maxInflight {
		w := p.backlog[n]
		n++
		pd := &pending{want: w}
		if w.kids {
			pd.list = p.tc.c.ChildrenAsync(ctx, w.path)
		} else {
			pd.get = p.tc.c.GetAsync(ctx, w.path)
		}
		p.inflight = append(p.inflight, pd)
	}
	clear(p.backlog[:n])
	p.backlog = p.backlog[n:]
}

// event turns a watch event into a step, skipping what the cache already
// holds when the server tells the event's zxid (3.9+).
func (p *persistent) event(ev kazoo.Event) {
	t := &p.tc.t
	switch ev.Type {
	case kazoo.EventResync:
		p.startWalk()
		return
	case kazoo.EventNodeCreated, kazoo.EventNodeDataChanged, kazoo.EventNodeDeleted:
	default:
		return
	}
	if !p.tc.inScope(ev.Path) {
		return
	}
	if ev.Zxid > 0 {
		t.mu.RLock()
		e := t.find(ev.Path)
		seen := e != nil && (e.stat.Mzxid >= ev.Zxid || e.stat.Czxid >= ev.Zxid)
		t.mu.RUnlock()
		if seen {
			return
		}
	}
	// A deletion is read too, never applied blindly: a read sent before
	// this event arrived may have seen the node created again, and
	// dropping it now would lose that.
	p.push(want{path: ev.Path})
}

// apply applies one completed step, in the order sent.
func (p *persistent) apply(pd *pending) {
	t := &p.tc.t
	if pd.initial {
		defer func() {
			if p.initLeft--; p.initLeft == 0 && !p.initDone {
				p.initDone = true
				p.tc.initialized()
			}
		}()
	}
	var kids []string
	var stat kazoo.Stat
	var err error
	if pd.list != nil {
		var r kazoo.ChildrenResult
		r, err = pd.list.Result()
		kids, stat = r.Children, r.Stat
	} else {
		var r kazoo.GetResult
		r, err = pd.get.Result()
		stat = r.Stat
		if err == nil {
			t.mu.Lock()
			t.set(pd.path, r.Data, r.Stat)
			t.mu.Unlock()
		}
	}
	switch {
	case errors.Is(err, kazoo.ErrNoNode):
		t.mu.Lock()
		t.remove(pd.path)
		t.mu.Unlock()
		return
	case err != nil:
		// Connection or session lost: what this read was to tell may be
		// missing. Walk again (once per failed walk), once reconnected.
		if pd.epoch == p.epoch {
			p.tc.cfg.log.Debug("kazoo/cache: read failed, walking again", "path", pd.path, "err", err)
			p.startWalk()
		}
		return
	case !pd.walk:
		return
	}
	depth := t.depth(pd.path)
	if pd.list == nil {
		if stat.NumChildren > 0 && p.tc.cfg.maxDepth != depth {
			p.push(want{path: pd.path, kids: true, walk: true, initial: pd.initial})
			return
		}
		kids = nil
	}
	t.mu.Lock()
	t.keepKids(pd.path, kids, stat.Pzxid)
	t.mu.Unlock()
	for _, k := range kids {
		kp := join(pd.path, k)
		if p.tc.cfg.wanted(kp, depth+1) {
			p.push(want{path: kp, walk: true, initial: pd.initial})
		}
	}
}

func (pd *pending) done() <-chan struct{} {
	if pd.get != nil {
		return pd.get.Done()
	}
	return pd.list.Done()
}

func (pd *pending) ready() bool {
	select {
	case <-pd.done():
		return true
	default:
		return false
	}
}
