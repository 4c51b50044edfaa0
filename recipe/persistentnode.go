package recipe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kazoo-go/kazoo"
)

// PersistentNode keeps a node in existence for as long as it runs, like
// Curator's PersistentNode and PersistentTtlNode: typically an ephemeral
// node that stands for this process (a group membership, a service
// registration). It is re-created after a session loss (the server deleted
// it), after someone else deleted it, and its latest data (SetData) is what
// the re-created node holds.
//
// A reconnect within the session keeps the node as it is. While the session
// is lost, or the server unreachable, the node does not exist for others:
// watch [PersistentNode.Lost] or the client's states if that matters.
//
// Sequential modes create a "protected" name, _c_<uuid>-<name><seq>, so
// that a create whose answer was lost is found again instead of creating a
// second node; each new session gets a new sequence number, so
// [PersistentNode.Path] changes.
type PersistentNode struct {
	client *kazoo.Client
	base   string // the path asked for
	mode   kazoo.CreateMode
	ttl    time.Duration
	log    *slog.Logger
	prefix string // protected prefix for sequential modes

	mu      sync.Mutex
	data    []byte
	gen     uint64 // bumped by SetData
	path    string // the node's current path, "" while it does not exist
	created chan struct{}
	lost    chan struct{} // closed and replaced each time the node goes missing
	kick    chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

// PersistentNodeOption configures a PersistentNode.
type PersistentNodeOption func(*PersistentNode) error

// WithNodeMode sets the create mode (default kazoo.ModeEphemeral).
func WithNodeMode(m kazoo.CreateMode) PersistentNodeOption {
	return func(n *PersistentNode) error { n.mode = m; return nil }
}

// WithNodeTTL makes the node a TTL node (PersistentTtlNode): created with
// kazoo.ModePersistentTTL and d, so that the server removes it within d
// of this process going away (servers with extended types enabled).
func WithNodeTTL(d time.Duration) PersistentNodeOption {
	return func(n *PersistentNode) error {
		if d <= 0 {
			return fmt.Errorf("recipe: WithNodeTTL(%v): %w: the TTL must be positive", d, kazoo.ErrInvalidArgument)
		}
		n.ttl, n.mode = d, kazoo.ModePersistentTTL
		return nil
	}
}

// WithNodeLogger logs the node's re-creations and failures to l (default:
// slog.Default()).
func WithNodeLogger(l *slog.Logger) PersistentNodeOption {
	return func(n *PersistentNode) error {
		if l == nil {
			return fmt.Errorf("recipe: WithNodeLogger(nil): %w", kazoo.ErrInvalidArgument)
		}
		n.log = l
		return nil
	}
}

// NewPersistentNode starts keeping the node at path with data; it returns at
// once. Use [PersistentNode.WaitCreated] to wait for the first creation and
// [PersistentNode.Close] to stop (and delete the node).
func NewPersistentNode(client *kazoo.Client, path string, data []byte, opts ...PersistentNodeOption) (*PersistentNode, error) {
	if err := kazoo.ValidatePath(path); err != nil {
		return nil, fmt.Errorf("recipe: persistent node %q: %w", path, err)
	}
	n := &PersistentNode{
		client: client, base: path, mode: kazoo.ModeEphemeral, log: slog.Default(),
		data: bytes.Clone(data), created: make(chan struct{}), lost: make(chan struct{}),
		kick: make(chan struct{}, 1), done: make(chan struct{}),
	}
	for _, o := range opts {
		if err := o(n); err != nil {
			return nil, err
		}
	}
	if n.ttl > 0 && n.mode != kazoo.ModePersistentTTL && n.mode != kazoo.ModePersistentSequentialTTL {
		return nil, fmt.Errorf("recipe: persistent node %q: %w: a TTL needs a TTL mode", path, kazoo.ErrInvalidArgument)
	}
	if n.sequential() {
		i := strings.LastIndexByte(path, '/')
		n.prefix = "_c_" + newUUID(true) + "-"
		n.base = path[:i+1] + n.prefix + path[i+1:]
		if i == 0 && path == "/" {
			return nil, fmt.Errorf("recipe: persistent node %q: %w", path, kazoo.ErrInvalidPath)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go n.run(ctx)
	return n, nil
}

func (n *PersistentNode) sequential() bool {
	switch n.mode {
	case kazoo.ModeEphemeralSequential, kazoo.ModePersistentSequential, kazoo.ModePersistentSequentialTTL:
		return true
	}
	return false
}

func (n *PersistentNode) ephemeral() bool {
	return n.mode == kazoo.ModeEphemeral || n.mode == kazoo.ModeEphemeralSequential
}

// WaitCreated blocks until the node exists for the first time, or ctx ends.
func (n *PersistentNode) WaitCreated(ctx context.Context) error {
	select {
	case <-n.created: // first: a node created before the client closed counts
		return nil
	default:
	}
	select {
	case <-n.created:
		return nil
	case <-n.done:
		return fmt.Errorf("recipe: persistent node %s: %w", n.base, kazoo.ErrClosed)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Path returns the node's current path ("" while it does not exist).
func (n *PersistentNode) Path() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.path
}

// Lost returns a channel closed when the node is next found missing (the
// session was lost, or someone deleted it); the node is being re-created by
// then. Call it again for the following loss.
func (n *PersistentNode) Lost() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lost
}

// Data returns the data the node is kept with.
func (n *PersistentNode) Data() []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return bytes.Clone(n.data)
}

// SetData changes the node's data: on the server now if the node exists,
// and in every re-creation afterwards. An error says the server was not
// updated now; the data is still kept, and applied when the node is next
// re-created or re-checked.
func (n *PersistentNode) SetData(ctx context.Context, data []byte) error {
	n.mu.Lock()
	n.data, n.gen = bytes.Clone(data), n.gen+1
	path := n.path
	n.mu.Unlock()
	if path == "" {
		n.poke()
		return nil
	}
	if _, err := n.client.Set(ctx, path, data, kazoo.AnyVersion); err != nil {
		n.poke() // let the loop reconcile once it can
		if errors.Is(err, kazoo.ErrNoNode) {
			return nil // being re-created with the new data
		}
		return fmt.Errorf("recipe: persistent node set data: %w", err)
	}
	return nil
}

func (n *PersistentNode) poke() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Close stops keeping the node and deletes it.
func (n *PersistentNode) Close(ctx context.Context) error {
	n.cancel()
	<-n.done
	n.mu.Lock()
	path := n.path
	n.path = ""
	n.mu.Unlock()
	if path == "" {
		// Stopped between a create and learning its path (the create
		// may have happened): look for our node before giving up.
		path = n.ownNode(ctx)
	}
	if path == "" {
		return nil
	}
	err := n.client.Retry(ctx, func(ctx context.Context) error {
		return n.client.Delete(ctx, path, kazoo.AnyVersion)
	})
	if err != nil && !errors.Is(err, kazoo.ErrNoNode) && !errors.Is(err, kazoo.ErrSessionExpired) && !closedErr(err) {
		return fmt.Errorf("recipe: persistent node delete %s: %w", path, err)
	}
	return nil
}

// run keeps the node: create it, watch it, re-create it when the watch says
// it is gone (deleted, or the session that owned it lost).
func (n *PersistentNode) run(ctx context.Context) {
	defer close(n.done)
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		ch, err := n.ensure(ctx)
		if err != nil {
			if ctx.Err() != nil || closedErr(err) {
				return
			}
			n.log.Warn("recipe: persistent node: cannot create", "path", n.base, "err", err)
			select {
			case <-time.After(backoff):
			case <-n.kick:
			case <-ctx.Done():
				return
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		select {
		case ev := <-ch:
			if ev.Type == kazoo.EventNotWatching && closedErr(ev.Err) {
				return
			}
		case <-n.kick:
		case <-ctx.Done():
			return
		}
	}
}

// ensure makes the node exist with the latest data, owned by the current
// session when ephemeral, and returns a watch on it.
func (n *PersistentNode) ensure(ctx context.Context) (<-chan kazoo.Event, error) {
	n.mu.Lock()
	path, data, gen := n.path, n.data, n.gen
	n.mu.Unlock()
	if path == "" && n.sequential() {
		path = n.findProtected(ctx)
	}
	if path != "" {
		got, st, ch, err := n.client.GetW(ctx, path)
		switch {
		case err == nil && (!n.ephemeral() || st.EphemeralOwner == n.client.SessionID()):
			if !bytes.Equal(got, data) {
				if _, err := n.client.Set(ctx, path, data, st.Version); err != nil && !errors.Is(err, kazoo.ErrBadVersion) {
					return nil, err
				}
			}
			n.setPath(path, gen)
			return ch, nil
		case err == nil:
			// An ephemeral node of an earlier session of ours, not yet
			// removed by the server: it is not ours; remove it and start over.
			if err := n.client.Delete(ctx, path, st.Version); err != nil && !errors.Is(err, kazoo.ErrNoNode) {
				return nil, err
			}
		case !errors.Is(err, kazoo.ErrNoNode):
			return nil, err
		}
		n.clearPath()
		if n.sequential() {
			path = ""
		}
	}
	if path == "" {
		path = n.base
	}
	opts := []kazoo.CreateOption{kazoo.WithMode(n.mode), kazoo.WithParents()}
	if n.ttl > 0 {
		opts = append(opts, kazoo.WithTTL(n.ttl))
	}
	created, _, err := n.client.Create(ctx, path, data, opts...)
	if errors.Is(err, kazoo.ErrNodeExists) {
		// Someone else's node: wait for it to go (an ephemeral of
		// another session), or adopt it (a persistent node: as Curator).
		// Our own (a create whose answer was lost) or a persistent node is
		// adopted, as Curator does; another session's ephemeral node is
		// waited out.
		ok, st, ch, err := n.client.ExistsW(ctx, path)
		if err != nil {
			return nil, err
		}
		if ok && (!n.ephemeral() || st.EphemeralOwner == n.client.SessionID()) {
			n.setPath(path, gen)
			n.poke() // the next pass brings the data up to date
			return ch, nil
		}
		if ok {
			n.log.Info("recipe: persistent node: waiting for another session's node to go", "path", path)
		}
		return ch, nil
	}
	if err != nil {
		return nil, err
	}
	if n.sequential() && !strings.HasPrefix(created[strings.LastIndexByte(created, '/')+1:], n.prefix) {
		return nil, fmt.Errorf("recipe: persistent node: created %s, not under prefix %s", created, n.prefix)
	}
	n.mu.Lock()
	n.path = created
	n.mu.Unlock()
	// Watch what we created; a data change since (SetData) is applied on
	// the next pass, which the watch or the kick triggers.
	n.poke()
	n.markCreated()
	_, _, ch, err := n.client.ExistsW(ctx, created)
	return ch, err
}

// ownNode returns the path of our node if it exists: the protected one
// for sequential modes, else the base path if this session owns it.
func (n *PersistentNode) ownNode(ctx context.Context) string {
	if n.sequential() {
		return n.findProtected(ctx)
	}
	ok, st, err := n.client.Exists(ctx, n.base)
	if err != nil || !ok || (n.ephemeral() && st.EphemeralOwner != n.client.SessionID()) {
		return ""
	}
	return n.base
}

// findProtected looks for the node a create whose answer was lost made.
func (n *PersistentNode) findProtected(ctx context.Context) string {
	i := strings.LastIndexByte(n.base, '/')
	parent := n.base[:i]
	if parent == "" {
		parent = "/"
	}
	kids, _, err := n.client.Children(ctx, parent)
	if err != nil {
		return ""
	}
	for _, k := range kids {
		if strings.HasPrefix(k, n.prefix) {
			return childPath(parent, k)
		}
	}
	return ""
}

func (n *PersistentNode) setPath(path string, gen uint64) {
	n.mu.Lock()
	n.path = path
	stale := n.gen != gen
	n.mu.Unlock()
	if stale {
		n.poke()
	}
	n.markCreated()
}

func (n *PersistentNode) clearPath() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.path != "" {
		n.path = ""
		close(n.lost)
		n.lost = make(chan struct{})
	}
}

func (n *PersistentNode) markCreated() {
	select {
	case <-n.created:
	default:
		close(n.created)
	}
}
