package cache

import (
	"context"
	"fmt"
	"iter"
	"runtime/debug"

	"github.com/kazoo-go/kazoo"
)

// Data is what a DataWatch reports: the node's data and Stat, or that it
// does not exist.
type Data struct {
	Data   []byte
	Stat   kazoo.Stat
	Exists bool
	// Event is the watch event that led to this call: nil for the first
	// call and for a change found by re-reading after a reconnect or a
	// session loss.
	Event *kazoo.Event
}

// Children is what a ChildrenWatch reports: the node's children, sorted,
// and its Stat, or that it does not exist.
type Children struct {
	Names  []string
	Stat   kazoo.Stat
	Exists bool
	// Event is the watch event that led to this call (kazoo's send_event):
	// nil for the first call and for a change found by re-reading after a
	// reconnect or a session loss.
	Event *kazoo.Event
}

// Watch is a running DataWatch or ChildrenWatch.
type Watch struct {
	f *follower
	l interface{ close() bool }
}

// Close stops the watch: no call starts after it returns (a call in
// progress finishes), and the watch is removed from the server (3.5+; this
// removes the client's watches of that kind on the path; at most 2 s while
// the client is disconnected). Close may be called from the callback.
func (w *Watch) Close() error {
	w.f.stop(w.l.close())
	return nil
}

// Done is closed once the watch has stopped, by Close or because the
// callback returned false.
func (w *Watch) Done() <-chan struct{} { return w.f.done }

// DataWatch calls fn with the node's data now, and again after each change
// (kazoo's DataWatch): once per version (mzxid), never twice for the same
// one, including across reconnects and session loss, and with Exists false
// while the node is absent (it is watched for creation then). fn runs on a
// goroutine of its own; when it is slower than the changes it gets the
// newest value next. fn returning false stops the watch, as Close does.
func DataWatch(c *kazoo.Client, path string, fn func(Data) bool, opts ...Option) (*Watch, error) {
	return startWatch(c, path, watchData, fn, func(r reading) Data {
		return Data{Data: r.data, Stat: r.stat, Exists: r.exists, Event: r.event}
	}, opts)
}

// ChildrenWatch calls fn with the node's children now, and again after each
// change of the list (kazoo's ChildrenWatch): once per cversion, never twice
// for the same one, with Exists false while the node is absent (it is
// watched for creation then). Children.Event carries the event that caused
// the call. fn runs as DataWatch's does.
func ChildrenWatch(c *kazoo.Client, path string, fn func(Children) bool, opts ...Option) (*Watch, error) {
	return startWatch(c, path, watchChildren, fn, func(r reading) Children {
		return Children{Names: r.names, Stat: r.stat, Exists: r.exists, Event: r.event}
	}, opts)
}

func startWatch[T any](c *kazoo.Client, path string, kind watchKind, fn func(T) bool, conv func(reading) T, opts []Option) (*Watch, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, fmt.Errorf("%w: cache: nil callback", kazoo.ErrInvalidArgument)
	}
	w := &Watch{}
	report := func(r any) {
		cfg.log.Error("kazoo/cache: watch callback panicked", "path", path, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	}
	stopped := make(chan struct{})
	l := newLatest(fn, func() { close(stopped) }, report)
	w.l = l
	w.f, err = startFollower(c, path, kind, func(r reading) { l.put(conv(r)) })
	if err != nil {
		l.close()
		return nil, err
	}
	go func() {
		// fn said stop: end the follower without waiting on ourselves.
		select {
		case <-stopped:
			w.f.stop(true)
		case <-w.f.done:
		}
	}()
	return w, nil
}

// DataChanges is DataWatch as a sequence: the node's data now, then after
// each change, until ctx ends or the loop breaks. A consumer slower than
// the changes gets the newest value next. An invalid path yields its error
// once.
func DataChanges(ctx context.Context, c *kazoo.Client, path string, opts ...Option) iter.Seq2[Data, error] {
	return changes(ctx, func(fn func(Data) bool) (*Watch, error) { return DataWatch(c, path, fn, opts...) })
}

// ChildrenChanges is ChildrenWatch as a sequence, like DataChanges.
func ChildrenChanges(ctx context.Context, c *kazoo.Client, path string, opts ...Option) iter.Seq2[Children, error] {
	return changes(ctx, func(fn func(Children) bool) (*Watch, error) { return ChildrenWatch(c, path, fn, opts...) })
}

func changes[T any](ctx context.Context, start func(func(T) bool) (*Watch, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		ch, quit := make(chan T), make(chan struct{})
		w, err := start(func(v T) bool {
			select {
			case ch <- v:
				return true
			case <-quit:
				return false
			}
		})
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		defer w.Close()
		defer close(quit)
		for {
			select {
			case <-ctx.Done():
				return
			case v := <-ch:
				if !yield(v, nil) {
					return
				}
			}
		}
	}
}
