package recipe

// Helpers shared by the recipes that keep state in znodes (barriers,
// counters, groups, queues, the partitioner, persistent nodes); sequence
// names and protected creates are in seq.go and protected.go.

import (
	"context"
	"errors"
	"fmt"

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

// wait blocks until ch delivers an event or ctx ends.
func wait(ctx context.Context, ch <-chan kazoo.Event) (kazoo.Event, error) {
	select {
	case ev := <-ch:
		return ev, nil
	case <-ctx.Done():
		return kazoo.Event{}, ctx.Err()
	}
}

// untilNotTransient runs fn until it succeeds or fails with an error that is
// not transient (see retryable), pausing between tries, and returns its last
// error; ctx's end stops the pauses. A recipe that waits for the ensemble's
// state calls the server in a loop, and a connection lost under one of its
// calls, or a session that expired, must not end its wait: the client
// reconnects by itself, and the call is tried again.
func untilNotTransient(ctx context.Context, fn func() error) error {
	delay := minDelay
	for {
		err := fn()
		if err == nil || !retryable(err) || !pause(ctx, &delay) {
			return err
		}
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
// the consumer stops, or on an error other than a connection or session
// loss (yielded last).
func childrenChanges(ctx context.Context, c *kazoo.Client, path string) func(yield func([]string, error) bool) {
	return func(yield func([]string, error) bool) {
		delay := minDelay
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
			case retryable(err):
				if !pause(ctx, &delay) {
					return
				}
				continue // on the next connection, or in the new session
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
