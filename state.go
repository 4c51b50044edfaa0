package kazoo

import (
	"github.com/kazoo-go/kazoo/internal/queue"
	"github.com/kazoo-go/kazoo/internal/session"
)

// State is the client's view of its session, with kazoo's names.
type State = session.State

// Client states. A typical life: Connected, then Suspended while the
// connection is lost, then Connected again (same session) or Lost (the
// session expired: ephemeral nodes and watches are gone) followed by
// Connected with a new session. Closed is final.
const (
	// Connected: a session is established with a read-write server.
	Connected = session.Connected
	// Suspended: the connection is lost; the session may still be alive.
	// Operations wait for a reconnect (bounded by their context).
	Suspended = session.Suspended
	// Lost: the session has expired (reported by a server, or by the client
	// itself when no server was heard for 4/3 of the session timeout). The
	// client opens a new session next.
	Lost = session.Lost
	// ReadOnly: connected to a read-only server (only with WithReadOnly);
	// writes fail with ErrNotReadOnly while the client looks for a
	// read-write server.
	ReadOnly = session.ReadOnly
	// Closed: Close was called, or authentication failed. Final.
	Closed = session.Closed
)

// StateSubscription delivers every state transition, in order, starting with
// the state current when it was made. Its channel is closed after Closed is
// delivered or when the subscription is stopped. When the client closes,
// the subscription's goroutine ends even if nobody reads: the channel then
// keeps the transitions not yet received (up to 15, the oldest) and Closed.
type StateSubscription struct {
	q *queue.Queue[State]
	s *session.Session
}

// C returns the channel of states.
func (s *StateSubscription) C() <-chan State { return s.q.Out() }

// Stop ends the subscription and closes its channel.
func (s *StateSubscription) Stop() { s.s.Unsubscribe(s.q) }
