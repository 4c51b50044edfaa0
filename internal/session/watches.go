package session

import (
	"strings"
	"sync"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/internal/queue"
	"github.com/kazoo-go/kazoo/proto"
)

// Event is a change to a watched node, or the end of a watch
// (kazoo.Event, which documents it).
type Event struct {
	Type proto.EventType
	Path string // relative to the chroot
	Zxid int64  // the change's zxid; -1 from servers before 3.9
	Err  error  // set when Type is proto.EventNone
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

// watchKey is a watch's entry: the client's path (without the chroot), or
// the server's own path for a watch outside the chroot (Config), so that
// registering a watch builds no server path.
type watchKey struct {
	path    string
	kind    watchKind
	outside bool
}

// watchManager holds every watch of the session. One-shot watches are
// channels of capacity one (they fire once, so a send never blocks);
// persistent watches are Watchers with unbounded queues. The reader
// goroutine registers watches when replies arrive and delivers
// notifications; neither ever blocks on a consumer.
type watchManager struct {
	c          *Session
	mu         sync.Mutex
	oneShot    map[watchKey]channels
	outsides   int // one-shot entries outside the chroot
	persistent map[watchKey][]*Watch
	ended      map[*Watch]struct{} // ended by a lost session, perhaps undrained
}

func (m *watchManager) init(c *Session) {
	m.c = c
	m.oneShot = make(map[watchKey]channels)
	m.persistent = make(map[watchKey][]*Watch)
	m.ended = make(map[*Watch]struct{})
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
func (m *watchManager) registerReply(k *Call) {
	kind := watchData
	if k.Op == proto.OpGetChildren || k.Op == proto.OpGetChildren2 {
		kind = watchChild
	}
	switch {
	case k.Err != nil:
		return
	case k.Code == proto.CodeNoNode && k.Op == proto.OpExists:
		kind = watchExist
	case k.Code != proto.CodeOK:
		return
	}
	key := watchKey{k.Path, kind, k.Outside}
	m.mu.Lock()
	chs := m.oneShot[key]
	if chs.first == nil && key.outside {
		m.outsides++
	}
	chs.path = key.path
	chs.add(k.WCh)
	m.oneShot[key] = chs
	m.mu.Unlock()
}

// Notify delivers a server notification (conn.Handler). It allocates
// nothing for a one-shot watch: the path is looked up as bytes.
func (m *watchManager) Notify(ev *proto.WatcherEventView, zxid int64) {
	if ev.Type == proto.EventNone {
		return
	}
	rel, inRoot := m.c.relPath(ev.Path)
	m.mu.Lock()
	defer m.mu.Unlock()
	fire := func(kind watchKind) {
		if inRoot {
			if chs, ok := m.oneShot[watchKey{string(rel), kind, false}]; ok {
				m.fireOneShot(chs, kind, false, ev.Type, zxid)
			}
		}
		if m.outsides > 0 {
			if chs, ok := m.oneShot[watchKey{string(ev.Path), kind, true}]; ok {
				m.fireOneShot(chs, kind, true, ev.Type, zxid)
			}
		}
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
	if len(m.persistent) == 0 || !inRoot {
		return
	}
	path := string(rel)
	e := Event{Type: ev.Type, Path: path, Zxid: zxid}
	for _, w := range m.persistent[watchKey{path, watchPersistent, false}] {
		w.put(e)
	}
	if ev.Type == proto.EventNodeChildrenChanged {
		return // recursive watches do not see child events
	}
	for p := path; ; p = ParentPath(p) {
		for _, w := range m.persistent[watchKey{p, watchRecursive, false}] {
			w.put(e)
		}
		if p == "/" {
			return
		}
	}
}

// fireOneShot ends the one-shot watches chs of kind with their event (m.mu
// held).
func (m *watchManager) fireOneShot(chs channels, kind watchKind, outside bool, typ proto.EventType, zxid int64) {
	e := Event{Type: typ, Path: chs.path, Zxid: zxid}
	chs.send(e)
	m.c.reportWatchEvent(e, 1)
	delete(m.oneShot, watchKey{chs.path, kind, outside})
	if outside {
		m.outsides--
	}
}

// remove ends the one-shot watches of kind on path with a removal event.
func (m *watchManager) remove(path string, kinds []watchKind, typ proto.EventType) {
	e := Event{Type: typ, Path: path, Zxid: -1}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, kind := range kinds {
		key := watchKey{path, kind, false}
		m.oneShot[key].send(e)
		delete(m.oneShot, key)
		if m.outsides > 0 { // a watch outside the chroot on the same server node
			key = watchKey{m.c.serverPath(path), kind, true}
			if chs, ok := m.oneShot[key]; ok {
				chs.send(Event{Type: typ, Path: key.path, Zxid: -1})
				delete(m.oneShot, key)
				m.outsides--
			}
		}
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
	m.oneShot, m.outsides = make(map[watchKey]channels), 0
	m.persistent = make(map[watchKey][]*Watch)
	for _, ws := range persistent {
		for _, w := range ws {
			m.ended[w] = struct{}{}
		}
	}
	// A snapshot: Watcher.Close may drop from m.ended meanwhile.
	ended := make([]*Watch, 0, len(m.ended))
	for w := range m.ended {
		ended = append(ended, w)
	}
	if final {
		m.ended = make(map[*Watch]struct{})
	}
	m.mu.Unlock()
	for key, chs := range oneShot {
		chs.send(Event{Type: proto.EventNone, Path: key.path, Zxid: -1, Err: err})
	}
	for _, w := range ended {
		last := Event{Type: proto.EventNone, Path: w.path, Zxid: -1, Err: err}
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
// watchers then get proto.EventResync: the server does not replay the changes
// they missed.
func (m *watchManager) resend(cn *conn.Conn, lastZxid int64) {
	var req proto.SetWatches2Request
	m.mu.Lock()
	var lists [5][]string
	for key := range m.oneShot {
		lists[key.kind-1] = append(lists[key.kind-1], m.serverPath(key))
	}
	var resync []*Watch
	for key, ws := range m.persistent {
		lists[key.kind-1] = append(lists[key.kind-1], m.serverPath(key))
		resync = append(resync, ws...)
	}
	m.mu.Unlock()
	var calls []*Call
	size := 0
	flush := func() {
		if size == 0 {
			return
		}
		k := m.c.NewAsyncCall(proto.OpSetWatches, "")
		k.Xid = proto.XidSetWatches
		k.Body = &proto.SetWatchesRequest{
			RelativeZxid: lastZxid, DataWatches: req.DataWatches,
			ExistWatches: req.ExistWatches, ChildWatches: req.ChildWatches,
		}
		if len(req.PersistentWatches)+len(req.PersistentRecursiveWatches) > 0 {
			r := req
			r.RelativeZxid = lastZxid
			k.Op, k.Body = proto.OpSetWatches2, &r
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
			if last.Err == nil && last.Code == proto.CodeOK {
				for _, w := range resync {
					w.put(Event{Type: proto.EventResync, Path: w.path, Zxid: -1})
				}
			}
		}
	}
	for _, k := range calls {
		_ = m.c.sendOn(cn, k, true)
	}
}

// Watch is a persistent watch's registration (kazoo.Watcher is the API
// over it): its events are queued without bound, so a slow reader never
// stalls the reader goroutine.
type Watch struct {
	c    *Session
	key  watchKey
	path string // as the caller gave it
	q    *queue.Queue[Event]
}

// AddWatch registers a persistent (or recursive) watch on path, which the
// server has just accepted.
func (c *Session) AddWatch(path string, recursive bool) *Watch {
	kind := watchPersistent
	if recursive {
		kind = watchRecursive
	}
	w := &Watch{c: c, key: watchKey{path, kind, false}, path: path, q: queue.New[Event]()}
	m := &c.watches
	m.mu.Lock()
	m.persistent[w.key] = append(m.persistent[w.key], w)
	m.mu.Unlock()
	return w
}

// Events returns the channel of events.
func (w *Watch) Events() <-chan Event { return w.q.Out() }

// put queues a server's event for the consumer, and tells the watch hooks.
func (w *Watch) put(e Event) {
	if w.q.Put(e) && w.c.hooks.watch {
		w.c.reportWatchEvent(e, w.q.Len())
	}
}

// Close forgets w and ends its channel; queued events are dropped. It
// reports the type that removes the server's watch when w was the last
// local watch of its kind on its path, and false when the server's watch
// is to stay (or is gone already).
func (w *Watch) Close() (typ proto.WatcherType, last bool) {
	last = w.c.watches.drop(w)
	w.q.Cancel()
	return w.c.watcherType(w.key.kind), last
}

// drop forgets w; it reports whether w was the last local watch of its kind
// on its path.
func (m *watchManager) drop(w *Watch) (last bool) {
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
func (c *Session) watcherType(kind watchKind) proto.WatcherType {
	if predates, known := c.ServerPredates(proto.Version{Major: 3, Minor: 9}); predates || !known {
		return proto.WatcherAny
	}
	if kind == watchRecursive {
		return proto.WatcherPersistentRecursive
	}
	return proto.WatcherPersistent
}

// ServerWatcherType is the type that selects watches of type typ on the
// connected server (see watcherType).
func (c *Session) ServerWatcherType(typ proto.WatcherType) proto.WatcherType {
	switch typ {
	case proto.WatcherPersistent:
		return c.watcherType(watchPersistent)
	case proto.WatcherPersistentRecursive:
		return c.watcherType(watchRecursive)
	}
	return typ
}

// endPersistent ends the local Watchers of kinds on path with a
// PersistentWatchRemoved event: the server no longer holds their watch.
func (m *watchManager) endPersistent(path string, kinds ...watchKind) {
	var ended []*Watch
	m.mu.Lock()
	for _, kind := range kinds {
		key := watchKey{path, kind, false}
		ended = append(ended, m.persistent[key]...)
		delete(m.persistent, key)
	}
	m.mu.Unlock()
	for _, w := range ended {
		if w.q.Put(Event{Type: proto.EventPersistentWatchRemoved, Path: path, Zxid: -1}) {
			w.q.Close()
		}
	}
}

// WatchesRemoved ends the local watches of type typ on path, which the
// server has just removed (RemoveWatches): one-shot watches get a
// DataWatchRemoved or ChildWatchRemoved event, persistent ones a
// PersistentWatchRemoved event and the end of their channel.
func (c *Session) WatchesRemoved(path string, typ proto.WatcherType) {
	m := &c.watches
	switch typ {
	case proto.WatcherData:
		m.remove(path, []watchKind{watchData, watchExist}, proto.EventDataWatchRemoved)
	case proto.WatcherChildren:
		m.remove(path, []watchKind{watchChild}, proto.EventChildWatchRemoved)
	case proto.WatcherPersistent:
		m.endPersistent(path, watchPersistent)
	case proto.WatcherPersistentRecursive:
		m.endPersistent(path, watchRecursive)
	case proto.WatcherAny:
		m.remove(path, []watchKind{watchData, watchExist}, proto.EventDataWatchRemoved)
		m.remove(path, []watchKind{watchChild}, proto.EventChildWatchRemoved)
		m.endPersistent(path, watchPersistent, watchRecursive)
	}
}

// serverPath is the server's path of a watch.
func (m *watchManager) serverPath(key watchKey) string {
	if key.outside {
		return key.path
	}
	return m.c.serverPath(key.path)
}

// ParentPath returns the parent of an absolute path ("/" for top level).
func ParentPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
