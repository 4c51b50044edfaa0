package session

import (
	"sync"

	"github.com/kazoo-go/kazoo/internal/queue"
)

// State is the client's view of its session (kazoo.State, documented
// there).
type State int32

// Client states (see package kazoo).
const (
	Connected State = iota + 1
	Suspended
	Lost
	ReadOnly
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
	hook  Hooks // or nil: told of every transition
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
	if h.hook != nil {
		h.hook.StateChange(from, s)
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
