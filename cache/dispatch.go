package cache

import (
	"container/list"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
)

// dispatcher calls one listener on a goroutine of its own, so that a slow or
// blocked listener never stalls the cache, the client or other listeners.
//
// While the listener is behind, events for the same path are merged (an add
// and an update become one add with the newer value; an add and a remove
// cancel out; a remove and an add become an update), so the queue holds at
// most one event per path: a slow listener costs at most the size of the
// tree, never an unbounded backlog. Replaying what it receives onto an empty
// map still gives the cache's state.
type dispatcher struct {
	fn      func(Event)
	log     *slog.Logger
	mu      sync.Mutex
	cond    *sync.Cond
	order   list.List                // of *Event, oldest first
	byPath  map[string]*list.Element // pending node events by path
	closed  bool
	calling bool // a listener call is in progress
	done    chan struct{}
}

func newDispatcher(fn func(Event), log *slog.Logger) *dispatcher {
	d := &dispatcher{fn: fn, log: log, byPath: make(map[string]*list.Element), done: make(chan struct{})}
	d.cond = sync.NewCond(&d.mu)
	go d.run()
	return d
}

// put queues e, merging it with a pending event for the same path. It never
// blocks.
func (d *dispatcher) put(e Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	defer d.cond.Signal()
	key, isNode := e.Node.Path, e.Type <= NodeRemoved
	if !isNode {
		key = "\x00" + e.Type.String() // one pending event per connection event type
	}
	el, ok := d.byPath[key]
	if !ok {
		d.byPath[key] = d.order.PushBack(&e)
		return
	}
	if !isNode {
		d.order.MoveToBack(el)
		return
	}
	old := el.Value.(*Event)
	switch {
	case old.Type == NodeAdded && e.Type == NodeRemoved:
		d.order.Remove(el)
		delete(d.byPath, key)
	case old.Type == NodeAdded:
		old.Node = e.Node // still an add, of the newer value
	case old.Type == NodeRemoved && e.Type == NodeAdded:
		*old = Event{Type: NodeUpdated, Node: e.Node}
	default:
		*old = e
	}
}

func (d *dispatcher) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		for d.order.Len() == 0 && !d.closed {
			d.cond.Wait()
		}
		if d.closed {
			d.mu.Unlock()
			return
		}
		e := d.order.Remove(d.order.Front()).(*Event)
		if e.Type <= NodeRemoved {
			delete(d.byPath, e.Node.Path)
		} else {
			delete(d.byPath, "\x00"+e.Type.String())
		}
		d.calling = true
		d.mu.Unlock()
		d.call(*e)
		d.mu.Lock()
		d.calling = false
		d.mu.Unlock()
	}
}

// call runs the listener; a panic is logged with its stack and the listener
// goes on receiving events.
func (d *dispatcher) call(e Event) {
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("kazoo/cache: listener panicked", "event", e.Type.String(), "path", e.Node.Path,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	d.fn(e)
}

// close drops pending events and waits for the listener's goroutine to end,
// unless a listener call is in progress: that call may be the one closing
// (or may block forever), so the goroutine ends by itself once it returns.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.order.Init()
	clear(d.byPath)
	d.cond.Signal()
	calling := d.calling
	d.mu.Unlock()
	if !calling {
		<-d.done
	}
}
