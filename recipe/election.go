package recipe

import (
	"context"
	"errors"

	"github.com/kazoo-go/kazoo"
)

// Election is kazoo's Election: contenders queue on a Lock at path (kazoo
// layout) and the holder is the leader. With WithCurator it is Curator's
// LeaderSelector layout (an InterProcessMutex on path); see also
// LeaderSelector for Curator's requeueing loop.
type Election struct {
	lock *Lock
}

// NewElection returns an election on path. Options: WithIdentifier (what
// Contenders and Leader report), WithCurator, WithLossPolicy,
// WithSuspendGrace, WithLogger.
func NewElection(c *kazoo.Client, path string, opts ...Option) (*Election, error) {
	l, err := NewLock(c, path, opts...)
	if err != nil {
		return nil, err
	}
	return &Election{lock: l}, nil
}

// Run waits to be elected, then calls fn with a context that ends when
// leadership is lost or in doubt (or ctx ends), and resigns when fn
// returns. It returns fn's error, or why it could not be elected. Cancel
// ctx to withdraw from the election or to make fn resign.
func (e *Election) Run(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := e.lock.Lock(ctx); err != nil {
		return err
	}
	defer e.lock.Unlock(context.WithoutCancel(ctx))
	lead, stop := mergeContexts(ctx, e.lock.Context())
	defer stop()
	return fn(lead)
}

// Contenders returns the identifiers of the leader and the candidates,
// the leader first.
func (e *Election) Contenders(ctx context.Context) ([]string, error) {
	return e.lock.Contenders(ctx)
}

// Leader returns the identifier of the current leader, or ErrNoLeader.
func (e *Election) Leader(ctx context.Context) (string, error) {
	ids, err := e.Contenders(ctx)
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", ErrNoLeader
	}
	return ids[0], nil
}

// ErrNoLeader is returned by Leader when there is no leader.
var ErrNoLeader = errors.New("recipe: no leader")

// mergeContexts returns a context that ends with ctx or with owned, with
// owned's cause when it ends first.
func mergeContexts(ctx, owned context.Context) (context.Context, func()) {
	merged, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(owned, func() { cancel(context.Cause(owned)) })
	return merged, func() { stop(); cancel(nil) }
}
