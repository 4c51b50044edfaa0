package recipe

// Private helpers of the Recipes II files (barriers, counters, groups,
// queues, partitioner, persistent nodes). The lead folds them together with
// the recipes I helpers (seq.go, protected.go) at merge.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kazoo-go/kazoo"
)

// ErrBadValue is wrapped by the error a recipe returns when a node does not
// hold what its layout says (a counter holding "abc", a discovery instance
// that is not JSON). The node is left as it is.
var ErrBadValue = errors.New("node holds a value the recipe cannot read")

// badValue reports a node whose content the recipe cannot read.
func badValue(path string, data []byte, why error) error {
	const max = 64
	shown := data
	if len(shown) > max {
		shown = shown[:max]
	}
	return fmt.Errorf("recipe: %s holds %q: %w: %v", path, shown, ErrBadValue, why)
}

// hexUUID returns a random UUID as 32 lowercase hex characters, as kazoo's
// uuid4().hex.
func hexUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// dashedUUID returns a random UUID in the 36-character form Curator uses.
func dashedUUID() string {
	h := hexUUID()
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// seqSuffix parses the sequence number ZooKeeper appended to name: its
// last 10 characters ("%010d", so "-000000005" once the signed 32-bit
// counter wrapped). Ordering by it as an integer, not as text, keeps the
// order right across the wrap.
func seqSuffix(name string) (int32, bool) {
	if len(name) < 10 {
		return 0, false
	}
	v, err := strconv.ParseInt(name[len(name)-10:], 10, 32)
	return int32(v), err == nil
}

// sortBySeq sorts names by their sequence suffix, as integers.
func sortBySeq(names []string) {
	slices.SortStableFunc(names, func(a, b string) int {
		x, _ := seqSuffix(a)
		y, _ := seqSuffix(b)
		return int(int64(x) - int64(y))
	})
}

// wait blocks until ch delivers an event or ctx ends.
func wait(ctx context.Context, ch <-chan kazoo.Event) (kazoo.Event, error) {
	select {
	case ev := <-ch:
		return ev, nil
	case <-ctx.Done():
		return kazoo.Event{}, ctx.Err()
	}
}

// closedErr reports whether err means the client is closed, after which a
// background loop must stop.
func closedErr(err error) bool { return errors.Is(err, kazoo.ErrClosed) }

// childPath joins a parent and a child name.
func childPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// childrenChanges yields the children of path now and after every change,
// from a child watch (no polling); a missing path yields no children and
// waits for its creation. It ends when ctx ends (without an error), when
// the consumer stops, or on an error other than a session loss (yielded
// last).
func childrenChanges(ctx context.Context, c *kazoo.Client, path string) func(yield func([]string, error) bool) {
	return func(yield func([]string, error) bool) {
		for ctx.Err() == nil {
			kids, _, ch, err := c.ChildrenW(ctx, path)
			if errors.Is(err, kazoo.ErrNoNode) {
				var ok bool
				ok, _, ch, err = c.ExistsW(ctx, path)
				if err == nil && ok {
					continue // created meanwhile
				}
			}
			switch {
			case ctx.Err() != nil:
				return
			case errors.Is(err, kazoo.ErrSessionExpired):
				continue // the next call runs in the new session
			case err != nil:
				yield(nil, err)
				return
			}
			if !yield(kids, nil) {
				return
			}
			ev, err := wait(ctx, ch)
			if err != nil {
				return
			}
			if ev.Type == kazoo.EventNotWatching && closedErr(ev.Err) {
				yield(nil, ev.Err)
				return
			}
		}
	}
}

// watchMembers maps every listing of childrenChanges through read (which
// fetches what the recipe shows of its members).
func watchMembers[T any](ctx context.Context, c *kazoo.Client, path string, read func(context.Context, []string) (T, error)) func(yield func(T, error) bool) {
	return func(yield func(T, error) bool) {
		var zero T
		for kids, err := range childrenChanges(ctx, c, path) {
			if err != nil {
				yield(zero, err)
				return
			}
			m, err := read(ctx, kids)
			if ctx.Err() != nil {
				return
			}
			if !yield(m, err) || err != nil {
				return
			}
		}
	}
}

// drain discards the events queued on ch now, and returns the terminal
// one (EventNotWatching) if it comes among them.
func drain(ch <-chan kazoo.Event) kazoo.Event {
	for {
		select {
		case ev, ok := <-ch:
			if !ok || ev.Type == kazoo.EventNotWatching {
				return ev
			}
		default:
			return kazoo.Event{Type: kazoo.EventNodeDataChanged}
		}
	}
}

// kazooLock is the minimal kazoo Lock SetPartitioner needs (recipes I's
// Lock replaces it at merge): an ephemeral-sequential node
// path/<uuid>__lock__<seq> holding id; the lowest holds the lock, the others
// watch the one before them. Sequence numbers are compared as integers.
type kazooLock struct {
	client *kazoo.Client
	path   string
	id     []byte
	prefix string
	node   string // full path of our node while we hold or wait
}

func newKazooLock(c *kazoo.Client, path, id string) *kazooLock {
	return &kazooLock{client: c, path: path, id: []byte(id), prefix: hexUUID() + "__lock__"}
}

// acquire blocks until the lock is ours or ctx ends (then our node is
// removed).
func (l *kazooLock) acquire(ctx context.Context) error {
	created, _, err := l.client.Create(ctx, childPath(l.path, l.prefix), l.id,
		kazoo.WithMode(kazoo.ModeEphemeralSequential), kazoo.WithParents())
	if err != nil {
		return err
	}
	l.node = created
	name := created[strings.LastIndexByte(created, '/')+1:]
	for {
		kids, _, err := l.client.Children(ctx, l.path)
		if err != nil {
			return l.abandon(ctx, err)
		}
		kids = slices.DeleteFunc(kids, func(k string) bool {
			i := strings.Index(k, "__lock__")
			_, ok := seqSuffix(k)
			return i < 0 || !ok || len(k)-i != len("__lock__")+10
		})
		sortBySeq(kids)
		i := slices.Index(kids, name)
		if i < 0 {
			return l.abandon(ctx, fmt.Errorf("recipe: lock node %s vanished (session lost)", created))
		}
		if i == 0 {
			return nil
		}
		ok, _, ch, err := l.client.ExistsW(ctx, childPath(l.path, kids[i-1]))
		if err != nil {
			return l.abandon(ctx, err)
		}
		if ok {
			if _, err := wait(ctx, ch); err != nil {
				return l.abandon(ctx, err)
			}
		}
	}
}

func (l *kazooLock) abandon(ctx context.Context, err error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.client.SessionTimeout())
	defer cancel()
	_ = l.release(rctx)
	return err
}

// release deletes our node (a node already gone is fine).
func (l *kazooLock) release(ctx context.Context) error {
	if l.node == "" {
		return nil
	}
	err := l.client.Delete(ctx, l.node, kazoo.AnyVersion)
	if err != nil && !errors.Is(err, kazoo.ErrNoNode) && !errors.Is(err, kazoo.ErrSessionExpired) {
		return err
	}
	l.node = ""
	return nil
}
