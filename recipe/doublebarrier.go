package recipe

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kazoo-go/kazoo"
)

// DoubleBarrier is kazoo's DoubleBarrier and Curator's
// DistributedDoubleBarrier: n members enter together and leave together.
// Each member is an ephemeral node path/<uuid> holding its id; when n are
// in, the member who sees it creates the persistent node path/ready.
//
// Enter returns only once path/ready exists: a wake-up that is not its
// creation is checked against the server again, never taken as a release
// (Curator's 2026 fix). The member's node is a [PersistentNode]: after a
// session loss it is re-created, so a waiting member stays counted.
type DoubleBarrier struct {
	client *kazoo.Client
	path   string
	n      int
	id     string
	name   string
	node   *PersistentNode
}

const readyNode = "ready"

// NewDoubleBarrier returns the double barrier at path for n members; id is
// stored in our member node.
func NewDoubleBarrier(client *kazoo.Client, path string, n int, id string) (*DoubleBarrier, error) {
	if n < 1 {
		return nil, fmt.Errorf("recipe: double barrier %q: %w: %d members", path, kazoo.ErrInvalidArgument, n)
	}
	if err := kazoo.ValidatePath(path); err != nil {
		return nil, fmt.Errorf("recipe: double barrier %q: %w", path, err)
	}
	return &DoubleBarrier{client: client, path: path, n: n, id: id, name: newUUID(false)}, nil
}

// Enter joins the barrier and blocks until n members have joined, or ctx
// ends (then it leaves again).
func (d *DoubleBarrier) Enter(ctx context.Context) error {
	if d.node == nil {
		n, err := NewPersistentNode(d.client, childPath(d.path, d.name), []byte(d.id))
		if err != nil {
			return err
		}
		d.node = n
	}
	err := d.enter(ctx)
	if err != nil {
		_ = d.node.Close(context.WithoutCancel(ctx))
		d.node = nil
		return fmt.Errorf("recipe: double barrier enter %s: %w", d.path, err)
	}
	return nil
}

func (d *DoubleBarrier) enter(ctx context.Context) error {
	if err := d.node.WaitCreated(ctx); err != nil {
		return err
	}
	ready := childPath(d.path, readyNode)
	for {
		var ok bool
		var ch <-chan kazoo.Event
		err := untilNotTransient(ctx, func() (err error) {
			ok, _, ch, err = d.client.ExistsW(ctx, ready)
			return err
		})
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		kids, err := d.members(ctx)
		if err != nil {
			return err
		}
		if len(kids) >= d.n {
			return untilNotTransient(ctx, func() error {
				_, _, err := d.client.Create(ctx, ready, nil)
				if errors.Is(err, kazoo.ErrNodeExists) {
					return nil // ours, its reply lost, or another member's
				}
				return err
			})
		}
		ev, err := wait(ctx, ch)
		if err != nil {
			return err
		}
		if ev.Type == kazoo.EventNodeCreated {
			return nil
		}
		// Any other wake-up (a session event, a removed watch): look again.
	}
}

// members returns the member nodes, sorted, without ready.
func (d *DoubleBarrier) members(ctx context.Context) ([]string, error) {
	var kids []string
	err := untilNotTransient(ctx, func() (err error) {
		kids, _, err = d.client.Children(ctx, d.path)
		return err
	})
	if err != nil {
		return nil, err
	}
	kids = slices.DeleteFunc(kids, func(k string) bool { return k == readyNode })
	slices.Sort(kids)
	return kids, nil
}

// Leave removes us from the barrier and blocks until every member has
// left, or ctx ends. The lowest member leaves last and removes path/ready.
func (d *DoubleBarrier) Leave(ctx context.Context) error {
	if err := d.leave(ctx); err != nil {
		return fmt.Errorf("recipe: double barrier leave %s: %w", d.path, err)
	}
	return nil
}

func (d *DoubleBarrier) leave(ctx context.Context) error {
	for {
		kids, err := d.members(ctx)
		if err != nil {
			return err
		}
		if len(kids) == 0 {
			break
		}
		i := slices.Index(kids, d.name)
		if i >= 0 && len(kids) == 1 {
			if err := d.drop(ctx); err != nil {
				return err
			}
			break
		}
		// The lowest member waits for the highest; the others leave and
		// wait for the lowest, so that everyone sees the barrier empty.
		watch := kids[0]
		if i == 0 {
			watch = kids[len(kids)-1]
		} else if err := d.drop(ctx); err != nil {
			return err
		}
		var ok bool
		var ch <-chan kazoo.Event
		err = untilNotTransient(ctx, func() (err error) {
			ok, _, ch, err = d.client.ExistsW(ctx, childPath(d.path, watch))
			return err
		})
		if err != nil {
			return err
		}
		if ok {
			if _, err := wait(ctx, ch); err != nil {
				return err
			}
		}
	}
	return untilNotTransient(ctx, func() error {
		err := d.client.Delete(ctx, childPath(d.path, readyNode), kazoo.AnyVersion)
		if errors.Is(err, kazoo.ErrNoNode) {
			return nil
		}
		return err
	})
}

func (d *DoubleBarrier) drop(ctx context.Context) error {
	if d.node == nil {
		return nil
	}
	err := d.node.Close(ctx)
	d.node = nil
	return err
}
