package cache

import (
	"fmt"

	"github.com/kazoo-go/kazoo"
)

// Node is a cached znode: its path, data and Stat. Data is shared with the
// cache and with every event that carried it: do not modify it.
type Node struct {
	Path string
	Data []byte
	Stat kazoo.Stat
}

// EventType is the kind of a cache [Event], named after Curator's.
type EventType int

// Cache event types.
const (
	// NodeAdded: a node entered the cache (it was created, or seen for the
	// first time).
	NodeAdded EventType = iota + 1
	// NodeUpdated: a cached node's data changed (or it was deleted and
	// created again while the listener was behind).
	NodeUpdated
	// NodeRemoved: a node left the cache (deleted).
	NodeRemoved
	// Initialized: the initial load is complete; the cache is a snapshot
	// of the server's tree from then on.
	Initialized
	// ConnectionSuspended: the client lost its connection; the cache may be
	// stale until ConnectionReconnected.
	ConnectionSuspended
	// ConnectionReconnected: the client is connected again; the cache
	// re-reads what may have changed meanwhile.
	ConnectionReconnected
	// ConnectionLost: the session expired; the cache re-reads everything
	// once the client has a new session.
	ConnectionLost
)

var eventNames = [...]string{"", "NodeAdded", "NodeUpdated", "NodeRemoved", "Initialized",
	"ConnectionSuspended", "ConnectionReconnected", "ConnectionLost"}

// String returns the type's name.
func (t EventType) String() string {
	if t > 0 && int(t) < len(eventNames) {
		return eventNames[t]
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Event is a change of a cache, or of its client's connection. Node is set
// for NodeAdded, NodeUpdated (the new value) and NodeRemoved (the last value
// cached).
type Event struct {
	Type EventType
	Node Node
}
