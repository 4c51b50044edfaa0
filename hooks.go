package kazoo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kazoo-go/kazoo/internal/session"
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

// ConnectInfo describes one connection attempt: Server, the address
// dialled; SessionID, the session established or resumed (0 on failure);
// Resumed, whether an existing session was resumed rather than a new one
// made; ReadOnly, whether the server is read-only; Duration, of dial and
// handshake; Err, nil on success.
type ConnectInfo = session.ConnectInfo

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

// The engine tells the hooks through session.Hooks, which hookSet
// implements.
var _ session.Hooks = hookSet{}

// StateChange tells the state hooks about a transition.
func (s hookSet) StateChange(from, to State) {
	for _, h := range s.state {
		h.OnStateChange(from, to)
	}
}

// Request tells the request hooks about k, which has completed (or failed
// before it was sent).
func (s hookSet) Request(ctx context.Context, k *session.Call, start time.Time) {
	r := RequestInfo{Op: k.Op, Path: k.Path, Start: start, Latency: time.Since(start), BytesIn: k.RSize, Err: result(k)}
	if k.Sent() {
		r.BytesOut = len(k.Append(nil)) + 12 // length, xid, op
	}
	for _, h := range s.request {
		h.OnRequest(ctx, r)
	}
}

// Connect tells the connection hooks about an attempt.
func (s hookSet) Connect(info ConnectInfo) {
	for _, h := range s.connect {
		h.OnConnect(info)
	}
}

// Disconnect tells the connection hooks that a connection ended.
func (s hookSet) Disconnect(server string, cause error) {
	for _, h := range s.connect {
		h.OnDisconnect(server, cause)
	}
}

// WatchEvent tells the watch hooks about e, queued behind queued-1 others.
func (s hookSet) WatchEvent(e Event, queued int) {
	for _, h := range s.watch {
		h.OnWatchEvent(e, queued)
	}
}
