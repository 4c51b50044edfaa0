package kazoo

import (
	"sync"

	"github.com/kazoo-go/kazoo/internal/queue"
)

// State is the client's view of its session, with kazoo's names.
type State int32

// Client states. A typical life: Connected, then Suspended while the
// connection is lost, then Connected again (same session) or Lost (the
// session expired: ephemeral nodes and watches are gone) followed by
// Connected with a new session. Closed is final.
const (
	// Connected: a session is established with a read-write server.
	Connected State = iota + 1
	// Suspended: the connection is lost; the session may still be alive.
	// Operations wait for a reconnect (bounded by their context).
	Suspended
	// Lost: the session has expired (reported by a server, or by the client
	// itself when no server was heard for 4/3 of the session timeout). The
	// client opens a new session next.
	Lost
	// ReadOnly: connected to a read-only server (only with WithReadOnly);
	// writes fail with ErrNotReadOnly while the client looks for a
	// read-write server.
	ReadOnly
	// Closed: Close was called, or authentication failed. Final.
	Closed
)

var stateNames = [...]string{"", "Connected", "Suspended", "Lost", "ReadOnly", "Closed"}

// String returns the state's name.
func (s State) String() string {
	if s > 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(?)"
}

// stateHub records the current state and fans transitions out to
// subscribers, each through its own unbounded queue.
type stateHub struct {
	mu    sync.Mutex
	state State
	subs  map[*queue.Queue[State]]struct{}
	hooks []HookStateChange
}

func (h *stateHub) get() State {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state
}

// set moves to s and tells every subscriber; it reports whether the state
// changed. Once Closed, the state never changes again.
func (h *stateHub) set(s State) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state == s || h.state == Closed {
		return false
	}
	from := h.state
	h.state = s
	for _, hook := range h.hooks {
		hook.OnStateChange(from, s)
	}
	if s != Closed {
		for q := range h.subs {
			q.Put(s)
		}
	} else {
		// The client's last word: each subscription delivers Closed and
		// ends now, even if nobody reads it any more.
		for q := range h.subs {
			q.Finish(Closed)
		}
		h.subs = nil
	}
	return true
}

func (h *stateHub) subscribe() *queue.Queue[State] {
	q := queue.New[State]()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state == Closed {
		q.Finish(Closed)
		return q
	}
	q.Put(h.state)
	if h.subs == nil {
		h.subs = make(map[*queue.Queue[State]]struct{})
	}
	h.subs[q] = struct{}{}
	return q
}

func (h *stateHub) unsubscribe(q *queue.Queue[State]) {
	h.mu.Lock()
	delete(h.subs, q)
	h.mu.Unlock()
	q.Cancel()
}

// StateSubscription delivers every state transition, in order, starting with
// the state current when it was made. Its channel is closed after Closed is
// delivered or when the subscription is stopped. When the client closes,
// the subscription's goroutine ends even if nobody reads: the channel then
// keeps the transitions not yet received (up to 15, the oldest) and Closed.
type StateSubscription struct {
	q   *queue.Queue[State]
	hub *stateHub
}

// C returns the channel of states.
func (s *StateSubscription) C() <-chan State { return s.q.Out() }

// Stop ends the subscription and closes its channel.
func (s *StateSubscription) Stop() { s.hub.unsubscribe(s.q) }
