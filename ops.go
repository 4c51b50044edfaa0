package kazoo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kazoo-go/kazoo/internal/session"
	"github.com/kazoo-go/kazoo/proto"
)

// Stat is a znode's metadata.
type Stat = proto.Stat

// AnyVersion matches every version in Set, Delete, SetACL and Check.
const AnyVersion int32 = -1

// GetResult is the result of Get.
type GetResult struct {
	Data []byte
	Stat Stat
}

// ChildrenResult is the result of Children.
type ChildrenResult struct {
	Children []string
	Stat     Stat
}

// CreateResult is the result of Create.
type CreateResult struct {
	Path string // the created path: with its sequence suffix if sequential
	Stat Stat   // zero on servers before 3.5
}

// ExistsResult is the result of Exists.
type ExistsResult struct {
	Exists bool
	Stat   Stat
}

// ACLResult is the result of GetACL.
type ACLResult struct {
	ACL  []ACL
	Stat Stat
}

// prep fills a call after validating path (and the op against the server
// version); an invalid call keeps the error in k.Err and is never sent.
func (c *Client) prep(ctx context.Context, k *session.Call) *session.Call {
	if err := validatePath(k.Path, k.Flags.Sequential()); err != nil {
		k.Err = err
		return k
	}
	if err := c.s.Supports(k.Op); err != nil {
		k.Err = err
	}
	return k
}

// check validates an operation that takes no call of its own.
func (c *Client) check(op proto.Op, path string) error {
	if err := ValidatePath(path); err != nil {
		return clientError(op, path, err)
	}
	if err := c.s.Supports(op); err != nil {
		return clientError(op, path, err)
	}
	return nil
}

// ---- getData

func (c *Client) prepGet(ctx context.Context, k *session.Call, watch bool) *session.Call {
	if watch {
		k.Watch, k.WCh = true, make(chan Event, 1)
	}
	return c.prep(ctx, k)
}

func extractGet(k *session.Call) (GetResult, error) { return GetResult{k.RData, k.Stat}, result(k) }

// Get returns the data and Stat of the node at path.
func (c *Client) Get(ctx context.Context, path string) ([]byte, Stat, error) {
	r, err := run(ctx, c.prepGet(ctx, c.s.GetCall(proto.OpGetData, path), false), extractGet)
	return r.Data, r.Stat, err
}

// GetW is Get that also leaves a watch: the channel receives one event when
// the node's data changes or it is deleted (or EventNotWatching when the
// session ends). No watch is left when the node does not exist.
func (c *Client) GetW(ctx context.Context, path string) ([]byte, Stat, <-chan Event, error) {
	k := c.prepGet(ctx, c.s.GetCall(proto.OpGetData, path), true)
	ch := k.WCh
	r, err := run(ctx, k, extractGet)
	if err != nil {
		ch = nil
	}
	return r.Data, r.Stat, ch, err
}

// GetAsync starts Get and returns at once.
func (c *Client) GetAsync(ctx context.Context, path string) *Future[GetResult] {
	return start(ctx, c.prepGet(ctx, c.s.NewAsyncCall(proto.OpGetData, path), false), extractGet)
}

// GetWAsync starts GetW and returns at once. The channel receives the
// watch's event if the future succeeds; if it fails, no watch was left and
// the channel stays silent.
func (c *Client) GetWAsync(ctx context.Context, path string) (*Future[GetResult], <-chan Event) {
	k := c.prepGet(ctx, c.s.NewAsyncCall(proto.OpGetData, path), true)
	return start(ctx, k, extractGet), k.WCh
}

// ---- exists

func extractExists(k *session.Call) (ExistsResult, error) {
	err := result(k)
	if k.Code == proto.CodeNoNode && k.Err == nil {
		return ExistsResult{}, nil
	}
	return ExistsResult{Exists: err == nil, Stat: k.Stat}, err
}

func (c *Client) prepExists(ctx context.Context, k *session.Call, watch bool) *session.Call {
	if watch {
		k.Watch, k.WCh = true, make(chan Event, 1)
	}
	return c.prep(ctx, k)
}

// Exists reports whether the node at path exists, with its Stat.
func (c *Client) Exists(ctx context.Context, path string) (bool, Stat, error) {
	r, err := run(ctx, c.prepExists(ctx, c.s.GetCall(proto.OpExists, path), false), extractExists)
	return r.Exists, r.Stat, err
}

// ExistsW is Exists that also leaves a watch, whether or not the node
// exists: the channel receives one event when it is created, deleted or its
// data changes.
func (c *Client) ExistsW(ctx context.Context, path string) (bool, Stat, <-chan Event, error) {
	k := c.prepExists(ctx, c.s.GetCall(proto.OpExists, path), true)
	ch := k.WCh
	r, err := run(ctx, k, extractExists)
	if err != nil {
		ch = nil
	}
	return r.Exists, r.Stat, ch, err
}

// ExistsAsync starts Exists and returns at once.
func (c *Client) ExistsAsync(ctx context.Context, path string) *Future[ExistsResult] {
	return start(ctx, c.prepExists(ctx, c.s.NewAsyncCall(proto.OpExists, path), false), extractExists)
}

// ExistsWAsync starts ExistsW and returns at once; see GetWAsync for the
// channel.
func (c *Client) ExistsWAsync(ctx context.Context, path string) (*Future[ExistsResult], <-chan Event) {
	k := c.prepExists(ctx, c.s.NewAsyncCall(proto.OpExists, path), true)
	return start(ctx, k, extractExists), k.WCh
}

// ---- getChildren2

func (c *Client) prepChildren(ctx context.Context, k *session.Call, watch bool) *session.Call {
	if watch {
		k.Watch, k.WCh = true, make(chan Event, 1)
	}
	return c.prep(ctx, k)
}

func extractChildren(k *session.Call) (ChildrenResult, error) {
	return ChildrenResult{k.Children, k.Stat}, result(k)
}

// Children returns the names of the node's children (unsorted) and its Stat.
func (c *Client) Children(ctx context.Context, path string) ([]string, Stat, error) {
	r, err := run(ctx, c.prepChildren(ctx, c.s.GetCall(proto.OpGetChildren2, path), false), extractChildren)
	return r.Children, r.Stat, err
}

// ChildrenW is Children that also leaves a watch: the channel receives one
// event when a child is added or removed, or the node is deleted.
func (c *Client) ChildrenW(ctx context.Context, path string) ([]string, Stat, <-chan Event, error) {
	k := c.prepChildren(ctx, c.s.GetCall(proto.OpGetChildren2, path), true)
	ch := k.WCh
	r, err := run(ctx, k, extractChildren)
	if err != nil {
		ch = nil
	}
	return r.Children, r.Stat, ch, err
}

// ChildrenAsync starts Children and returns at once.
func (c *Client) ChildrenAsync(ctx context.Context, path string) *Future[ChildrenResult] {
	return start(ctx, c.prepChildren(ctx, c.s.NewAsyncCall(proto.OpGetChildren2, path), false), extractChildren)
}

// ChildrenWAsync starts ChildrenW and returns at once; see GetWAsync for
// the channel.
func (c *Client) ChildrenWAsync(ctx context.Context, path string) (*Future[ChildrenResult], <-chan Event) {
	k := c.prepChildren(ctx, c.s.NewAsyncCall(proto.OpGetChildren2, path), true)
	return start(ctx, k, extractChildren), k.WCh
}

// ---- create

// CreateMode is how a node is created.
type CreateMode = proto.CreateFlags

// Create modes. TTL modes need WithTTL and a server started with
// zookeeper.extendedTypesEnabled=true.
const (
	ModePersistent              = proto.FlagPersistent
	ModeEphemeral               = proto.FlagEphemeral
	ModePersistentSequential    = proto.FlagPersistentSequential
	ModeEphemeralSequential     = proto.FlagEphemeralSequential
	ModeContainer               = proto.FlagContainer
	ModePersistentTTL           = proto.FlagPersistentWithTTL
	ModePersistentSequentialTTL = proto.FlagPersistentSequentialWithTTL
)

// CreateOption adjusts Create.
type CreateOption func(*createOptions)

type createOptions struct {
	mode    CreateMode
	acl     []ACL
	ttl     time.Duration
	parents bool
	protect *protection // WithProtected
}

// WithMode sets the create mode (default ModePersistent).
func WithMode(m CreateMode) CreateOption { return func(o *createOptions) { o.mode = m } }

// WithACL sets the new node's ACL (default: the client's WithDefaultACL).
func WithACL(acl ...ACL) CreateOption { return func(o *createOptions) { o.acl = acl } }

// WithTTL sets the TTL of a ModePersistentTTL or ModePersistentSequentialTTL
// node: the server deletes it once it has had no children and no change for
// that long. At most 2^40-1 ms.
func WithTTL(d time.Duration) CreateOption { return func(o *createOptions) { o.ttl = d } }

// WithParents creates missing parent nodes (persistent, with the same ACL).
func WithParents() CreateOption { return func(o *createOptions) { o.parents = true } }

func (c *Client) prepCreate(ctx context.Context, k *session.Call, data []byte, opts []CreateOption) (*session.Call, createOptions) {
	k, o := c.prepCreateArgs(k, data, opts)
	if k.Err != nil {
		return k, o
	}
	switch {
	case o.mode.TTL():
		k.Op, k.TTL = proto.OpCreateTTL, o.ttl.Milliseconds()
	case o.mode == ModeContainer:
		k.Op = proto.OpCreateContainer
	default:
		k.Op = proto.OpCreate2
		if predates, _ := c.s.ServerPredates(proto.Version{Major: 3, Minor: 5}); predates {
			k.Op = proto.OpCreate // 3.4 has no create2
		}
	}
	return c.prep(ctx, k), o
}

// prepCreateArgs applies and checks create options.
func (c *Client) prepCreateArgs(k *session.Call, data []byte, opts []CreateOption) (*session.Call, createOptions) {
	o := createOptions{acl: c.opts.defaultACL}
	for _, opt := range opts {
		opt(&o)
	}
	k.Data, k.ACL, k.Flags = data, o.acl, o.mode
	switch {
	case !o.mode.Valid():
		k.Err = fmt.Errorf("%w: unknown create mode %d", ErrInvalidArgument, o.mode)
	case o.mode.TTL() && (o.ttl < time.Millisecond || o.ttl.Milliseconds() > proto.MaxTTL):
		k.Err = fmt.Errorf("%w: a TTL mode needs a TTL from 1ms to 2^40-1 ms, got %v", ErrInvalidArgument, o.ttl)
	case !o.mode.TTL() && o.ttl != 0:
		k.Err = fmt.Errorf("%w: WithTTL needs ModePersistentTTL or ModePersistentSequentialTTL", ErrInvalidArgument)
	case len(o.acl) == 0:
		k.Err = fmt.Errorf("%w: empty ACL", ErrInvalidArgument)
	}
	return k, o
}

func extractCreate(k *session.Call) (CreateResult, error) {
	return CreateResult{k.RPath, k.Stat}, result(k)
}

// Create creates a node with data and returns its path (with the sequence
// suffix for sequential modes) and Stat.
//
//	p, _, err := client.Create(ctx, "/app/job-", nil, kazoo.WithMode(kazoo.ModeEphemeralSequential))
func (c *Client) Create(ctx context.Context, path string, data []byte, opts ...CreateOption) (string, Stat, error) {
	for {
		k, o := c.prepCreate(ctx, c.s.GetCall(proto.OpCreate2, path), data, opts)
		if o.protect != nil && k.Err == nil {
			if o.protect.lost.Load() {
				r, found, err := c.findProtected(ctx, o.protect, path)
				if errors.Is(err, ErrSessionExpired) {
					// The session ended during the lookup: a read, so
					// it may run again, in the next session.
					r, found, err = c.findProtected(ctx, o.protect, path)
				}
				if err != nil || found {
					return r.Path, r.Stat, err
				}
			}
			k.Path = o.protect.path(path)
		}
		op := k.Op
		r, err := run(ctx, k, extractCreate)
		if op == proto.OpCreate2 && errors.Is(err, ErrUnimplemented) {
			continue // a 3.4 server: learnt, the next attempt sends create
		}
		if !o.parents || !errors.Is(err, ErrNoNode) {
			return r.Path, r.Stat, createError(err, &o)
		}
		if err := c.ensurePath(ctx, session.ParentPath(path), o.acl); err != nil {
			return "", Stat{}, err
		}
		opts = append(opts[:len(opts):len(opts)], func(o *createOptions) { o.parents = false })
	}
}

// CreateAsync starts Create and returns at once. WithParents is not
// supported here (it needs several round trips): it gets ErrInvalidArgument.
func (c *Client) CreateAsync(ctx context.Context, path string, data []byte, opts ...CreateOption) *Future[CreateResult] {
	k, o := c.prepCreate(ctx, c.s.NewAsyncCall(proto.OpCreate2, path), data, opts)
	if (o.parents || o.protect != nil) && k.Err == nil {
		k.Err = fmt.Errorf("%w: WithParents and WithProtected need Create, not CreateAsync", ErrInvalidArgument)
	}
	return start(ctx, k, extractCreate)
}

// EnsurePath creates path and any missing ancestors as persistent nodes with
// the client's default ACL; existing nodes are left as they are.
func (c *Client) EnsurePath(ctx context.Context, path string) error {
	return c.ensurePath(ctx, path, c.opts.defaultACL)
}

func (c *Client) ensurePath(ctx context.Context, path string, acl []ACL) error {
	if err := ValidatePath(path); err != nil {
		return clientError(proto.OpCreate, path, err)
	}
	if path == "/" {
		return nil
	}
	if ok, _, err := c.Exists(ctx, path); err != nil || ok {
		return err
	}
	for i := 1; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		_, _, err := c.Create(ctx, path[:i], nil, WithACL(acl...))
		if err != nil && !errors.Is(err, ErrNodeExists) {
			return err
		}
	}
	return nil
}

// ---- setData

func (c *Client) prepSet(ctx context.Context, k *session.Call, data []byte, version int32) *session.Call {
	k.Data, k.Version = data, version
	if version < -1 {
		k.Err = fmt.Errorf("%w: version %d", ErrInvalidArgument, version)
		return k
	}
	return c.prep(ctx, k)
}

func extractStat(k *session.Call) (Stat, error) { return k.Stat, result(k) }

// Set replaces the node's data if its version matches (AnyVersion: always)
// and returns the new Stat.
func (c *Client) Set(ctx context.Context, path string, data []byte, version int32) (Stat, error) {
	return run(ctx, c.prepSet(ctx, c.s.GetCall(proto.OpSetData, path), data, version), extractStat)
}

// SetAsync starts Set and returns at once.
func (c *Client) SetAsync(ctx context.Context, path string, data []byte, version int32) *Future[Stat] {
	return start(ctx, c.prepSet(ctx, c.s.NewAsyncCall(proto.OpSetData, path), data, version), extractStat)
}

// ---- delete

func (c *Client) prepDelete(ctx context.Context, k *session.Call, version int32) *session.Call {
	k.Version = version
	switch {
	case version < -1:
		k.Err = fmt.Errorf("%w: version %d", ErrInvalidArgument, version)
	case k.Path == "/":
		k.Err = fmt.Errorf("%w: the root cannot be deleted", ErrInvalidArgument)
	default:
		c.prep(ctx, k)
	}
	return k
}

func extractNone(k *session.Call) (struct{}, error) { return struct{}{}, result(k) }

// Delete deletes the node if its version matches (AnyVersion: always). It
// fails with ErrNotEmpty when the node has children.
func (c *Client) Delete(ctx context.Context, path string, version int32) error {
	_, err := run(ctx, c.prepDelete(ctx, c.s.GetCall(proto.OpDelete, path), version), extractNone)
	return err
}

// DeleteAsync starts Delete and returns at once.
func (c *Client) DeleteAsync(ctx context.Context, path string, version int32) *Future[struct{}] {
	return start(ctx, c.prepDelete(ctx, c.s.NewAsyncCall(proto.OpDelete, path), version), extractNone)
}

// DeleteRecursive deletes the node and everything below it, whatever their
// versions. Nodes that vanish meanwhile are fine; nodes created meanwhile
// are deleted too, or make it fail with ErrNotEmpty if they keep coming.
func (c *Client) DeleteRecursive(ctx context.Context, path string) error {
	for attempt := 0; ; attempt++ {
		children, _, err := c.Children(ctx, path)
		if errors.Is(err, ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, ch := range children {
			if err := c.DeleteRecursive(ctx, JoinPath(path, ch)); err != nil {
				return err
			}
		}
		err = c.Delete(ctx, path, AnyVersion)
		if err == nil || errors.Is(err, ErrNoNode) {
			return nil
		}
		if !errors.Is(err, ErrNotEmpty) || attempt >= 3 {
			return err
		}
	}
}

// ---- ACLs

func extractACL(k *session.Call) (ACLResult, error) { return ACLResult{k.RACL, k.Stat}, result(k) }

// GetACL returns the node's ACL and Stat.
func (c *Client) GetACL(ctx context.Context, path string) ([]ACL, Stat, error) {
	r, err := run(ctx, c.prep(ctx, c.s.GetCall(proto.OpGetACL, path)), extractACL)
	return r.ACL, r.Stat, err
}

// GetACLAsync starts GetACL and returns at once.
func (c *Client) GetACLAsync(ctx context.Context, path string) *Future[ACLResult] {
	return start(ctx, c.prep(ctx, c.s.NewAsyncCall(proto.OpGetACL, path)), extractACL)
}

func (c *Client) prepSetACL(ctx context.Context, k *session.Call, acl []ACL, version int32) *session.Call {
	k.ACL, k.Version = acl, version
	switch {
	case len(acl) == 0:
		k.Err = fmt.Errorf("%w: empty ACL", ErrInvalidArgument)
	case version < -1:
		k.Err = fmt.Errorf("%w: version %d", ErrInvalidArgument, version)
	default:
		c.prep(ctx, k)
	}
	return k
}

// SetACL replaces the node's ACL if its ACL version (Stat.Aversion) matches.
func (c *Client) SetACL(ctx context.Context, path string, acl []ACL, version int32) (Stat, error) {
	return run(ctx, c.prepSetACL(ctx, c.s.GetCall(proto.OpSetACL, path), acl, version), extractStat)
}

// SetACLAsync starts SetACL and returns at once.
func (c *Client) SetACLAsync(ctx context.Context, path string, acl []ACL, version int32) *Future[Stat] {
	return start(ctx, c.prepSetACL(ctx, c.s.NewAsyncCall(proto.OpSetACL, path), acl, version), extractStat)
}

// ---- sync and the 3.6+ queries

// Sync makes the connected server catch up with the leader on path, so that
// a following read sees every write committed before Sync was called.
func (c *Client) Sync(ctx context.Context, path string) error {
	_, err := run(ctx, c.prep(ctx, c.s.GetCall(proto.OpSync, path)), extractNone)
	return err
}

// SyncAsync starts Sync and returns at once.
func (c *Client) SyncAsync(ctx context.Context, path string) *Future[struct{}] {
	return start(ctx, c.prep(ctx, c.s.NewAsyncCall(proto.OpSync, path)), extractNone)
}

func extractStrings(k *session.Call) ([]string, error) { return k.Children, result(k) }

// GetEphemerals returns the paths of this session's ephemeral nodes whose
// path starts with prefix ("/" for all), ZooKeeper 3.6+.
func (c *Client) GetEphemerals(ctx context.Context, prefix string) ([]string, error) {
	return run(ctx, c.prepEphemerals(ctx, c.s.GetCall(proto.OpGetEphemerals, prefix)), extractStrings)
}

// GetEphemeralsAsync starts GetEphemerals and returns at once.
func (c *Client) GetEphemeralsAsync(ctx context.Context, prefix string) *Future[[]string] {
	return start(ctx, c.prepEphemerals(ctx, c.s.NewAsyncCall(proto.OpGetEphemerals, prefix)), extractStrings)
}

func (c *Client) prepEphemerals(ctx context.Context, k *session.Call) *session.Call {
	if k.Path == "" || k.Path[0] != '/' {
		k.Err = fmt.Errorf("%w: prefix %q is not absolute", ErrInvalidPath, k.Path)
		return k
	}
	if err := c.s.Supports(k.Op); err != nil {
		k.Err = err
	}
	if c.chroot != "" && k.Path == "/" {
		k.Path = "" // the chroot itself is the prefix
	}
	return k
}

func extractNumber(k *session.Call) (int, error) { return int(k.Number), result(k) }

// GetAllChildrenNumber returns how many nodes are below path, at any depth
// (ZooKeeper 3.6+).
func (c *Client) GetAllChildrenNumber(ctx context.Context, path string) (int, error) {
	return run(ctx, c.prep(ctx, c.s.GetCall(proto.OpGetAllChildrenNumber, path)), extractNumber)
}

// GetAllChildrenNumberAsync starts GetAllChildrenNumber and returns at once.
func (c *Client) GetAllChildrenNumberAsync(ctx context.Context, path string) *Future[int] {
	return start(ctx, c.prep(ctx, c.s.NewAsyncCall(proto.OpGetAllChildrenNumber, path)), extractNumber)
}

// ClientInfo is an identity the server associates with the session.
type ClientInfo = proto.ClientInfo

func extractClients(k *session.Call) ([]ClientInfo, error) { return k.Clients, result(k) }

func (c *Client) prepNoPath(ctx context.Context, k *session.Call) *session.Call {
	if err := c.s.Supports(k.Op); err != nil {
		k.Err = err
	}
	return k
}

// WhoAmI returns the identities the server associates with this session
// (ZooKeeper 3.7+).
func (c *Client) WhoAmI(ctx context.Context) ([]ClientInfo, error) {
	return run(ctx, c.prepNoPath(ctx, c.s.GetCall(proto.OpWhoAmI, "")), extractClients)
}

// WhoAmIAsync starts WhoAmI and returns at once.
func (c *Client) WhoAmIAsync(ctx context.Context) *Future[[]ClientInfo] {
	return start(ctx, c.prepNoPath(ctx, c.s.NewAsyncCall(proto.OpWhoAmI, "")), extractClients)
}

// ReconfigResult is the result of Reconfig: the new configuration.
type ReconfigResult = GetResult

func (c *Client) prepReconfig(ctx context.Context, k *session.Call, joining, leaving, newMembers string, fromConfig int64) *session.Call {
	k.Body = &proto.ReconfigRequest{JoiningServers: joining, LeavingServers: leaving, NewMembers: newMembers, CurConfigID: fromConfig}
	return c.prepNoPath(ctx, k)
}

// Reconfig changes the ensemble's membership (ZooKeeper 3.5+, with
// reconfigEnabled): either incrementally (joining, leaving: comma-separated
// server specs and ids) or as a whole (newMembers). fromConfig is the
// expected current config version, or -1. It returns the new configuration
// data and Stat of /zookeeper/config.
func (c *Client) Reconfig(ctx context.Context, joining, leaving, newMembers string, fromConfig int64) ([]byte, Stat, error) {
	r, err := run(ctx, c.prepReconfig(ctx, c.s.GetCall(proto.OpReconfig, ""), joining, leaving, newMembers, fromConfig), extractGet)
	return r.Data, r.Stat, err
}

// ReconfigAsync starts Reconfig and returns at once.
func (c *Client) ReconfigAsync(ctx context.Context, joining, leaving, newMembers string, fromConfig int64) *Future[ReconfigResult] {
	return start(ctx, c.prepReconfig(ctx, c.s.NewAsyncCall(proto.OpReconfig, ""), joining, leaving, newMembers, fromConfig), extractGet)
}

// ---- auth

// AddAuth adds credentials to the session (e.g. "digest", "user:password")
// and remembers them for every later connection. A rejected scheme is
// terminal: the server closes the connection and the client is Closed with
// ErrAuthFailed.
func (c *Client) AddAuth(ctx context.Context, scheme string, auth []byte) error {
	switch {
	case ctx == nil:
		return clientError(proto.OpAuth, "", errNilContext)
	case scheme == "":
		return clientError(proto.OpAuth, "", fmt.Errorf("%w: empty scheme", ErrInvalidArgument))
	}
	a := session.Auth{Scheme: scheme, Auth: append([]byte(nil), auth...)}
	for {
		k := c.s.NewAsyncCall(proto.OpAuth, "")
		k.Xid, k.Body = proto.XidAuth, &proto.AuthRequest{Scheme: a.Scheme, Auth: a.Auth}
		err := k.Submit(ctx, true)
		if errors.Is(err, ErrSessionExpired) {
			continue // credentials belong to the client, not to one session
		}
		if err != nil {
			return clientError(proto.OpAuth, "", err)
		}
		if !k.Wait(ctx) {
			return clientError(proto.OpAuth, "", fmt.Errorf("%w: %w", ctx.Err(), ErrOutcomeUnknown))
		}
		if k.Err == nil && k.Code == proto.CodeOK {
			c.s.AddAuth(a)
		}
		return result(k)
	}
}
