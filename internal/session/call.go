package session

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/proto"
)

// Call is one request and, once answered, its result. Its body is encoded
// by proto's request records (Append) and its reply decoded by proto's
// response records (Complete), on the connection's reader goroutine.
// Synchronous operations take calls from a pool, so a Get costs no
// allocation beyond its returned data. Every request is a Call: package
// kazoo sets the exported request fields and reads the reply's.
type Call struct {
	c     *Session
	Op    proto.Op
	Xid   int32  // 0, or proto.XidAuth
	epoch uint64 // the session the call belongs to, from its first line

	// Request.
	Path    string // as the caller gave it, without chroot
	Outside bool   // Path is outside the chroot, the server's own (Config)
	Data    []byte
	Version int32
	Watch   bool
	Flags   proto.CreateFlags
	ACL     []proto.ACL
	TTL     int64
	WType   int32        // WatcherType or AddWatchMode
	Body    proto.Record // encodes the body instead of the fields above
	Ops     TxnOps       // multi and multiRead
	WCh     chan Event   // a one-shot watch's channel, registered when the reply says the server set it

	// Reply.
	Code     proto.Code
	Zxid     int64
	Err      error // client-side failure (connection loss, closed, ...)
	RData    []byte
	Stat     proto.Stat
	RPath    string
	Children []string
	RACL     []proto.ACL
	Number   int32
	Clients  []proto.ClientInfo
	Reply    Reply // set by the caller: decodes the body instead of the fields above (multi, multiRead)

	cn    atomic.Pointer[conn.Conn] // the connection it was sent on
	state atomic.Int32              // callPending, callDone, callAbandoned

	// Completion. A pooled call's done carries one signal; a future's is
	// closed, and made only when someone blocks on it (see doneChan).
	async   bool
	done    chan struct{}
	dmu     sync.Mutex  // guards a future's done and fin
	fin     bool        // a future's completion was signalled
	Extract any         // a future's func(*Call) (T, error), set by package kazoo
	then    func()      // runs on the reader once the reply is recorded (a session step)
	queued  bool        // in the client's backlog (c.mu guards it)
	stop    func() bool // stops the backlog's watch of the context

	// For HookRequest, set only when the client has such hooks.
	hctx  context.Context // the caller's
	start time.Time       // when it was submitted
	RSize int             // the reply's frame size
}

const (
	callPending int32 = iota
	callDone
	callAbandoned
)

var callPool = sync.Pool{New: func() any { return &Call{done: make(chan struct{}, 1)} }}

// GetCall returns a pooled call for a synchronous operation, of the
// current session. Exec runs it; Release returns it.
func (c *Session) GetCall(op proto.Op, path string) *Call {
	k := callPool.Get().(*Call)
	k.c, k.Op, k.Path, k.epoch = c, op, path, c.epoch.Load()
	return k
}

// NewAsyncCall returns a call for a future, of the current session; it is
// never pooled.
func (c *Session) NewAsyncCall(op proto.Op, path string) *Call {
	return &Call{c: c, Op: op, Path: path, async: true, epoch: c.epoch.Load()}
}

// Release returns a synchronous call to the pool.
func (k *Call) Release() {
	done := k.done
	*k = Call{done: done}
	callPool.Put(k)
}

// Wait waits for the call's reply or ctx, and reports whether the reply
// came. Before blocking it flushes what its connection holds queued: the
// requests a pipeline queued while replies were in flight (see package
// conn) need not wait for more replies when their sender waits.
func (k *Call) Wait(ctx context.Context) bool {
	if k.completed() {
		return true
	}
	if cn := k.cn.Load(); cn != nil {
		cn.Flush()
	}
	select {
	case <-k.DoneChan():
		return true
	case <-ctx.Done():
		return k.completed()
	}
}

// completed reports whether the call is complete, taking a pooled call's
// signal if so.
func (k *Call) completed() bool {
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

// DoneChan returns the channel that reports completion: a pooled call's
// signal, or a future's channel, made on first use.
func (k *Call) DoneChan() chan struct{} {
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

// Append encodes the request body (proto.Record, called by the connection
// under its lock): the caller's own record, a transaction's operations, or
// the record of k's fields (appendRequest).
func (k *Call) Append(b []byte) []byte {
	switch {
	case k.Body != nil:
		return k.Body.Append(b)
	case k.Op == proto.OpMulti || k.Op == proto.OpMultiRead:
		return k.c.appendMulti(b, &k.Ops)
	}
	r := request{
		op: k.Op, path: k.Path, outside: k.Outside, data: k.Data, version: k.Version,
		watch: k.Watch, wtype: k.WType, acl: k.ACL, flags: k.Flags, ttl: k.TTL,
	}
	return k.c.appendRequest(b, &r)
}

// Reply decodes a reply body with proto's records into the caller's own
// form, on the connection's reader goroutine: it must copy what it keeps of
// the body, which is reused after it returns. Package kazoo decodes a
// multi's results this way, straight into the results it returns.
type Reply interface {
	Decode(body []byte) error
}

// Complete records the reply (conn.Call); Wake then wakes the waiter. Both
// run on the connection's reader goroutine, one reply at a time.
func (k *Call) Complete(hdr *proto.ReplyHeader, body []byte, err error) {
	switch {
	case err != nil:
		k.Err = k.c.connError(err)
	default:
		k.Code, k.Zxid, k.RSize = hdr.Err, hdr.Zxid, len(body)+4+proto.ReplyHeaderSize
		if hdr.Err == proto.CodeUnimplemented {
			k.c.learnUnimplemented(k.cn.Load().Addr(), k.Op)
		}
		if hdr.Err == proto.CodeOK {
			if derr := k.decode(body); derr != nil {
				k.Code = proto.CodeMarshallingError
				k.Err = fmt.Errorf("%w: malformed %s reply: %w", ErrMarshallingError, k.Op, derr)
			}
		}
		if k.WCh != nil {
			k.c.watches.registerReply(k)
		}
	}
	if k.then != nil {
		k.then()
	}
}

// Wake wakes the waiter (conn.Call), after Complete.
func (k *Call) Wake() { k.Finish() }

// Finish wakes the waiter, or recycles an abandoned synchronous call.
func (k *Call) Finish() {
	if !k.start.IsZero() {
		k.c.reportRequest(k)
	}
	if !k.state.CompareAndSwap(callPending, callDone) {
		if !k.async {
			k.Release() // the waiter gave up; nobody else holds k
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

// Fail completes a call that was never sent.
func (k *Call) Fail(err error) {
	k.Err = err
	k.Finish()
}

// decode reads the reply body with proto's response records, copying what
// aliases the connection's buffer and removing the chroot from paths.
func (k *Call) decode(body []byte) error {
	if k.Reply != nil {
		// Not given d: a Decoder passed to an interface method escapes,
		// which would cost every reply an allocation.
		return k.Reply.Decode(body)
	}
	var d proto.Decoder
	d.Reset(body)
	c := k.c
	switch k.Op {
	case proto.OpGetData, proto.OpReconfig:
		var r proto.GetDataResponse
		r.Decode(&d)
		if r.Data != nil {
			k.RData = append(make([]byte, 0, len(r.Data)), r.Data...)
		}
		k.Stat = r.Stat
	case proto.OpExists, proto.OpSetData, proto.OpSetACL:
		var r proto.StatResponse
		r.Decode(&d)
		k.Stat = r.Stat
	case proto.OpCreate, proto.OpSync:
		var r proto.PathResponse
		r.Decode(&d)
		k.RPath = c.StripRoot(r.Path)
	case proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		var r proto.Create2Response
		r.Decode(&d)
		k.RPath, k.Stat = c.StripRoot(r.Path), r.Stat
	case proto.OpGetChildren:
		var r proto.GetChildrenResponse
		r.Decode(&d)
		k.Children = r.Children
	case proto.OpGetChildren2:
		var r proto.GetChildren2Response
		r.Decode(&d)
		k.Children, k.Stat = r.Children, r.Stat
	case proto.OpGetACL:
		var r proto.GetACLResponse
		r.Decode(&d)
		k.RACL, k.Stat = r.ACL, r.Stat
	case proto.OpGetAllChildrenNumber:
		var r proto.GetAllChildrenNumberResponse
		r.Decode(&d)
		k.Number = r.Number
	case proto.OpGetEphemerals:
		var r proto.GetEphemeralsResponse
		r.Decode(&d)
		for i, p := range r.Ephemerals {
			r.Ephemerals[i] = c.StripRoot(p)
		}
		k.Children = r.Ephemerals
	case proto.OpSASL:
		var r proto.SASLResponse
		r.Decode(&d)
		k.RData = append([]byte{}, r.Token...)
	case proto.OpWhoAmI:
		var r proto.WhoAmIResponse
		r.Decode(&d)
		k.Clients = r.ClientInfo
	}
	return d.Err()
}

var _ conn.Call = (*Call)(nil)
