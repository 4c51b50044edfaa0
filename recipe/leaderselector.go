package recipe

import (
	"context"

	"github.com/kazoo-go/kazoo"
)

// LeaderSelector is Curator's LeaderSelector: candidates queue on an
// InterProcessMutex at path (Curator layout, so Curator's selectors and
// ours elect one leader among them); the leader runs a function and, when
// it returns or leadership is lost, requeues (Curator's autoRequeue) until
// the selector's context ends.
type LeaderSelector struct {
	e *Election
}

// NewLeaderSelector returns a selector on path. Options: WithIdentifier,
// WithLossPolicy, WithSuspendGrace, WithLogger (the layout is Curator's).
func NewLeaderSelector(c *kazoo.Client, path string, opts ...Option) (*LeaderSelector, error) {
	e, err := NewElection(c, path, append(opts, WithCurator())...)
	if err != nil {
		return nil, err
	}
	return &LeaderSelector{e: e}, nil
}

// Run takes leadership, calls fn with a context that ends when leadership
// is lost or in doubt, gives leadership up when fn returns, and queues
// again, until ctx ends; it returns ctx's error. An error from fn does not
// stop it: takeLeadership is called again next time, as in Curator.
func (s *LeaderSelector) Run(ctx context.Context, fn func(ctx context.Context) error) error {
	for {
		err := s.e.Run(ctx, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			s.e.lock.k.o.log.Warn("recipe: leader selector: leadership ended", "path", s.e.lock.k.dir, "err", err)
			delay := minDelay
			if !pause(ctx, &delay) {
				return ctx.Err()
			}
		}
	}
}

// Participants returns the identifiers of the leader and the candidates,
// the leader first.
func (s *LeaderSelector) Participants(ctx context.Context) ([]string, error) {
	return s.e.Contenders(ctx)
}

// Leader returns the identifier of the current leader, or ErrNoLeader.
func (s *LeaderSelector) Leader(ctx context.Context) (string, error) {
	return s.e.Leader(ctx)
}
