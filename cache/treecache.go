package cache

import (
	"context"
	"errors"
	"iter"
	"sync"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
)

// TreeCache keeps a copy of a node and its descendants current: kazoo's
// TreeCache API with Curator's events. It converges to the server's tree
// after every reconnect and session loss (see docs/watchers.md).
type TreeCache struct {
	c      *kazoo.Client
	cfg    *config
	t      tree
	mode   Mode
	cancel context.CancelFunc
	wg     sync.WaitGroup
	init   chan struct{}
	once   sync.Once
	eng    engine
}

// engine is how a TreeCache learns of changes: persistent or one-shot watches.
type engine interface {
	run(ctx context.Context)
	resync() // the client reconnected: re-read what may have changed
}

// NewTreeCache starts caching path and everything below it and returns at
// once; the Initialized event (and [TreeCache.Initialized]) tells when the
// first load is complete. ctx bounds only the start (asking the server's
// version in Auto mode). Close the cache when done.
func NewTreeCache(ctx context.Context, c *kazoo.Client, path string, opts ...Option) (*TreeCache, error) {
	if err := kazoo.ValidatePath(path); err != nil {
		return nil, err
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	tc := &TreeCache{c: c, cfg: cfg, t: tree{root: path}, mode: cfg.mode, init: make(chan struct{})}
	if tc.mode == Auto {
		tc.mode = OneShot
		if v, err := c.ServerVersion(ctx); err == nil && !v.Less(proto.Version{Major: 3, Minor: 6}) {
			tc.mode = Persistent
		} else if err != nil && ctx.Err() != nil {
			return nil, err
		}
	}
	for _, fn := range cfg.listeners {
		tc.t.listeners = append(tc.t.listeners, newDispatcher(fn, cfg.log))
	}
	if tc.mode == Persistent {
		tc.eng = newPersistent(tc)
	} else {
		tc.eng = newOneShot(tc)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	tc.cancel = cancel
	states := c.SubscribeStates()
	tc.wg.Add(2)
	go func() { defer tc.wg.Done(); tc.eng.run(runCtx) }()
	go func() { defer tc.wg.Done(); tc.followStates(runCtx, states) }()
	return tc, nil
}

// Mode returns how the cache watches: Persistent or OneShot.
func (tc *TreeCache) Mode() Mode { return tc.mode }

// followStates announces the client's transitions and has the engine re-read
// after a reconnect: the server does not replay changes to persistent
// watches, and one-shot watches set meanwhile may race with the reconnect.
func (tc *TreeCache) followStates(ctx context.Context, states *kazoo.StateSubscription) {
	defer states.Stop()
	prev := kazoo.Connected
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-states.C():
			if !ok {
				return
			}
			typ := EventType(0)
			switch {
			case s == kazoo.Suspended:
				typ = ConnectionSuspended
			case s == kazoo.Lost:
				typ = ConnectionLost
			case s == kazoo.Connected && (prev == kazoo.Suspended || prev == kazoo.Lost):
				typ = ConnectionReconnected
				tc.eng.resync()
			}
			prev = s
			if typ != 0 {
				tc.t.mu.Lock()
				tc.t.emit(Event{Type: typ})
				tc.t.mu.Unlock()
			}
		}
	}
}

// initialized announces the end of the first load, once.
func (tc *TreeCache) initialized() {
	tc.once.Do(func() {
		tc.t.mu.Lock()
		tc.t.emit(Event{Type: Initialized})
		tc.t.mu.Unlock()
		close(tc.init)
	})
}

// Initialized is closed once the first load is complete.
func (tc *TreeCache) Initialized() <-chan struct{} { return tc.init }

// WaitInitialized waits for the first load, or for ctx to end.
func (tc *TreeCache) WaitInitialized(ctx context.Context) error {
	return waitFor(ctx, tc.init)
}

// Get returns the cached node at path (absolute, as given to NewTreeCache's
// path or below it).
func (tc *TreeCache) Get(path string) (Node, bool) { return tc.t.get(path) }

// Children returns the sorted names of the cached children of path, and
// whether path is cached.
func (tc *TreeCache) Children(path string) ([]string, bool) { return tc.t.children(path) }

// Walk yields every cached node with its path, parents first, children in
// name order. The walk does not hold the cache still: a node changed while
// walking appears as it is when reached.
func (tc *TreeCache) Walk() iter.Seq2[string, Node] { return tc.t.walk() }

// Listen calls fn with every later event on a goroutine of its own, until
// the returned stop is called or the cache is closed. A listener that falls
// behind gets one merged event per path rather than a growing backlog; a
// listener that panics is logged and goes on. Use WithListener to receive
// events from the very start.
func (tc *TreeCache) Listen(fn func(Event)) (stop func()) {
	d := newDispatcher(fn, tc.cfg.log)
	tc.t.mu.Lock()
	tc.t.listeners = append(tc.t.listeners, d)
	tc.t.mu.Unlock()
	return func() { tc.unlisten(d) }
}

func (tc *TreeCache) unlisten(d *dispatcher) {
	tc.t.mu.Lock()
	ls := tc.t.listeners
	for i, x := range ls {
		if x == d {
			tc.t.listeners = append(ls[:i:i], ls[i+1:]...)
			break
		}
	}
	tc.t.mu.Unlock()
	d.close()
}

// Close stops the cache: its watches are removed from the server, its
// goroutines end, its listeners get nothing more. The snapshot methods keep
// answering from the last state. Close from a listener is allowed. While
// the client is disconnected, Close waits at most a few seconds for the
// watches' removal (2 s in Persistent mode, 5 s in OneShot mode).
func (tc *TreeCache) Close() error {
	tc.cancel()
	tc.wg.Wait()
	tc.t.closeListeners()
	return nil
}

// retryable reports whether a read that failed with err is worth repeating
// once the client reconnects, rather than a sign to stop.
func retryable(ctx context.Context, err error) bool {
	return ctx.Err() == nil && !errors.Is(err, kazoo.ErrClosed)
}

// inScope reports whether the node at p is to be cached: below the root,
// within the depth limit, and neither it nor an ancestor filtered out.
func (tc *TreeCache) inScope(p string) bool {
	names, ok := tc.t.rel(p)
	if !ok || tc.cfg.maxDepth >= 0 && len(names) > tc.cfg.maxDepth {
		return false
	}
	if tc.cfg.filter == nil {
		return true
	}
	q := tc.t.root
	for _, n := range names {
		q = join(q, n)
		if !tc.cfg.filter(q) {
			return false
		}
	}
	return true
}
