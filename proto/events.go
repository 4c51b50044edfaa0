package proto

import "strconv"

// EventType is the kind of a watch notification.
type EventType int32

// Watch event types.
const (
	EventNone                   EventType = -1
	EventNodeCreated            EventType = 1
	EventNodeDeleted            EventType = 2
	EventNodeDataChanged        EventType = 3
	EventNodeChildrenChanged    EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7

	// EventResync never comes from a server: the client tells a
	// persistent watcher with it that its watch was registered again on a
	// new connection, and that changes made meanwhile were not replayed.
	EventResync EventType = -2
)

var eventNames = map[EventType]string{
	EventNone:                   "None",
	EventNodeCreated:            "NodeCreated",
	EventNodeDeleted:            "NodeDeleted",
	EventNodeDataChanged:        "NodeDataChanged",
	EventNodeChildrenChanged:    "NodeChildrenChanged",
	EventDataWatchRemoved:       "DataWatchRemoved",
	EventChildWatchRemoved:      "ChildWatchRemoved",
	EventPersistentWatchRemoved: "PersistentWatchRemoved",
	EventResync:                 "Resync",
}

// String returns the event type's name as ZooKeeper spells it.
func (t EventType) String() string {
	if s, ok := eventNames[t]; ok {
		return s
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// KeeperState is the session state carried in a notification.
type KeeperState int32

// Keeper states.
const (
	StateDisconnected      KeeperState = 0
	StateSyncConnected     KeeperState = 3
	StateAuthFailed        KeeperState = 4
	StateConnectedReadOnly KeeperState = 5
	StateSaslAuthenticated KeeperState = 6
	StateExpired           KeeperState = -112
	StateClosed            KeeperState = 7
)

var stateNames = map[KeeperState]string{
	StateDisconnected:      "Disconnected",
	StateSyncConnected:     "SyncConnected",
	StateAuthFailed:        "AuthFailed",
	StateConnectedReadOnly: "ConnectedReadOnly",
	StateSaslAuthenticated: "SaslAuthenticated",
	StateExpired:           "Expired",
	StateClosed:            "Closed",
}

// String returns the state's name as ZooKeeper spells it.
func (s KeeperState) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "KeeperState(" + strconv.Itoa(int(s)) + ")"
}

// WatcherEvent is the body of a notification (xid -1). Path is the server's
// path: a client with a chroot must strip it.
type WatcherEvent struct {
	Type  EventType
	State KeeperState
	Path  string
}

// Append appends the encoded event.
func (e *WatcherEvent) Append(b []byte) []byte {
	b = AppendInt32(b, int32(e.Type))
	b = AppendInt32(b, int32(e.State))
	return AppendString(b, e.Path)
}

// Decode reads a WatcherEvent.
func (e *WatcherEvent) Decode(d *Decoder) {
	e.Type = EventType(d.Int32())
	e.State = KeeperState(d.Int32())
	e.Path = d.String()
}

// WatcherEventView is a WatcherEvent decoded without copying: Path aliases
// the decoder's input and is valid only as long as it. A client that looks
// the path up in its watch table allocates nothing for it.
type WatcherEventView struct {
	Type  EventType
	State KeeperState
	Path  []byte
}

// Decode reads a WatcherEvent; null reads as a nil Path.
func (e *WatcherEventView) Decode(d *Decoder) {
	e.Type = EventType(d.Int32())
	e.State = KeeperState(d.Int32())
	e.Path = d.Buffer() // a ustring is encoded as a buffer is
}

// WatcherType selects watches for checkWatches and removeWatches.
type WatcherType int32

// Watcher types.
const (
	WatcherChildren            WatcherType = 1
	WatcherData                WatcherType = 2
	WatcherAny                 WatcherType = 3
	WatcherPersistent          WatcherType = 4
	WatcherPersistentRecursive WatcherType = 5
)

// AddWatchMode is the mode of an addWatch request.
type AddWatchMode int32

// AddWatch modes.
const (
	AddWatchPersistent          AddWatchMode = 0
	AddWatchPersistentRecursive AddWatchMode = 1
)

// CreateFlags is a create request's mode.
type CreateFlags int32

// Create modes.
const (
	FlagPersistent                  CreateFlags = 0
	FlagEphemeral                   CreateFlags = 1
	FlagPersistentSequential        CreateFlags = 2
	FlagEphemeralSequential         CreateFlags = 3
	FlagContainer                   CreateFlags = 4
	FlagPersistentWithTTL           CreateFlags = 5
	FlagPersistentSequentialWithTTL CreateFlags = 6
)

// MaxTTL is the largest TTL, in milliseconds, a server accepts.
const MaxTTL = 1<<40 - 1

// Sequential reports whether the mode appends a sequence suffix.
func (f CreateFlags) Sequential() bool {
	return f == FlagPersistentSequential || f == FlagEphemeralSequential || f == FlagPersistentSequentialWithTTL
}

// Ephemeral reports whether the mode creates an ephemeral node.
func (f CreateFlags) Ephemeral() bool { return f == FlagEphemeral || f == FlagEphemeralSequential }

// TTL reports whether the mode needs a TTL (and opcode createTTL).
func (f CreateFlags) TTL() bool {
	return f == FlagPersistentWithTTL || f == FlagPersistentSequentialWithTTL
}

// Valid reports whether f is a known create mode.
func (f CreateFlags) Valid() bool { return f >= FlagPersistent && f <= FlagPersistentSequentialWithTTL }
