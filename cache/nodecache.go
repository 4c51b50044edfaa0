package cache

import (
	"context"
	"sync"

	"github.com/kazoo-go/kazoo"
)

// NodeCache keeps one node's data and Stat current (Curator's NodeCache):
// NodeAdded, NodeUpdated and NodeRemoved events, each version once, and
// Initialized after the first read. It re-reads the node after every
// reconnect.
type NodeCache struct {
	t    tree
	f    *follower
	init chan struct{}
	once sync.Once
}

// NewNodeCache starts caching the node at path and returns at once. Options
// other than WithListener and WithLogger do not apply. Close it when done.
func NewNodeCache(c *kazoo.Client, path string, opts ...Option) (*NodeCache, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	nc := &NodeCache{t: tree{root: path}, init: make(chan struct{})}
	for _, fn := range cfg.listeners {
		nc.t.listeners = append(nc.t.listeners, newDispatcher(fn, cfg.log))
	}
	nc.f, err = startFollower(c, path, watchData, nc.apply)
	if err != nil {
		return nil, err
	}
	return nc, nil
}

// apply stores a reading; the follower already dropped repeated versions.
func (nc *NodeCache) apply(r reading) {
	nc.t.mu.Lock()
	if r.exists {
		nc.t.set(nc.t.root, r.data, r.stat)
	} else {
		nc.t.remove(nc.t.root)
	}
	nc.once.Do(func() {
		nc.t.emit(Event{Type: Initialized})
		close(nc.init)
	})
	nc.t.mu.Unlock()
}

// Get returns the cached node, and false while it does not exist.
func (nc *NodeCache) Get() (Node, bool) { return nc.t.get(nc.t.root) }

// WaitInitialized waits for the first read, or for ctx to end.
func (nc *NodeCache) WaitInitialized(ctx context.Context) error {
	return waitFor(ctx, nc.init)
}

// Close stops the cache and removes its watch from the server (3.5+),
// waiting at most 2 s for that while the client is disconnected.
func (nc *NodeCache) Close() error {
	nc.f.stop(true)
	nc.t.closeListeners()
	return nil
}
