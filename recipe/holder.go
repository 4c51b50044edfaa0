package recipe

import (
	"context"
	"errors"
	"time"

	"github.com/kazoo-go/kazoo"
)

var (
	// ErrLost is the cause of an ownership context that ended because the
	// session holding the recipe's node was lost (or the client closed):
	// the node is gone, and someone else may own what we held.
	ErrLost = errors.New("recipe: ownership lost with the session")
	// ErrSuspended is the cause of an ownership context that ended because
	// the connection stayed Suspended longer than the grace period
	// (StandardPolicy): the session may still be alive, but we cannot know.
	ErrSuspended = errors.New("recipe: ownership in doubt: connection suspended")
	// ErrReleased is the cause of an ownership context that ended because
	// its owner released it (Unlock, Release, ...).
	ErrReleased = errors.New("recipe: released")
	// ErrNotHeld is returned by operations that need ownership held.
	ErrNotHeld = errors.New("recipe: not held")
)

// ownership is what a holder of a recipe's node is given: a context that
// ends, with one of the causes above, as soon as its ownership is lost or
// in doubt under the recipe's LossPolicy.
type ownership struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	node   string     // full path of our node
	stat   kazoo.Stat // its Stat when created
}

// watchOwnership starts watching the client's states on behalf of the
// holder of node, created in session sid (its ephemeralOwner). The context
// ends at the first of: session sid lost or the client closed (ErrLost);
// Suspended or ReadOnly for longer than the grace under StandardPolicy
// (ErrSuspended); release (the cancel function, with ErrReleased).
func watchOwnership(c *kazoo.Client, o *options, node string, stat kazoo.Stat) *ownership {
	ctx, cancel := context.WithCancelCause(context.Background())
	own := &ownership{ctx: ctx, cancel: cancel, node: node, stat: stat}
	sid := stat.EphemeralOwner
	sub := c.SubscribeStates() // starts with the current state
	go func() {
		defer sub.Stop()
		var timer *time.Timer
		var expired <-chan time.Time
		defer func() {
			if timer != nil {
				timer.Stop()
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-expired:
				o.log.Warn("recipe: ownership in doubt: suspended too long", "node", node, "grace", o.grace)
				cancel(ErrSuspended)
				return
			case s, ok := <-sub.C():
				switch {
				case !ok || s == kazoo.Lost || s == kazoo.Closed || c.SessionID() != sid:
					o.log.Warn("recipe: ownership lost", "node", node, "state", s)
					cancel(ErrLost)
					return
				case s == kazoo.Connected:
					if timer != nil {
						timer.Stop()
						timer, expired = nil, nil
					}
				case o.policy == SessionPolicy:
				case o.grace == 0:
					o.log.Warn("recipe: ownership in doubt", "node", node, "state", s)
					cancel(ErrSuspended)
					return
				case timer == nil:
					timer = time.NewTimer(o.grace)
					expired = timer.C
				}
			}
		}
	}()
	return own
}
