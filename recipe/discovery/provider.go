package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/recipe"
)

// ErrNoInstances: the service has no instance to pick.
var ErrNoInstances = errors.New("discovery: no instances")

// Strategy picks one instance among the current ones (never empty).
type Strategy interface {
	Pick(instances []Instance) Instance
}

// Random picks uniformly at random.
type Random struct{}

// Pick implements Strategy.
func (Random) Pick(in []Instance) Instance { return in[rand.IntN(len(in))] }

// RoundRobin picks each instance in turn (in id order).
type RoundRobin struct{ n atomic.Uint64 }

// Pick implements Strategy.
func (r *RoundRobin) Pick(in []Instance) Instance {
	return in[(r.n.Add(1)-1)%uint64(len(in))]
}

// Sticky keeps picking the same instance while it exists, and asks Next
// (default Random) for another when it is gone.
type Sticky struct {
	Next Strategy
	mu   sync.Mutex
	id   string
}

// Pick implements Strategy.
func (s *Sticky) Pick(in []Instance) Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.IndexFunc(in, func(x Instance) bool { return x.ID == s.id }); i >= 0 {
		return in[i]
	}
	next := s.Next
	if next == nil {
		next = Random{}
	}
	pick := next.Pick(in)
	s.id = pick.ID
	return pick
}

// Provider keeps the instances of one service cached, refreshed from a
// persistent recursive watch on base/<name> (ZooKeeper 3.6+, no polling),
// and picks one with its Strategy.
type Provider struct {
	d        *ServiceDiscovery
	name     string
	strategy Strategy
	cancel   context.CancelFunc
	done     chan struct{}
	ready    chan struct{}

	mu        sync.Mutex
	instances []Instance
	err       error
	changed   chan struct{}
}

// Provider starts a cached provider of service name; it returns once the
// cache is first filled. Close it when done.
func (d *ServiceDiscovery) Provider(ctx context.Context, name string, s Strategy) (*Provider, error) {
	if s == nil {
		return nil, fmt.Errorf("discovery: provider %s: %w: nil strategy", name, kazoo.ErrInvalidArgument)
	}
	pctx, cancel := context.WithCancel(context.Background())
	p := &Provider{d: d, name: name, strategy: s, cancel: cancel, done: make(chan struct{}),
		ready: make(chan struct{}), changed: make(chan struct{})}
	w, err := d.client.AddWatch(ctx, d.servicePath(name), true)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("discovery: provider %s: %w", name, err)
	}
	go p.run(pctx, w)
	select {
	case <-p.ready:
		return p, nil
	case <-ctx.Done():
		p.Close()
		return nil, ctx.Err()
	}
}

func (p *Provider) run(ctx context.Context, w *kazoo.Watcher) {
	defer close(p.done)
	defer func() { w.Close() }()
	for {
		in, err := p.d.Instances(ctx, p.name)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// Bad nodes are reported and skipped; the rest is served.
			slog.Warn("discovery: provider refresh", "service", p.name, "err", err)
		}
		if err == nil || errors.Is(err, recipe.ErrBadValue) {
			p.set(in, err)
		}
		select {
		case <-p.ready:
		default:
			close(p.ready)
		}
		select {
		case ev, ok := <-w.Events():
			if !ok {
				return
			}
			if ev.Type == kazoo.EventNotWatching {
				if !errors.Is(ev.Err, kazoo.ErrSessionExpired) {
					return
				}
				w.Close() // gone with the session: watch again
				if w, err = p.d.client.AddWatch(ctx, p.d.servicePath(p.name), true); err != nil {
					return
				}
			}
		case <-ctx.Done():
			return
		}
	}
}

func (p *Provider) set(in []Instance, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.instances, p.err = in, err
	close(p.changed)
	p.changed = make(chan struct{})
}

// Instances returns the cached instances, in id order.
func (p *Provider) Instances() []Instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.instances)
}

// Changed returns a channel closed at the cache's next refresh.
func (p *Provider) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// Instance picks one instance with the strategy, or returns
// ErrNoInstances.
func (p *Provider) Instance() (Instance, error) {
	in := p.Instances()
	if len(in) == 0 {
		return Instance{}, fmt.Errorf("discovery: service %s: %w", p.name, ErrNoInstances)
	}
	return p.strategy.Pick(in), nil
}

// Close stops the cache.
func (p *Provider) Close() {
	p.cancel()
	<-p.done
}
