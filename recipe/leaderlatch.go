package recipe

import (
	"context"
	"errors"
	"sync"

	"github.com/kazoo-go/kazoo"
)

// LeaderLatch is Curator's LeaderLatch: each participant keeps an
// ephemeral sequential node "path/_c_<uuid>-latch-<seq>" (Curator layout)
// and the first one, once its node is checked to belong to its current
// session, is the leader until it closes the latch or loses its session.
// Unlike an Election, a latch stays in the race in the background: after
// losing leadership it queues again by itself.
type LeaderLatch struct {
	k *contender

	mu      sync.Mutex
	elected chan struct{} // closed while we lead
	stop    context.CancelFunc
	done    chan struct{}
}

// ErrLatchClosed is returned by Await when the latch is closed.
var ErrLatchClosed = errors.New("recipe: leader latch closed")

// NewLeaderLatch returns a latch on path. Options: WithIdentifier,
// WithLossPolicy, WithSuspendGrace, WithLogger (the layout is Curator's).
func NewLeaderLatch(c *kazoo.Client, path string, opts ...Option) (*LeaderLatch, error) {
	o, err := newOptions("LeaderLatch", opts, "WithIdentifier", "WithLossPolicy", "WithSuspendGrace", "WithLogger")
	if err != nil {
		return nil, err
	}
	if err := checkClient("LeaderLatch", c, path); err != nil {
		return nil, err
	}
	o.curator = true
	k := newContender(c, o, path, "latch-")
	k.kinds, k.blocker = []string{"latch-"}, predecessor
	return &LeaderLatch{k: k, elected: make(chan struct{})}, nil
}

// Start joins the race in the background; Close leaves it.
func (l *LeaderLatch) Start() error {
	if err := checkClient("LeaderLatch", l.k.c, l.k.dir); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stop != nil {
		return ErrBusy
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.stop, l.done = cancel, make(chan struct{})
	go l.run(ctx)
	return nil
}

func (l *LeaderLatch) run(ctx context.Context) {
	defer close(l.done)
	delay := minDelay
	for ctx.Err() == nil {
		if _, err := l.k.acquire(ctx, true); err != nil {
			l.k.o.log.Warn("recipe: leader latch: joining", "path", l.k.dir, "err", err)
			pause(ctx, &delay)
			continue
		}
		delay = minDelay
		own := l.k.holding()
		l.mu.Lock()
		close(l.elected)
		l.mu.Unlock()
		select {
		case <-own.ctx.Done():
		case <-ctx.Done():
		}
		l.mu.Lock()
		l.elected = make(chan struct{})
		l.mu.Unlock()
		_ = l.k.release(context.WithoutCancel(ctx)) // requeue with a fresh node
	}
}

// Await waits until we lead, ctx ends or the latch is closed.
func (l *LeaderLatch) Await(ctx context.Context) error {
	l.mu.Lock()
	elected, done := l.elected, l.done
	l.mu.Unlock()
	if done == nil {
		return ErrLatchClosed
	}
	select {
	case <-elected:
		return nil
	case <-done:
		return ErrLatchClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// HasLeadership reports whether we lead now.
func (l *LeaderLatch) HasLeadership() bool {
	own := l.k.holding()
	return own != nil && own.ctx.Err() == nil
}

// Context returns a context that ends when our current leadership ends
// (see Lock.Context); it is already ended when we do not lead.
func (l *LeaderLatch) Context() context.Context { return ownedContext(l.k.holding()) }

// Leader returns the identifier of the current leader, or ErrNoLeader.
func (l *LeaderLatch) Leader(ctx context.Context) (string, error) {
	ids, err := l.k.contenders(ctx)
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", ErrNoLeader
	}
	return ids[0], nil
}

// Close leaves the race: it stops the background work and deletes our
// node, retrying through connection loss until ctx ends.
func (l *LeaderLatch) Close(ctx context.Context) error {
	l.mu.Lock()
	stop, done := l.stop, l.done
	l.stop, l.done = nil, nil
	l.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return l.k.release(ctx)
}
