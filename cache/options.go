package cache

import (
	"fmt"
	"log/slog"

	"github.com/kazoo-go/kazoo"
)

// Mode selects how a [TreeCache] learns of changes.
type Mode int

const (
	// Auto uses Persistent on ZooKeeper 3.6 and later, OneShot before.
	Auto Mode = iota
	// Persistent sets one persistent recursive watch on the root (Curator's
	// CuratorCache): one watch however large the tree. ZooKeeper 3.6+.
	Persistent
	// OneShot sets a data and a children watch on every cached node and sets
	// them again after each change (Curator's TreeCache): every server
	// version; a goroutine serves up to 64 nodes.
	OneShot
)

// Option configures a cache or a watch.
type Option func(*config) error

type config struct {
	maxDepth  int
	filter    func(path string) bool
	listeners []func(Event)
	log       *slog.Logger
	mode      Mode
}

func newConfig(opts []Option) (*config, error) {
	c := &config{maxDepth: -1, log: slog.Default()}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, fmt.Errorf("%w: %w", kazoo.ErrInvalidArgument, err)
		}
	}
	return c, nil
}

// WithMaxDepth caches nodes at most depth levels below the root (0: the root
// only). By default there is no limit.
func WithMaxDepth(depth int) Option {
	return func(c *config) error {
		if depth < 0 {
			return fmt.Errorf("cache: negative depth %d", depth)
		}
		c.maxDepth = depth
		return nil
	}
}

// WithFilter caches only the nodes below the root for which keep returns
// true; a node left out is not watched, nor is anything below it. keep must
// be quick and must not call the client.
func WithFilter(keep func(path string) bool) Option {
	return func(c *config) error {
		if keep == nil {
			return fmt.Errorf("cache: nil filter")
		}
		c.filter = keep
		return nil
	}
}

// WithListener calls fn with every event of the cache, from the first one
// (so no change is missed), on a goroutine of its own. See
// [TreeCache.Listen] for how a slow listener is treated.
func WithListener(fn func(Event)) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("cache: nil listener")
		}
		c.listeners = append(c.listeners, fn)
		return nil
	}
}

// WithLogger reports listener panics and read failures to l (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("cache: nil logger")
		}
		c.log = l
		return nil
	}
}

// WithMode selects how a TreeCache watches (default Auto).
func WithMode(m Mode) Option {
	return func(c *config) error {
		if m < Auto || m > OneShot {
			return fmt.Errorf("cache: unknown mode %d", m)
		}
		c.mode = m
		return nil
	}
}

// wanted reports whether the node at p, depth levels below the root, is to
// be cached.
func (c *config) wanted(p string, depth int) bool {
	if c.maxDepth >= 0 && depth > c.maxDepth {
		return false
	}
	return depth == 0 || c.filter == nil || c.filter(p)
}
