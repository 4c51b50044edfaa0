package kazoo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/proto"
)

// call is one request and, once answered, its result. Its body is encoded
// by proto's request records (request) and its reply decoded by proto's
// response records (Complete), on the connection's reader goroutine.
// Synchronous operations take calls from a pool, so a Get costs no
// allocation beyond its returned data.
type call struct {
	c     *Client
	op    proto.Op
	xid   int32  // 0, or proto.XidAuth
	epoch uint64 // the session the call belongs to, from its first line

	// Request.
	path    string // as the caller gave it, without chroot
	outside bool   // path is outside the chroot, the server's own (Config)
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

	cn    atomic.Pointer[conn.Conn] // the connection it was sent on
	state atomic.Int32              // callPending, callDone, callAbandoned

	// Completion. A pooled call's done carries one signal; a future's is
	// closed, and made only when someone blocks on it (see doneChan).
	async   bool
	done    chan struct{}
	dmu     sync.Mutex  // guards a future's done and fin
	fin     bool        // a future's completion was signalled
	extract any         // a future's func(*call) (T, error)
	then    func()      // runs on the reader once the reply is recorded (a session step)
	queued  bool        // in the client's backlog (c.mu guards it)
	stop    func() bool // stops the backlog's watch of the context

	// For HookRequest, set only when the client has such hooks.
	hctx  context.Context // the caller's
	start time.Time       // when it was submitted
	rsize int             // the reply's frame size
}

const (
	callPending int32 = iota
	callDone
	callAbandoned
)

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// getCall returns a pooled call for a synchronous operation, of the current
// session.
func (c *Client) getCall(op proto.Op, path string) *call {
	k := callPool.Get().(*call)
	k.c, k.op, k.path, k.epoch = c, op, path, c.epoch.Load()
	return k
}

// newAsyncCall returns a call for a future (see Future), of the current
// session; it is never pooled.
func (c *Client) newAsyncCall(op proto.Op, path string) *call {
	return &call{c: c, op: op, path: path, async: true, epoch: c.epoch.Load()}
}

// release returns a synchronous call to the pool.
func (k *call) release() {
	done := k.done
	*k = call{done: done}
	callPool.Put(k)
}

// wait waits for the call's reply or ctx, and reports whether the reply
// came. Before blocking it flushes what its connection holds queued: the
// requests a pipeline queued while replies were in flight (see package
// conn) need not wait for more replies when their sender waits.
func (k *call) wait(ctx context.Context) bool {
	if k.completed() {
		return true
	}
	if cn := k.cn.Load(); cn != nil {
		cn.Flush()
	}
	select {
	case <-k.doneChan():
		return true
	case <-ctx.Done():
		return k.completed()
	}
}

// completed reports whether the call is complete, taking a pooled call's
// signal if so.
func (k *call) completed() bool {
	if k.async {
		return k.state.Load() != callPending
	}
	select {
	case <-k.done:
		return true
	default:
		return false
	}
}

// doneChan returns the channel that reports completion: a pooled call's
// signal, or a future's channel, made on first use.
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

// Append encodes the request body with proto's records, the chroot applied
// (proto.Record, called by the connection under its lock).
func (k *call) Append(b []byte) []byte {
	if k.body != nil {
		return k.body.Append(b)
	}
	c := k.c
	switch k.op {
	case proto.OpGetData, proto.OpExists, proto.OpGetChildren, proto.OpGetChildren2:
		r := proto.PathWatchRequest{Path: k.serverPath(), Watch: k.watch}
		return r.Append(b)
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		r := createRequest(c, k.path, k.data, k.acl, k.flags, k.ttl)
		return r.Append(b)
	case proto.OpDelete:
		r := proto.DeleteRequest{Path: c.serverPath(k.path), Version: k.version}
		return r.Append(b)
	case proto.OpSetData:
		r := proto.SetDataRequest{Path: c.serverPath(k.path), Data: stored(k.data), Version: k.version}
		return r.Append(b)
	case proto.OpGetACL, proto.OpSync, proto.OpGetAllChildrenNumber:
		r := proto.PathRequest{Path: c.serverPath(k.path)}
		return r.Append(b)
	case proto.OpGetEphemerals:
		r := proto.PathRequest{Path: c.chroot + k.path} // a prefix, not a node
		return r.Append(b)
	case proto.OpSetACL:
		r := proto.SetACLRequest{Path: c.serverPath(k.path), ACL: k.acl, Version: k.version}
		return r.Append(b)
	case proto.OpCheckWatches, proto.OpRemoveWatches:
		r := proto.WatchesRequest{Path: c.serverPath(k.path), Type: proto.WatcherType(k.wtype)}
		return r.Append(b)
	case proto.OpAddWatch:
		r := proto.AddWatchRequest{Path: c.serverPath(k.path), Mode: proto.AddWatchMode(k.wtype)}
		return r.Append(b)
	case proto.OpMulti, proto.OpMultiRead:
		return c.multiRequest(k.ops).Append(b)
	}
	return b // whoAmI, closeSession: no body
}

// serverPath is the server's path of k's node: the chroot applied, unless
// the node is outside it.
func (k *call) serverPath() string {
	if k.outside {
		return k.path
	}
	return k.c.serverPath(k.path)
}

// createRequest is the body of a create; a sequential create of "/" makes
// children of the chroot itself.
func createRequest(c *Client, path string, data []byte, acl []ACL, flags proto.CreateFlags, ttl int64) proto.CreateRequest {
	p := c.serverPath(path)
	if path == "/" && flags.Sequential() && c.chroot != "" {
		p = c.chroot + "/"
	}
	return proto.CreateRequest{Path: p, Data: stored(data), ACL: acl, Flags: flags, TTL: ttl}
}

// stored is the value a create or set sends for data: nil as empty, as
// kazoo does, so that every client reads bytes back (kazoo's recipes fail
// on a node whose value is null).
func stored(data []byte) []byte {
	if data == nil {
		return []byte{}
	}
	return data
}

// Complete records the reply (conn.Call); Wake then wakes the waiter. Both
// run on the connection's reader goroutine, one reply at a time.
func (k *call) Complete(hdr *proto.ReplyHeader, body []byte, err error) {
	switch {
	case err != nil:
		k.err = k.c.connError(err)
	default:
		k.code, k.zxid, k.rsize = hdr.Err, hdr.Zxid, len(body)+4+proto.ReplyHeaderSize
		if hdr.Err == proto.CodeUnimplemented {
			k.c.learnUnimplemented(k.cn.Load().Addr(), k.op)
		}
		if hdr.Err == proto.CodeOK {
			if derr := k.decode(body); derr != nil {
				k.code = proto.CodeMarshallingError
				k.err = fmt.Errorf("%w: malformed %s reply: %w", ErrMarshallingError, k.op, derr)
			}
		}
		if k.wkind != 0 {
			k.c.watches.registerReply(k)
		}
	}
	if k.then != nil {
		k.then()
	}
}

// Wake wakes the waiter (conn.Call), after Complete.
func (k *call) Wake() { k.finish() }

// finish wakes the waiter, or recycles an abandoned synchronous call.
func (k *call) finish() {
	if !k.start.IsZero() {
		k.c.reportRequest(k)
	}
	if !k.state.CompareAndSwap(callPending, callDone) {
		if !k.async {
			k.release() // the waiter gave up; nobody else holds k
		}
		return
	}
	if k.async {
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

// fail completes a call that was never sent.
func (k *call) fail(err error) {
	k.err = err
	k.finish()
}

// decode reads the reply body with proto's response records, copying what
// aliases the connection's buffer and removing the chroot from paths.
func (k *call) decode(body []byte) error {
	var d proto.Decoder
	d.Reset(body)
	c := k.c
	switch k.op {
	case proto.OpGetData, proto.OpReconfig:
		var r proto.GetDataResponse
		r.Decode(&d)
		if r.Data != nil {
			k.rdata = append(make([]byte, 0, len(r.Data)), r.Data...)
		}
		k.stat = r.Stat
	case proto.OpExists, proto.OpSetData, proto.OpSetACL:
		var r proto.StatResponse
		r.Decode(&d)
		k.stat = r.Stat
	case proto.OpCreate, proto.OpSync:
		var r proto.PathResponse
		r.Decode(&d)
		k.rpath = c.stripRoot(r.Path)
	case proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		var r proto.Create2Response
		r.Decode(&d)
		k.rpath, k.stat = c.stripRoot(r.Path), r.Stat
	case proto.OpGetChildren:
		var r proto.GetChildrenResponse
		r.Decode(&d)
		k.children = r.Children
	case proto.OpGetChildren2:
		var r proto.GetChildren2Response
		r.Decode(&d)
		k.children, k.stat = r.Children, r.Stat
	case proto.OpGetACL:
		var r proto.GetACLResponse
		r.Decode(&d)
		k.racl, k.stat = r.ACL, r.Stat
	case proto.OpGetAllChildrenNumber:
		var r proto.GetAllChildrenNumberResponse
		r.Decode(&d)
		k.number = r.Number
	case proto.OpGetEphemerals:
		var r proto.GetEphemeralsResponse
		r.Decode(&d)
		for i, p := range r.Ephemerals {
			r.Ephemerals[i] = c.stripRoot(p)
		}
		k.children = r.Ephemerals
	case proto.OpSASL:
		var r proto.SASLResponse
		r.Decode(&d)
		k.rdata = append([]byte{}, r.Token...)
	case proto.OpWhoAmI:
		var r proto.WhoAmIResponse
		r.Decode(&d)
		k.clients = r.ClientInfo
	case proto.OpMulti, proto.OpMultiRead:
		var r proto.MultiResponse
		r.Decode(&d)
		for i := range r.Results {
			res := &r.Results[i]
			res.Path = c.stripRoot(res.Path)
			if res.Data != nil {
				res.Data = append([]byte(nil), res.Data...)
			}
		}
		k.results = r.Results
	}
	return d.Err()
}

// result returns the call's error as the API reports it.
func (k *call) result() error {
	gone := k.code == proto.CodeSessionExpired || k.code == proto.CodeUnknownSession
	if (k.err != nil || gone) && k.c.closing.Load() {
		// What a closing client's calls meet (the server dropping the
		// connection, or answering "expired" or "unknown session" after
		// closeSession) is the close, not a failure.
		if _, ok := k.err.(*Error); !ok || gone {
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
		return &Error{Code: k.code, Op: k.op.String(), Path: k.path, Err: k.err}
	}
	if k.code != proto.CodeOK {
		return opError(k.op, k.path, k.code)
	}
	return nil
}

var _ conn.Call = (*call)(nil)
