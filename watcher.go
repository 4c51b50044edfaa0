package kazoo

import (
	"context"
	"sync"

	"github.com/kazoo-go/kazoo/internal/session"
	"github.com/kazoo-go/kazoo/proto"
)

// EventType is the kind of a watch event.
type EventType = proto.EventType

// Event types.
const (
	EventNodeCreated            = proto.EventNodeCreated
	EventNodeDeleted            = proto.EventNodeDeleted
	EventNodeDataChanged        = proto.EventNodeDataChanged
	EventNodeChildrenChanged    = proto.EventNodeChildrenChanged
	EventDataWatchRemoved       = proto.EventDataWatchRemoved
	EventChildWatchRemoved      = proto.EventChildWatchRemoved
	EventPersistentWatchRemoved = proto.EventPersistentWatchRemoved
	// EventNotWatching ends a watch without a change: Err says why
	// (ErrSessionExpired, ErrClosed).
	EventNotWatching = proto.EventNone
	// EventResync is delivered on a persistent [Watcher] once its watch is
	// registered again after a reconnect. The server does not replay the
	// changes made while the client was away: whoever keeps state from
	// the events must re-read what it watches.
	EventResync = proto.EventResync
)

// Event is a change to a watched node, or the end of a watch: its Type,
// the Path relative to the chroot, the change's Zxid (-1 from servers
// before 3.9), and, when Type is EventNotWatching, Err saying why
// (ErrSessionExpired, ErrClosed).
type Event = session.Event

// Watcher is a persistent watch (AddWatch): it sees every change until
// closed, surviving reconnects. Events are queued without bound, so a slow
// reader never stalls the client. The server does not replay the changes
// made while the client was disconnected: after each reconnect, once the
// watch is registered again, the Watcher receives EventResync, after which
// every change is delivered; re-read what you watch then.
type Watcher struct {
	c    *Client
	w    *session.Watch
	path string
	once sync.Once
}

// Events returns the channel of events. It is closed after Close, or after
// a terminal event (Type EventNotWatching) when the session is lost or the
// client closes.
func (w *Watcher) Events() <-chan Event { return w.w.Events() }

// Path returns the watched path.
func (w *Watcher) Path() string { return w.path }

// Close stops the watch and closes the channel; queued events are dropped.
// When it was the last local watch of its kind on the path, the server's
// watch is removed too (best effort, in the background).
func (w *Watcher) Close() error {
	w.once.Do(func() {
		if typ, last := w.w.Close(); last {
			k := w.c.s.NewAsyncCall(proto.OpRemoveWatches, w.path)
			k.WType = int32(typ)
			start(context.Background(), k, extractNone)
		}
	})
	return nil
}

// AddWatch sets a persistent watch on path (ZooKeeper 3.6+): it fires for
// every change of the node (created, deleted, data and children changed);
// with recursive it fires for the node and every descendant (created,
// deleted, data changed; not children changed). It stays until Close.
//
// Servers before 3.9 keep a single watch mode per session and path
// (ZOOKEEPER-4466): a persistent and a recursive watch, or a one-shot and a
// persistent watch, on the very same path of one client replace each other
// on the server. Use separate clients or paths there.
func (c *Client) AddWatch(ctx context.Context, path string, recursive bool) (*Watcher, error) {
	if err := c.check(proto.OpAddWatch, path); err != nil {
		return nil, err
	}
	mode := proto.AddWatchPersistent
	if recursive {
		mode = proto.AddWatchPersistentRecursive
	}
	k := c.s.GetCall(proto.OpAddWatch, path)
	k.WType = int32(mode)
	if _, err := run(ctx, k, extractNone); err != nil {
		return nil, err
	}
	return &Watcher{c: c, w: c.s.AddWatch(path, recursive), path: path}, nil
}

// WatcherType selects watches for RemoveWatches and CheckWatches.
type WatcherType = proto.WatcherType

// Watcher types.
const (
	WatchChildren            = proto.WatcherChildren
	WatchData                = proto.WatcherData
	WatchAny                 = proto.WatcherAny
	WatchPersistent          = proto.WatcherPersistent
	WatchPersistentRecursive = proto.WatcherPersistentRecursive
)

// RemoveWatches removes this client's watches of type typ on path from the
// server (ZooKeeper 3.5+); the one-shot watches removed get a
// DataWatchRemoved or ChildWatchRemoved event, the Watchers removed
// (WatchPersistent, WatchPersistentRecursive, WatchAny) a
// PersistentWatchRemoved event, after which their channel closes. It
// returns ErrNoWatcher when there was none. Servers before 3.9 know no
// persistent types: WatchAny is sent for them there.
func (c *Client) RemoveWatches(ctx context.Context, path string, typ WatcherType) error {
	if err := c.watchesOp(ctx, proto.OpRemoveWatches, path, typ); err != nil {
		return err
	}
	c.s.WatchesRemoved(path, typ)
	return nil
}

// CheckWatches reports (nil) whether the server holds a watch of type typ
// on path for this client, or ErrNoWatcher (ZooKeeper 3.5+). Servers before
// 3.9 know no persistent types: WatchAny is asked for them there.
func (c *Client) CheckWatches(ctx context.Context, path string, typ WatcherType) error {
	return c.watchesOp(ctx, proto.OpCheckWatches, path, typ)
}

func (c *Client) watchesOp(ctx context.Context, op proto.Op, path string, typ WatcherType) error {
	if err := c.check(op, path); err != nil {
		return err
	}
	k := c.s.GetCall(op, path)
	k.WType = int32(c.s.ServerWatcherType(typ))
	_, err := run(ctx, k, extractNone)
	return err
}
