package cache

import (
	"context"
	"slices"
	"time"

	"github.com/kazoo-go/kazoo"
)

// PatientChildren waits until the children of path have stayed unchanged
// for stable, then returns them, sorted (kazoo's PatientChildrenWatch): for
// when a burst of joins should be seen as one. It fails with ErrNoNode when
// the node is absent, and with ctx's error when ctx ends first.
func PatientChildren(ctx context.Context, c *kazoo.Client, path string, stable time.Duration) ([]string, error) {
	timer := time.NewTimer(stable)
	defer timer.Stop()
	for {
		names, _, ch, err := c.ChildrenW(ctx, path)
		if err != nil {
			return nil, err
		}
		timer.Reset(stable)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			// The watch left behind fires once, into a channel nobody
			// reads: one-shot watches cost nothing after they fire.
			slices.Sort(names)
			return names, nil
		case ev := <-ch:
			if ev.Type == kazoo.EventNotWatching && ev.Err != nil && !retryable(ctx, ev.Err) {
				return nil, ev.Err
			}
		}
	}
}
