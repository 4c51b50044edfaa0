package recipe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/kazoo-go/kazoo"
)

// ErrBusy is returned when a recipe value is asked to acquire while it is
// already acquiring or holding: each value is one contender. Use one value
// per concurrent contender.
var ErrBusy = errors.New("recipe: already acquiring or holding")

// ErrForeignLayout is returned when a recipe's node holds data or children
// written by a recipe of another kind or layout (e.g. Curator's lock nodes
// under a kazoo-layout lock): the two would not exclude each other.
var ErrForeignLayout = errors.New("recipe: the node is used by another recipe or layout")

// contender is the machinery of the lock-like recipes: an ephemeral
// sequential node under dir, and a wait until no contender that blocks us
// comes before it, watching only the last such contender (no herd).
type contender struct {
	c      *kazoo.Client
	o      *options
	dir    string
	kind   string   // our marker, e.g. "__lock__"
	kinds  []string // every marker of this recipe's contenders
	prefix func() string
	// blocker returns the index in ms of the contender that ms[i] must wait
	// for, or -1 when ms[i] may go ahead.
	blocker func(ms []member, i int) int
	// alien lists markers that betray another layout on the same node.
	alien []string

	mu        sync.Mutex
	acquiring bool
	prepared  bool // dir was checked once: later acquisitions skip the round trip
	held      *ownership
}

// newContender returns a contender with marker kind in the layout o
// selects: kazoo's "<uuid><kind><seq>" or Curator's protected
// "_c_<uuid>-<kind><seq>". The caller sets kinds and blocker.
func newContender(c *kazoo.Client, o *options, dir, kind string) *contender {
	k := &contender{c: c, o: o, dir: dir, kind: kind}
	if o.curator {
		k.prefix, k.alien = protectedPrefix, []string{"__lock__", "__rlock__"}
	} else {
		k.prefix, k.alien = func() string { return newUUID(false) }, []string{"-lock-", "__WRIT__", "__READ__"}
	}
	return k
}

// acquire creates our node and waits until it goes ahead; with wait false
// it gives up (deleting the node) when it cannot go ahead at once. When ctx
// ends first, the node is deleted and ctx's error returned.
func (k *contender) acquire(ctx context.Context, wait bool) (bool, error) {
	if err := checkClient("acquire", k.c, k.dir); err != nil {
		return false, err
	}
	k.mu.Lock()
	if k.acquiring || k.held != nil {
		k.mu.Unlock()
		return false, ErrBusy
	}
	k.acquiring = true
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		k.acquiring = false
		k.mu.Unlock()
	}()
	if !k.prepared {
		if err := k.prepare(ctx); err != nil {
			return false, err
		}
		k.prepared = true // only the acquiring goroutine touches it
	}
	own, err := k.contend(ctx, wait)
	if err != nil || own == nil {
		return false, err
	}
	k.mu.Lock()
	k.held = own
	k.mu.Unlock()
	return true, nil
}

// prepare makes sure dir exists and is ours to use: no data, and no
// contenders of another layout.
func (k *contender) prepare(ctx context.Context) error {
	data, _, err := k.c.Get(ctx, k.dir)
	if errors.Is(err, kazoo.ErrNoNode) {
		err = k.c.EnsurePath(ctx, k.dir)
		data = nil
	}
	if err != nil {
		return err
	}
	if len(data) > 0 {
		return fmt.Errorf("recipe: %s holds data (%d bytes), not a %s recipe's node: %w", k.dir, len(data), k.kind, ErrForeignLayout)
	}
	return nil
}

// contend creates our node and waits; it returns nil ownership when wait is
// false and someone blocks us.
func (k *contender) contend(ctx context.Context, wait bool) (*ownership, error) {
	name := k.prefix()
	node, stat, err := k.create(ctx, name)
	if err != nil {
		return nil, err
	}
	giveUp := func(err error) (*ownership, error) {
		_ = k.remove(ctx, node)
		return nil, err
	}
	for {
		children, _, err := k.c.Children(ctx, k.dir)
		if err != nil && !retryable(err) {
			return giveUp(err)
		}
		if err == nil {
			ms, err := orderTies(ctx, k.c, k.dir, members(children, k.kinds...))
			if err != nil {
				if !retryable(err) {
					return giveUp(err)
				}
				continue
			}
			if alien := members(children, k.alien...); len(alien) > 0 {
				return giveUp(fmt.Errorf("recipe: %s has contenders of another layout (%s): %w", k.dir, alien[0].Name, ErrForeignLayout))
			}
			i := indexOf(ms, strings.TrimPrefix(node, k.dir+"/"))
			if i < 0 || k.c.SessionID() != stat.EphemeralOwner {
				// Our node died with its session: start again in the new one.
				_ = k.remove(ctx, node)
				if node, stat, err = k.create(ctx, k.prefix()); err != nil {
					return nil, err
				}
				continue
			}
			j := k.blocker(ms, i)
			if j < 0 {
				return watchOwnership(k.c, k.o, node, stat), nil
			}
			if !wait {
				return giveUp(nil)
			}
			ok, _, ch, err := k.c.ExistsW(ctx, kazoo.JoinPath(k.dir, ms[j].Name))
			switch {
			case err != nil && !retryable(err):
				return giveUp(err)
			case err == nil && !ok:
				continue
			case err == nil:
				select {
				case <-ch:
					continue
				case <-ctx.Done():
				}
			}
		}
		if ctx.Err() != nil {
			return giveUp(ctx.Err())
		}
	}
}

// create makes our node with a name unique to this attempt, adopting it
// after a lost answer.
func (k *contender) create(ctx context.Context, name string) (string, kazoo.Stat, error) {
	node, stat, err := createProtected(ctx, k.c, k.dir, name+k.kind, []byte(k.o.id), kazoo.ModeEphemeralSequential)
	if errors.Is(err, kazoo.ErrNoNode) { // dir was deleted since (e.g. a container emptied)
		if err = k.c.EnsurePath(ctx, k.dir); err == nil {
			node, stat, err = createProtected(ctx, k.c, k.dir, name+k.kind, []byte(k.o.id), kazoo.ModeEphemeralSequential)
		}
	}
	return node, stat, err
}

// remove deletes node, retrying transient errors even after ctx ended
// (guaranteed delete); a node already gone is fine.
func (k *contender) remove(ctx context.Context, node string) error {
	return cleanup(ctx, k.c, func(ctx context.Context) error {
		err := k.c.Delete(ctx, node, kazoo.AnyVersion)
		if errors.Is(err, kazoo.ErrNoNode) {
			return nil
		}
		return err
	})
}

// release ends our ownership and deletes our node, retrying until ctx ends;
// local state is forgotten only once the node is gone, so a failed release
// can be repeated. Releasing what is not held does nothing.
func (k *contender) release(ctx context.Context) error {
	k.mu.Lock()
	own := k.held
	k.mu.Unlock()
	if own == nil {
		return nil
	}
	own.cancel(ErrReleased)
	if err := deleteUntil(ctx, k.c, own.node); err != nil {
		return err
	}
	k.mu.Lock()
	if k.held == own {
		k.held = nil
	}
	k.mu.Unlock()
	return nil
}

// holding returns our ownership, or nil.
func (k *contender) holding() *ownership {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.held
}

// contenders returns the data of every contender, in order.
func (k *contender) contenders(ctx context.Context) ([]string, error) {
	if err := checkClient("contenders", k.c, k.dir); err != nil {
		return nil, err
	}
	children, _, err := k.c.Children(ctx, k.dir)
	if errors.Is(err, kazoo.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range members(children, k.kinds...) {
		names = append(names, m.Name)
	}
	return readAll(ctx, k.c, k.dir, names)
}

// readAll returns the data of the children names of dir, as text, skipping
// those that vanished meanwhile.
func readAll(ctx context.Context, c *kazoo.Client, dir string, names []string) ([]string, error) {
	var ids []string
	for _, n := range names {
		data, _, err := c.Get(ctx, kazoo.JoinPath(dir, n))
		if errors.Is(err, kazoo.ErrNoNode) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, string(data))
	}
	return ids, nil
}

// ownedContext returns the ownership context, or a context already ended
// with ErrNotHeld.
func ownedContext(own *ownership) context.Context {
	if own != nil {
		return own.ctx
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(ErrNotHeld)
	return ctx
}
