package kazoo

import (
	"context"
	"github.com/kazoo-go/kazoo/internal/queue"
	"sync"

	"github.com/kazoo-go/kazoo/internal/conn"
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

// Event is a change to a watched node, or the end of a watch.
type Event struct {
	Type EventType
	Path string // relative to the chroot
	Zxid int64  // the change's zxid; -1 from servers before 3.9
	Err  error  // set when Type is EventNotWatching
}

// watchKind is where a watch lives, on the server and here.
type watchKind uint8

const (
	watchData  watchKind = iota + 1 // getData, or exists on an existing node
	watchExist                      // exists on a missing node
	watchChild                      // getChildren
	watchPersistent
	watchRecursive
)

type watchKey struct {
	path string // server path (with chroot)
	kind watchKind
}

// watchManager holds every watch of the session. One-shot watches are
// channels of capacity one (they fire once, so a send never blocks);
// persistent watches are Watchers with unbounded queues. The reader
// goroutine registers watches when replies arrive and delivers
// notifications; neither ever blocks on a consumer.
type watchManager struct {
	c          *Client
	mu         sync.Mutex
	oneShot    map[watchKey]channels
	persistent map[watchKey][]*Watcher
	ended      map[*Watcher]struct{} // ended by a lost session, perhaps undrained
}

func (m *watchManager) init(c *Client) {
	m.c = c
	m.oneShot = make(map[watchKey]channels)
	m.persistent = make(map[watchKey][]*Watcher)
	m.ended = make(map[*Watcher]struct{})
}

// channels are the one-shot watches of one path and kind: almost always
// one, held without a slice of its own (more is out of line: a smaller map
// entry). path is the map key's path, so that a notification finds it (and
// its Event's path) without allocating.
type channels struct {
	path  string
	first chan Event
	more  *[]chan Event
}

func (c *channels) add(ch chan Event) {
	switch {
	case c.first == nil:
		c.first = ch
	case c.more == nil:
		c.more = &[]chan Event{ch}
	default:
		*c.more = append(*c.more, ch)
	}
}

// send delivers e to every channel; each has room (capacity one, one event).
func (c channels) send(e Event) {
	if c.first != nil {
		c.first <- e
	}
	if c.more != nil {
		for _, ch := range *c.more {
			ch <- e
		}
	}
}

// registerReply adds the watch a call asked for, if its reply says the
// server set one: on success, and for exists also on NoNode.
func (m *watchManager) registerReply(k *call) {
	kind := k.wkind
	switch {
	case k.err != nil:
		return
	case k.code == proto.CodeNoNode && k.op == proto.OpExists:
		kind = watchExist
	case k.code != proto.CodeOK:
		return
	}
	key := watchKey{k.serverPath(), kind}
	m.mu.Lock()
	chs := m.oneShot[key]
	chs.path = key.path
	chs.add(k.wch)
	m.oneShot[key] = chs
	m.mu.Unlock()
}

// Notify delivers a server notification (conn.Handler). It allocates
// nothing for a one-shot watch: the path is looked up as bytes.
func (m *watchManager) Notify(ev *proto.WatcherEventView, zxid int64) {
	if ev.Type == proto.EventNone {
		return
	}
	e := Event{Type: ev.Type, Zxid: zxid}
	m.mu.Lock()
	defer m.mu.Unlock()
	fire := func(kind watchKind) {
		chs, ok := m.oneShot[watchKey{string(ev.Path), kind}]
		if !ok {
			return
		}
		if e.Path == "" {
			e.Path = m.c.stripRoot(chs.path)
		}
		chs.send(e)
		if len(m.c.hooks.watch) > 0 {
			m.c.reportWatchEvent(e, 1)
		}
		delete(m.oneShot, watchKey{chs.path, kind})
	}
	switch ev.Type {
	case proto.EventNodeCreated, proto.EventNodeDataChanged:
		fire(watchData)
		fire(watchExist)
	case proto.EventNodeDeleted:
		fire(watchData)
		fire(watchExist)
		fire(watchChild)
	case proto.EventNodeChildrenChanged:
		fire(watchChild)
	}
	if len(m.persistent) == 0 {
		return
	}
	path := string(ev.Path)
	if e.Path == "" {
		e.Path = m.c.stripRoot(path)
	}
	for _, w := range m.persistent[watchKey{path, watchPersistent}] {
		w.put(e)
	}
	if ev.Type == proto.EventNodeChildrenChanged {
		return // recursive watches do not see child events
	}
	for p := path; ; p = parentPath(p) {
		for _, w := range m.persistent[watchKey{p, watchRecursive}] {
			w.put(e)
		}
		if p == "/" {
			return
		}
	}
}

// remove ends the one-shot watches of kind on path with a removal event.
func (m *watchManager) remove(path string, kinds []watchKind, typ EventType) {
	key := watchKey{path: m.c.serverPath(path)}
	e := Event{Type: typ, Path: path, Zxid: -1}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, kind := range kinds {
		key.kind = kind
		m.oneShot[key].send(e)
		delete(m.oneShot, key)
	}
}

// terminate ends every watch with a terminal event carrying err. When the
// client closes (final), every Watcher's goroutine ends at once, read or
// not; after a lost session the client lives on, and the terminal event
// waits behind the undelivered events until the Watcher is drained, closed,
// or the client closes.
func (m *watchManager) terminate(err error, final bool) {
	m.mu.Lock()
	oneShot, persistent := m.oneShot, m.persistent
	m.oneShot = make(map[watchKey]channels)
	m.persistent = make(map[watchKey][]*Watcher)
	for _, ws := range persistent {
		for _, w := range ws {
			m.ended[w] = struct{}{}
		}
	}
	// A snapshot: Watcher.Close may drop from m.ended meanwhile.
	ended := make([]*Watcher, 0, len(m.ended))
	for w := range m.ended {
		ended = append(ended, w)
	}
	if final {
		m.ended = make(map[*Watcher]struct{})
	}
	m.mu.Unlock()
	for key, chs := range oneShot {
		chs.send(Event{Type: EventNotWatching, Path: m.c.stripRoot(key.path), Zxid: -1, Err: err})
	}
	for _, w := range ended {
		last := Event{Type: EventNotWatching, Path: w.path, Zxid: -1, Err: err}
		if final {
			w.q.Finish(last)
		} else if w.q.Put(last) {
			w.q.Close()
		}
	}
}

// setWatchesBatch is the most path bytes one setWatches request carries.
const setWatchesBatch = 128 << 10

// resend re-registers every watch on a new connection of the same session,
// so that the server fires what changed while the client was away. It sends
// before any request, in batches of at most 128 KB of paths. Persistent
// watchers then get EventResync: the server does not replay the changes
// they missed.
func (m *watchManager) resend(cn *conn.Conn, lastZxid int64) {
	var req proto.SetWatches2Request
	m.mu.Lock()
	var lists [5][]string
	for key := range m.oneShot {
		lists[key.kind-1] = append(lists[key.kind-1], key.path)
	}
	var resync []*Watcher
	for key, ws := range m.persistent {
		lists[key.kind-1] = append(lists[key.kind-1], key.path)
		resync = append(resync, ws...)
	}
	m.mu.Unlock()
	var calls []*call
	size := 0
	flush := func() {
		if size == 0 {
			return
		}
		k := m.c.newAsyncCall(proto.OpSetWatches, "")
		k.xid = proto.XidSetWatches
		k.body = &proto.SetWatchesRequest{
			RelativeZxid: lastZxid, DataWatches: req.DataWatches,
			ExistWatches: req.ExistWatches, ChildWatches: req.ChildWatches,
		}
		if len(req.PersistentWatches)+len(req.PersistentRecursiveWatches) > 0 {
			r := req
			r.RelativeZxid = lastZxid
			k.op, k.body = proto.OpSetWatches2, &r
		}
		calls = append(calls, k)
		req, size = proto.SetWatches2Request{}, 0
	}
	add := func(dst *[]string, p string) {
		if size+len(p) > setWatchesBatch {
			flush()
		}
		*dst = append(*dst, p)
		size += len(p)
	}
	for kind, paths := range lists {
		for _, p := range paths {
			switch watchKind(kind + 1) {
			case watchData:
				add(&req.DataWatches, p)
			case watchExist:
				add(&req.ExistWatches, p)
			case watchChild:
				add(&req.ChildWatches, p)
			case watchPersistent:
				add(&req.PersistentWatches, p)
			case watchRecursive:
				add(&req.PersistentRecursiveWatches, p)
			}
		}
	}
	flush()
	if len(calls) > 0 && len(resync) > 0 {
		// Once the server has the watches again (its reply to the last
		// setWatches: replies come in order), a change made from now on
		// is delivered; what changed before may have been missed.
		last := calls[len(calls)-1]
		last.then = func() {
			if last.err == nil && last.code == proto.CodeOK {
				for _, w := range resync {
					w.put(Event{Type: EventResync, Path: w.path, Zxid: -1})
				}
			}
		}
	}
	for _, k := range calls {
		_ = m.c.sendOn(cn, k, true)
	}
}

// Watcher is a persistent watch (AddWatch): it sees every change until
// closed, surviving reconnects. Events are queued without bound, so a slow
// reader never stalls the client. The server does not replay the changes
// made while the client was disconnected: after each reconnect, once the
// watch is registered again, the Watcher receives EventResync, after which
// every change is delivered; re-read what you watch then.
type Watcher struct {
	c    *Client
	key  watchKey
	path string
	q    *queue.Queue[Event]
	once sync.Once
}

// Events returns the channel of events. It is closed after Close, or after
// a terminal event (Type EventNotWatching) when the session is lost or the
// client closes.
func (w *Watcher) Events() <-chan Event { return w.q.Out() }

// Path returns the watched path.
func (w *Watcher) Path() string { return w.path }

// put queues a server's event for the consumer, and tells the watch hooks.
func (w *Watcher) put(e Event) {
	if w.q.Put(e) && len(w.c.hooks.watch) > 0 {
		w.c.reportWatchEvent(e, w.q.Len())
	}
}

// Close stops the watch and closes the channel; queued events are dropped.
// When it was the last local watch of its kind on the path, the server's
// watch is removed too (best effort, in the background).
func (w *Watcher) Close() error {
	w.once.Do(func() {
		last := w.c.watches.drop(w)
		w.q.Cancel()
		if last {
			k := w.c.newAsyncCall(proto.OpRemoveWatches, w.path)
			k.wtype = int32(w.c.watcherType(w.key.kind))
			start(context.Background(), k, extractNone)
		}
	})
	return nil
}

// drop forgets w; it reports whether w was the last local watch of its kind
// on its path.
func (m *watchManager) drop(w *Watcher) (last bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.ended, w)
	ws, ok := m.persistent[w.key]
	if !ok {
		return false // already ended: nothing left on the server
	}
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) > 0 {
		m.persistent[w.key] = ws
		return false
	}
	delete(m.persistent, w.key)
	return true
}

// watcherType is the type that removes a persistent watch of kind on the
// connected server: 3.9 knows the persistent types; 3.6 to 3.8 reject them
// (MarshallingError) and remove persistent watches with WatchAny, which
// also takes the path's one-shot watches on those servers (a path holds a
// single watch mode per session there anyway, ZOOKEEPER-4466).
func (c *Client) watcherType(kind watchKind) WatcherType {
	if predates, known := c.serverPredates(proto.Version{Major: 3, Minor: 9}); predates || !known {
		return WatchAny
	}
	if kind == watchRecursive {
		return WatchPersistentRecursive
	}
	return WatchPersistent
}

// endPersistent ends the local Watchers of kinds on path with a
// PersistentWatchRemoved event: the server no longer holds their watch.
func (m *watchManager) endPersistent(path string, kinds ...watchKind) {
	var ended []*Watcher
	m.mu.Lock()
	for _, kind := range kinds {
		key := watchKey{m.c.serverPath(path), kind}
		ended = append(ended, m.persistent[key]...)
		delete(m.persistent, key)
	}
	m.mu.Unlock()
	for _, w := range ended {
		if w.q.Put(Event{Type: EventPersistentWatchRemoved, Path: path, Zxid: -1}) {
			w.q.Close()
		}
	}
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
	kind, mode := watchPersistent, proto.AddWatchPersistent
	if recursive {
		kind, mode = watchRecursive, proto.AddWatchPersistentRecursive
	}
	k := c.getCall(proto.OpAddWatch, path)
	k.wtype = int32(mode)
	if _, err := run(ctx, k, extractNone); err != nil {
		return nil, err
	}
	w := &Watcher{c: c, key: watchKey{c.serverPath(path), kind}, path: path, q: queue.New[Event]()}
	m := &c.watches
	m.mu.Lock()
	m.persistent[w.key] = append(m.persistent[w.key], w)
	m.mu.Unlock()
	return w, nil
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
	switch typ {
	case WatchData:
		c.watches.remove(path, []watchKind{watchData, watchExist}, EventDataWatchRemoved)
	case WatchChildren:
		c.watches.remove(path, []watchKind{watchChild}, EventChildWatchRemoved)
	case WatchPersistent:
		c.watches.endPersistent(path, watchPersistent)
	case WatchPersistentRecursive:
		c.watches.endPersistent(path, watchRecursive)
	case WatchAny:
		c.watches.remove(path, []watchKind{watchData, watchExist}, EventDataWatchRemoved)
		c.watches.remove(path, []watchKind{watchChild}, EventChildWatchRemoved)
		c.watches.endPersistent(path, watchPersistent, watchRecursive)
	}
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
	k := c.getCall(op, path)
	k.wtype = int32(typ)
	switch typ {
	case WatchPersistent:
		k.wtype = int32(c.watcherType(watchPersistent))
	case WatchPersistentRecursive:
		k.wtype = int32(c.watcherType(watchRecursive))
	}
	_, err := run(ctx, k, extractNone)
	return err
}
