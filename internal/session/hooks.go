package session

import (
	"context"
	"time"

	"github.com/kazoo-go/kazoo/internal/conn"
)

// Hooks is how the engine tells the client's hooks (kazoo.WithHooks) what
// happens: the one interface through which the engine calls up into
// package kazoo. Each method is called only when Config says the client
// has hooks of its kind, on the engine's goroutines, in the order things
// happen.
type Hooks interface {
	// StateChange reports a transition.
	StateChange(from, to State)
	// Request reports a call once it completed (or failed before it was
	// sent); ctx and start are the ones Call.Time recorded.
	Request(ctx context.Context, k *Call, start time.Time)
	// Connect reports a connection attempt.
	Connect(info ConnectInfo)
	// Disconnect reports that an established connection ended, and why.
	Disconnect(server string, cause error)
	// WatchEvent reports a watch event queued behind queued-1 others.
	WatchEvent(e Event, queued int)
}

// ConnectInfo describes one connection attempt (kazoo.ConnectInfo).
type ConnectInfo struct {
	Server    string        // the address dialled
	SessionID int64         // the session established or resumed (0 on failure)
	Resumed   bool          // an existing session was resumed, not a new one made
	ReadOnly  bool          // the server is read-only
	Duration  time.Duration // dial and handshake
	Err       error
}

// hookFlags is the client's hooks and which kinds it has, so that a client
// without hooks pays nothing for them (no call, no clock read).
type hookFlags struct {
	h                              Hooks
	state, request, connect, watch bool
}

// reportRequest tells the request hooks about k, which has completed (or
// failed before it was sent).
func (c *Session) reportRequest(k *Call) {
	c.hooks.h.Request(k.hctx, k, k.start)
}

// reportWatchEvent tells the watch hooks about e, queued behind queued-1
// others.
func (c *Session) reportWatchEvent(e Event, queued int) {
	if c.hooks.watch {
		c.hooks.h.WatchEvent(e, queued)
	}
}

// reportConnect tells the connection hooks about an attempt on addr.
func (c *Session) reportConnect(addr string, cn *conn.Conn, err error, prevID int64, took time.Duration) {
	if !c.hooks.connect {
		return
	}
	info := ConnectInfo{Server: addr, Duration: took, Err: err}
	if err == nil {
		cs := cn.Session()
		info.SessionID, info.ReadOnly = cs.SessionID, cs.ReadOnly
		info.Resumed = prevID != 0 && cs.SessionID == prevID
	}
	c.hooks.h.Connect(info)
}

// reportDisconnect tells the connection hooks that the connection to addr
// ended with cause.
func (c *Session) reportDisconnect(addr string, cause error) {
	if c.hooks.connect {
		c.hooks.h.Disconnect(addr, cause)
	}
}
