package kazoo

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/proto"
)

// call is one request and, once answered, its result. It encodes itself
// (prefixing the chroot without building a new string) and decodes its
// reply on whichever goroutine reads the connection. Synchronous operations take
// calls from a pool, so a Get costs no allocation beyond its returned data.
type call struct {
	c  *Client
	op proto.Op

	// Request.
	path    string // as the caller gave it, without chroot
	data    []byte
	version int32
	watch   bool
	flags   proto.CreateFlags
	acl     []ACL
	ttl     int64
	wtype   int32        // WatcherType or AddWatchMode
	body    proto.Record // encodes the body instead of the fields above
	ops     []txnOp      // multi and multiRead
	wkind   watchKind    // the watch to register when the reply says so
	wch     chan Event   // its channel (one-shot watches)
	epoch   uint64       // the session the call belongs to

	// Reply.
	code     proto.Code
	zxid     int64
	err      error // client-side failure (connection loss, closed, ...)
	rdata    []byte
	stat     Stat
	rpath    string
	children []string
	racl     []ACL
	results  []proto.MultiResult
	number   int32
	clients  []proto.ClientInfo

	cn      atomic.Pointer[conn.Conn] // the connection it was sent on
	state   atomic.Int32              // callPending, callDone, callAbandoned
	passive atomic.Int32              // 1: counted in c.passive, 2: no longer (see watched)

	// Completion. A pooled call's done carries one signal; a future's is
	// closed, and made only when someone blocks on it (see doneChan).
	async   bool
	done    chan struct{}
	dmu     sync.Mutex // guards a future's done and fin
	fin     bool       // a future's completion was signalled
	extract any        // a future's func(*call) (T, error)
}

const (
	callPending int32 = iota
	callDone
	callAbandoned
)

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// getCall returns a pooled call for a synchronous operation.
func (c *Client) getCall(op proto.Op, path string) *call {
	k := callPool.Get().(*call)
	k.c, k.op, k.path = c, op, path
	return k
}

// newAsyncCall returns a call for a future (see Future); it is never
// pooled.
func (c *Client) newAsyncCall(op proto.Op, path string) *call {
	return &call{c: c, op: op, path: path, async: true}
}

// release returns a synchronous call to the pool.
func (k *call) release() {
	done := k.done
	*k = call{done: done}
	callPool.Put(k)
}

// wait waits for the call's reply or ctx, and reports whether the reply
// came. While it waits it reads the connection itself when no one else
// does, or asks the reader for the role (see conn.TryRead), so that a
// pipeline waiting for its oldest future is woken by the socket, not by
// another goroutine.
func (k *call) wait(ctx context.Context) bool {
	for {
		if k.completed() {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		cn := k.cn.Load()
		if cn == nil {
			// Not sent yet (disconnected): whoever sends it cannot know
			// we wait, so wait as a Done channel does (see watched).
			if k.async {
				k.watched()
			}
			select {
			case <-k.doneChan():
				return true
			case <-ctx.Done():
				return false
			}
		}
		// Ask for the role before trying to take it: a holder leaving
		// meanwhile then either sees the request or leaves the role free.
		cn.WantRead(1)
		if cn.TryRead() {
			cn.WantRead(-1)
			cn.ReadUntil(ctx, k)
			continue
		}
		done, stop := false, false
		select {
		case <-k.doneChan():
			done, stop = true, true
		case <-cn.RoleFree():
		case <-ctx.Done():
			stop = true
		}
		cn.WantRead(-1)
		if stop {
			return done
		}
	}
}

// completed reports whether the call is complete, taking a pooled call's
// signal if so.
func (k *call) completed() bool {
	if k.async {
		return k.Settled()
	}
	select {
	case <-k.done:
		return true
	default:
		return false
	}
}

// doneChan returns the channel that reports completion: a pooled call's
// signal, or a future's channel, made on first use since most futures'
// waiters read their reply themselves and never block on it.
func (k *call) doneChan() chan struct{} {
	if !k.async {
		return k.done
	}
	k.dmu.Lock()
	if k.done == nil {
		k.done = make(chan struct{})
		if k.fin {
			close(k.done)
		}
	}
	ch := k.done
	k.dmu.Unlock()
	return ch
}

// Append encodes the request body (conn.Conn calls it under its lock).
func (k *call) Append(b []byte) []byte {
	if k.body != nil {
		return k.body.Append(b)
	}
	root := k.c.chroot
	switch k.op {
	case proto.OpGetData, proto.OpExists, proto.OpGetChildren, proto.OpGetChildren2:
		b = appendPath(b, root, k.path)
		return proto.AppendBool(b, k.watch)
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		return appendCreate(b, root, k.path, k.data, k.acl, k.flags, k.ttl)
	case proto.OpDelete, proto.OpCheck:
		return proto.AppendInt32(appendPath(b, root, k.path), k.version)
	case proto.OpSetData:
		b = proto.AppendBuffer(appendPath(b, root, k.path), nonNil(k.data))
		return proto.AppendInt32(b, k.version)
	case proto.OpGetACL, proto.OpSync, proto.OpGetAllChildrenNumber:
		return appendPath(b, root, k.path)
	case proto.OpGetEphemerals:
		return proto.AppendString(b, root+k.path) // a prefix, not a node: may end in anything
	case proto.OpSetACL:
		b = proto.AppendACLs(appendPath(b, root, k.path), k.acl)
		return proto.AppendInt32(b, k.version)
	case proto.OpCheckWatches, proto.OpRemoveWatches, proto.OpAddWatch:
		return proto.AppendInt32(appendPath(b, root, k.path), k.wtype)
	case proto.OpMulti, proto.OpMultiRead:
		return appendTxn(b, root, k.ops)
	}
	return b // whoAmI, closeSession: no body
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func appendCreate(b []byte, root, path string, data []byte, acl []ACL, flags proto.CreateFlags, ttl int64) []byte {
	if path == "/" && flags.Sequential() {
		b = appendPath(b, "", root+"/") // children of the chroot itself
	} else {
		b = appendPath(b, root, path)
	}
	b = proto.AppendBuffer(b, nonNil(data))
	b = proto.AppendACLs(b, acl)
	b = proto.AppendInt32(b, int32(flags))
	if flags.TTL() {
		b = proto.AppendInt64(b, ttl)
	}
	return b
}

// appendPath appends root+path as one ustring without concatenating.
func appendPath(b []byte, root, path string) []byte {
	if root == "" {
		return proto.AppendString(b, path)
	}
	if path == "/" {
		return proto.AppendString(b, root)
	}
	b = proto.AppendInt32(b, int32(len(root)+len(path)))
	b = append(b, root...)
	return append(b, path...)
}

// Complete records the reply (conn.Call). It runs on the goroutine holding
// the connection's read role, one reply at a time.
func (k *call) Complete(hdr *proto.ReplyHeader, body []byte, err error) {
	switch {
	case err != nil:
		k.err = k.c.connError(err)
	default:
		k.code, k.zxid = hdr.Err, hdr.Zxid
		if hdr.Err == proto.CodeOK {
			if derr := k.decode(body); derr != nil {
				k.code = proto.CodeMarshallingError
				k.err = derr
			}
		}
		if k.wkind != 0 {
			k.c.watches.registerReply(k)
		}
	}
	k.finish()
}

// finish wakes the waiter, or recycles an abandoned synchronous call.
func (k *call) finish() {
	if !k.state.CompareAndSwap(callPending, callDone) {
		if !k.async {
			k.release() // the waiter gave up; nobody else holds k
		}
		return
	}
	if k.async {
		if k.passive.CompareAndSwap(1, 2) {
			k.c.passive.Add(-1)
		}
		k.dmu.Lock()
		k.fin = true
		if k.done != nil {
			close(k.done)
		}
		k.dmu.Unlock()
	} else {
		k.done <- struct{}{}
	}
}

// watched records that someone waits for a future without reading the
// connection (on its Done channel, or for it to be sent), unlike Result and
// Wait, which read: until the reply arrives, the connection must not leave
// it unread for long.
func (k *call) watched() {
	if !k.passive.CompareAndSwap(0, 1) {
		return
	}
	k.c.passive.Add(1)
	if k.Settled() {
		if k.passive.CompareAndSwap(1, 2) {
			k.c.passive.Add(-1)
		}
		return
	}
	if cn := k.cn.Load(); cn != nil {
		cn.Hurry()
	}
}

// Settled reports whether the call has been completed (conn.Settled).
func (k *call) Settled() bool { return k.state.Load() != callPending }

// fail completes a call that was never sent.
func (k *call) fail(err error) {
	k.err = err
	k.finish()
}

var errMalformed = errors.New("malformed reply")

func (k *call) decode(body []byte) error {
	var d proto.Decoder
	d.Reset(body)
	switch k.op {
	case proto.OpGetData:
		if data := d.Buffer(); data != nil {
			k.rdata = append(make([]byte, 0, len(data)), data...)
		}
		k.stat.Decode(&d)
	case proto.OpExists, proto.OpSetData, proto.OpSetACL:
		k.stat.Decode(&d)
	case proto.OpCreate, proto.OpSync:
		k.rpath = k.c.stripRoot(d.String())
	case proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		k.rpath = k.c.stripRoot(d.String())
		k.stat.Decode(&d)
	case proto.OpGetChildren:
		k.children = d.Strings()
	case proto.OpGetChildren2:
		k.children = d.Strings()
		k.stat.Decode(&d)
	case proto.OpGetACL:
		k.racl = d.ACLs()
		k.stat.Decode(&d)
	case proto.OpGetAllChildrenNumber:
		k.number = d.Int32()
	case proto.OpGetEphemerals:
		k.children = d.Strings()
		for i, p := range k.children {
			k.children[i] = k.c.stripRoot(p)
		}
	case proto.OpSASL:
		k.rdata = append([]byte{}, d.Buffer()...)
	case proto.OpWhoAmI:
		var r proto.WhoAmIResponse
		r.Decode(&d)
		k.clients = r.ClientInfo
	case proto.OpReconfig:
		var r proto.GetDataResponse
		r.Decode(&d)
		k.rdata = append([]byte(nil), r.Data...)
		k.stat = r.Stat
	case proto.OpMulti, proto.OpMultiRead:
		var r proto.MultiResponse
		r.Decode(&d)
		for i := range r.Results {
			res := &r.Results[i]
			res.Path = k.c.stripRoot(res.Path)
			if res.Data != nil {
				res.Data = append([]byte(nil), res.Data...)
			}
		}
		k.results = r.Results
	}
	if err := d.Err(); err != nil {
		return errors.Join(errMalformed, err)
	}
	return nil
}

// result returns the call's error as the API reports it.
func (k *call) result() error {
	if (k.err != nil || k.code == proto.CodeSessionExpired) && k.c.closing.Load() {
		// What a closing client's calls meet (the server dropping the
		// connection, or answering "expired" after closeSession) is the
		// close, not a failure.
		if _, ok := k.err.(*Error); !ok || k.code == proto.CodeSessionExpired {
			return clientError(k.op, k.path, k.c.closeCause())
		}
	}
	if k.err != nil {
		var e *Error
		if errors.As(k.err, &e) {
			return k.err
		}
		if code, ok := k.err.(codeError); ok {
			return &Error{Code: proto.Code(code), Op: k.op.String(), Path: k.path}
		}
		return clientError(k.op, k.path, k.err)
	}
	if k.code != proto.CodeOK {
		return opError(k.op, k.path, k.code)
	}
	return nil
}

var _ conn.Call = (*call)(nil)
