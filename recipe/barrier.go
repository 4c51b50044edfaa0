package recipe

import (
	"context"
	"errors"
	"fmt"

	"github.com/kazoo-go/kazoo"
)

// Barrier is kazoo's Barrier and Curator's DistributedBarrier: it is up
// while its node exists. Waiters block until someone removes it.
type Barrier struct {
	client *kazoo.Client
	path   string
}

// NewBarrier returns the barrier at path.
func NewBarrier(client *kazoo.Client, path string) *Barrier {
	return &Barrier{client: client, path: path}
}

// Create raises the barrier (creating its node and parents; an existing
// node is fine).
func (b *Barrier) Create(ctx context.Context) error {
	if err := b.client.EnsurePath(ctx, b.path); err != nil {
		return fmt.Errorf("recipe: barrier create: %w", err)
	}
	return nil
}

// Remove lowers the barrier, releasing every waiter. It reports whether
// the barrier was up.
func (b *Barrier) Remove(ctx context.Context) (bool, error) {
	err := b.client.Delete(ctx, b.path, kazoo.AnyVersion)
	if errors.Is(err, kazoo.ErrNoNode) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("recipe: barrier remove: %w", err)
	}
	return true, nil
}

// Wait blocks until the barrier is down (its node does not exist), or ctx
// ends. Every wake-up is checked against the node itself.
func (b *Barrier) Wait(ctx context.Context) error {
	for {
		var ok bool
		var ch <-chan kazoo.Event
		err := untilNotTransient(ctx, func() (err error) {
			ok, _, ch, err = b.client.ExistsW(ctx, b.path)
			return err
		})
		if err != nil {
			return fmt.Errorf("recipe: barrier wait %s: %w", b.path, err)
		}
		if !ok {
			return nil
		}
		if _, err := wait(ctx, ch); err != nil {
			return fmt.Errorf("recipe: barrier wait %s: %w", b.path, err)
		}
	}
}
