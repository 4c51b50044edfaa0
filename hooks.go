package kazoo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/proto"
)

// A Hook observes a client, for metrics and tracing; pass hooks to
// [WithHooks]. A hook implements one or more of [HookStateChange],
// [HookRequest], [HookConnect] and [HookWatchEvent], and the client calls
// each method it implements. The calls run on the client's own goroutines,
// in the order things happen: a hook must be quick and must not block. A
// client without hooks pays nothing for them (no allocation, no clock read).
//
// The adapters in this repository's modules kzprom (Prometheus) and kzotel
// (OpenTelemetry metrics and traces) are hooks.
type Hook any

// HookStateChange is told of every state transition.
type HookStateChange interface {
	OnStateChange(from, to State)
}

// HookRequest is told of every request once it completes (answered, or
// failed before or after it was sent). ctx is the caller's context, so a
// tracing hook can attach its span to the caller's.
type HookRequest interface {
	OnRequest(ctx context.Context, r RequestInfo)
}

// RequestInfo describes one completed request.
type RequestInfo struct {
	Op       proto.Op
	Path     string        // as the caller gave it (without the chroot); "" for ops without one
	Start    time.Time     // when it was submitted
	Latency  time.Duration // from submission to completion
	BytesOut int           // the request's encoded size; 0 when nothing was sent
	BytesIn  int           // the reply's size; 0 when no reply came
	Err      error         // nil on success; matches the sentinels (ErrNoNode, ...)
}

// HookConnect is told of every connection attempt and of the end of every
// connection.
type HookConnect interface {
	// OnConnect reports an attempt: Err is nil when the session was
	// established (or resumed) on it.
	OnConnect(c ConnectInfo)
	// OnDisconnect reports that an established connection ended, and why.
	OnDisconnect(server string, cause error)
}

// ConnectInfo describes one connection attempt.
type ConnectInfo struct {
	Server    string        // the address dialled
	SessionID int64         // the session established or resumed (0 on failure)
	Resumed   bool          // an existing session was resumed, not a new one made
	ReadOnly  bool          // the server is read-only
	Duration  time.Duration // dial and handshake
	Err       error
}

// HookWatchEvent is told of every watch event as it is queued for delivery,
// with the number of events then waiting in that watch's queue (1 or more;
// always 1 for one-shot watches): a number that keeps growing means a
// consumer that does not keep up.
type HookWatchEvent interface {
	OnWatchEvent(ev Event, queued int)
}

// WithHooks adds hooks (see [Hook]). A hook that implements none of the
// hook interfaces is refused by Connect.
func WithHooks(hooks ...Hook) Option {
	return func(o *options) { o.hooks = append(o.hooks, hooks...) }
}

// hookSet holds the hooks by what they observe, so that each event costs a
// loop over the ones that want it and nothing when there are none.
type hookSet struct {
	state   []HookStateChange
	request []HookRequest
	connect []HookConnect
	watch   []HookWatchEvent
}

// newHookSet sorts hooks by interface; a hook that implements none is an
// error.
func newHookSet(hooks []Hook) (hookSet, error) {
	var s hookSet
	for i, h := range hooks {
		used := false
		if x, ok := h.(HookStateChange); ok {
			s.state, used = append(s.state, x), true
		}
		if x, ok := h.(HookRequest); ok {
			s.request, used = append(s.request, x), true
		}
		if x, ok := h.(HookConnect); ok {
			s.connect, used = append(s.connect, x), true
		}
		if x, ok := h.(HookWatchEvent); ok {
			s.watch, used = append(s.watch, x), true
		}
		if !used {
			return s, fmt.Errorf("%w: hook %d (%T) implements no hook interface", ErrInvalidArgument, i, h)
		}
	}
	return s, nil
}

// Result names the request's outcome for a metric label: "ok", the error's
// ZooKeeper code in snake case ("no_node", "connection_loss"), "closed",
// "canceled", "deadline_exceeded", or "error" for anything else.
func (r RequestInfo) Result() string {
	var coded interface{ Code() proto.Code }
	var e *Error
	switch err := r.Err; {
	case err == nil:
		return "ok"
	case errors.As(err, &e) && e.Code != proto.CodeOK:
		return codeLabel(e.Code)
	case errors.As(err, &coded):
		return codeLabel(coded.Code())
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	}
	return "error"
}

func codeLabel(c proto.Code) string { return strings.ReplaceAll(c.String(), " ", "_") }

// timeRequest marks k to be reported to the request hooks, if any, once
// it completes.
func (c *Client) timeRequest(ctx context.Context, k *call) {
	if len(c.hooks.request) > 0 {
		k.hctx, k.start = ctx, time.Now()
	}
}

// reportRequest tells the request hooks about k, which has completed (or
// failed before it was sent).
func (c *Client) reportRequest(k *call) {
	r := RequestInfo{Op: k.op, Path: k.path, Start: k.start, Latency: time.Since(k.start), BytesIn: k.rsize, Err: k.result()}
	if k.cn.Load() != nil {
		r.BytesOut = len(k.Append(nil)) + 12 // length, xid, op
	}
	for _, h := range c.hooks.request {
		h.OnRequest(k.hctx, r)
	}
}

// reportWatchEvent tells the watch hooks about e, queued behind queued-1
// others.
func (c *Client) reportWatchEvent(e Event, queued int) {
	for _, h := range c.hooks.watch {
		h.OnWatchEvent(e, queued)
	}
}

// reportConnect tells the connection hooks about an attempt on addr.
func (c *Client) reportConnect(addr string, cn *conn.Conn, err error, prevID int64, took time.Duration) {
	if len(c.hooks.connect) == 0 {
		return
	}
	info := ConnectInfo{Server: addr, Duration: took, Err: err}
	if err == nil {
		s := cn.Session()
		info.SessionID, info.ReadOnly = s.SessionID, s.ReadOnly
		info.Resumed = prevID != 0 && s.SessionID == prevID
	}
	for _, h := range c.hooks.connect {
		h.OnConnect(info)
	}
}
