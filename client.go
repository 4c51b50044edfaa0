package kazoo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/internal/hostlist"
	"github.com/kazoo-go/kazoo/proto"
)

// Client is a ZooKeeper session that survives connection loss, and the API
// to use it. It is safe for concurrent use. Create it with Connect and end
// it with Close.
type Client struct {
	opts   options
	chroot string
	log    *slog.Logger
	hosts  *hostlist.List // used by the session goroutine only

	state   stateHub
	watches watchManager

	live atomic.Pointer[liveConn] // the connection requests go to, or nil

	mu        sync.Mutex
	ready     chan struct{} // closed when live is set, the session is lost, or the client closes; then replaced
	epoch     atomic.Uint64 // incremented when a session is lost
	sessionID int64
	passwd    []byte
	timeout   time.Duration // negotiated
	lastZxid  int64
	lastHeard time.Time
	auths     []authInfo
	closeErr  error                    // ErrClosed or the terminal cause, once closing
	versions  map[string]proto.Version // per server address, from ServerVersion
	vmu       sync.Mutex               // guards versions, older and modern (taken under mu too)
	older     map[string]proto.Version // per server address: it predates this (Unimplemented)
	modern    map[string]bool          // per server address: it has create2 (3.5+)

	lastCause error   // why the last connection attempt failed (for Connect's error)
	backlog   []*call // async calls started while disconnected, in order (see start)

	closeOnce sync.Once
	closing   atomic.Bool     // Close was called (or a terminal failure)
	ctx       context.Context // cancelled by Close: the session goroutine stops
	cancel    context.CancelFunc
	loopDone  chan struct{}
	saslDrops int           // SASL exchanges in a row the server dropped (session goroutine only)
	hooks     hookSet       // WithHooks, by interface
	move      chan struct{} // capacity 1: SetServers asks to move to another server
}

// Connect parses servers ("h1:2181,h2,[::1]:2182/chroot"), starts the
// session and returns once it is established (Connected or, with
// WithReadOnly, ReadOnly) or ctx ends. The client then keeps its session
// alive, reconnecting as needed, until Close.
func Connect(ctx context.Context, servers string, opts ...Option) (*Client, error) {
	if ctx == nil {
		return nil, &Error{Op: "connect", Err: errNilContext}
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, &Error{Op: "connect", Err: err}
	}
	addrs, chroot, err := hostlist.Parse(servers)
	if err != nil {
		return nil, &Error{Op: "connect", Err: fmt.Errorf("%w: %v", ErrInvalidArgument, err)}
	}
	if chroot != "" {
		if err := ValidatePath(chroot); err != nil {
			return nil, &Error{Op: "connect", Path: chroot, Err: err}
		}
	}
	if m, ok := o.sasl.(digestMechanism); ok && m.user == "" {
		return nil, &Error{Op: "connect", Err: fmt.Errorf("%w: WithSASLDigest needs a user name", ErrInvalidArgument)}
	}
	hooks, err := newHookSet(o.hooks)
	if err != nil {
		return nil, &Error{Op: "connect", Err: err}
	}
	log := o.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		opts:     o,
		chroot:   chroot,
		log:      log,
		hosts:    hostlist.New(addrs, o.resolver),
		ready:    make(chan struct{}),
		auths:    append([]authInfo(nil), o.auths...),
		timeout:  o.sessionTimeout,
		loopDone: make(chan struct{}),
		hooks:    hooks,
		move:     make(chan struct{}, 1),
	}
	if o.sessionID != 0 {
		c.sessionID, c.passwd, c.lastHeard = o.sessionID, o.sessionPasswd, time.Now()
	}
	c.state.hooks = hooks.state
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.watches.init(c)
	sub := c.state.subscribe()
	defer c.state.unsubscribe(sub)
	go c.run()
	for {
		select {
		case s := <-sub.Out():
			switch s {
			case Connected, ReadOnly:
				return c, nil
			case Closed:
				err := c.closeCause()
				c.Close()
				return nil, &Error{Op: "connect", Err: err}
			}
		case <-ctx.Done():
			err := ctx.Err()
			if cause := c.lastFailure(); cause != nil {
				err = fmt.Errorf("%w; last attempt: %w", err, cause)
			}
			c.Close()
			return nil, &Error{Op: "connect", Err: err}
		}
	}
}

// errNilContext refuses a nil context before anything is sent.
var errNilContext = fmt.Errorf("%w: nil context", ErrInvalidArgument)

func (c *Client) lastFailure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastCause
}

// State returns the current state.
func (c *Client) State() State { return c.state.get() }

// SubscribeStates returns a subscription that receives the current state and
// then every transition, in order. Delivery never blocks the client; a slow
// reader only grows the subscription's queue. Stop it when done.
func (c *Client) SubscribeStates() *StateSubscription {
	return &StateSubscription{q: c.state.subscribe(), hub: &c.state}
}

// OnStateChange calls fn with every transition (starting with the current
// state) on a goroutine of its own, in order. It returns a function that
// stops the calls.
func (c *Client) OnStateChange(fn func(State)) (stop func()) {
	sub := c.SubscribeStates()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := range sub.C() {
			fn(s)
		}
	}()
	return func() { sub.Stop(); <-done }
}

// SessionID returns the current session's id (0 while none is established).
func (c *Client) SessionID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

// SessionPassword returns the current session's password.
func (c *Client) SessionPassword() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.passwd...)
}

// SessionTimeout returns the timeout negotiated with the server (or the one
// asked for, before the first connection).
func (c *Client) SessionTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.timeout
}

// ConnectedServer returns the address of the server the client is connected
// to, or "" while disconnected.
func (c *Client) ConnectedServer() string {
	if l := c.live.Load(); l != nil {
		return l.cn.Addr()
	}
	return ""
}

// liveConn is the connection requests go to, tagged with the session epoch
// it serves: a call made in an earlier session must not be sent on it.
type liveConn struct {
	cn    *conn.Conn
	host  string // the server's name, as configured
	epoch uint64
}

// Chroot returns the chroot given in the connection string, or "".
func (c *Client) Chroot() string { return c.chroot }

func (c *Client) closeCause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeErr == nil {
		return ErrClosed
	}
	return c.closeErr
}

// Close ends the session (closeSession: the server deletes its ephemeral
// nodes at once), fails every pending call with ErrClosed, ends every watch
// and subscription, and returns once all the client's goroutines have
// stopped. It waits for the server's answer at most 1s or the session's read
// timeout, whichever is shorter. Closing a closed client does nothing.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.mu.Lock()
		if c.closeErr == nil {
			c.closeErr = ErrClosed
		}
		timeout := min(time.Second, c.timeout*2/3)
		c.mu.Unlock()
		if c.live.Load() != nil {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			k := c.newAsyncCall(proto.OpCloseSession, "")
			if c.submit(ctx, k, true) == nil {
				k.wait(ctx)
			}
			cancel()
		}
		c.cancel()
	})
	<-c.loopDone
	return nil
}

// terminate makes the client unusable with cause (auth failure); the session
// goroutine is already ending.
func (c *Client) terminate(cause error) {
	c.closing.Store(true)
	c.mu.Lock()
	if c.closeErr == nil {
		c.closeErr = cause
	}
	c.mu.Unlock()
}

// ErrReplyTooLarge: a reply exceeded the client's packet limit (see
// WithMaxPacket). The reply was skipped and the connection kept; retrying
// does not help.
var ErrReplyTooLarge = errors.New("reply exceeds the client's limit; raise it with kazoo.WithMaxPacket")

// errSASLRequired: the server refused a request because the client has not
// authenticated with SASL. Whichever request met the refusal first, every
// call failed by it says so.
var errSASLRequired = fmt.Errorf("the server requires SASL authentication (see WithSASL): %w (%w)", ErrAuthFailed, ErrSessionClosedRequireSASL)

// connError maps a connection-level failure to the API's error.
func (c *Client) connError(err error) error {
	var tooLarge *conn.ReplyTooLargeError
	switch {
	case errors.Is(err, conn.ErrClosed):
		c.mu.Lock()
		cause := c.closeErr
		c.mu.Unlock()
		if cause != nil {
			return cause
		}
		return ErrConnectionLoss
	case errors.Is(err, conn.ErrSASLRequired):
		return errSASLRequired
	case errors.Is(err, conn.ErrAuthFailed):
		return ErrAuthFailed
	case errors.Is(err, conn.ErrTooLarge):
		return ErrDataTooLarge
	case errors.As(err, &tooLarge):
		return fmt.Errorf("%w (%d bytes, limit %d)", ErrReplyTooLarge, tooLarge.Size, tooLarge.Limit)
	}
	return fmt.Errorf("%w: %w", ErrConnectionLoss, err)
}

// serverPath returns the server's path for p: the chroot applied, in this
// one place for every request.
func (c *Client) serverPath(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == "/" {
		return c.chroot
	}
	return c.chroot + p
}

// stripRoot returns the client's path for the server's path p.
func (c *Client) stripRoot(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == c.chroot {
		return "/"
	}
	if strings.HasPrefix(p, c.chroot) && len(p) > len(c.chroot) && p[len(c.chroot)] == '/' {
		return p[len(c.chroot):]
	}
	return p
}

// submit is the one way every request reaches a connection: it sends k on
// the live connection of k's session, waiting for one (bounded by ctx)
// while disconnected. A call made in one session fails with
// ErrSessionExpired once that session is lost: an operation the caller
// meant for the old session (an ephemeral node, a lock) must not silently
// land in a new one. Nothing is sent for a context already done. sync says
// the caller is about to block on the reply (see conn.SendSync).
func (c *Client) submit(ctx context.Context, k *call, sync bool) error {
	if k.err != nil {
		return k.err // invalid: nothing is sent
	}
	sized := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		l := c.live.Load()
		if l != nil && l.epoch == k.epoch {
			err := c.sendOn(l.cn, k, sync)
			if err == nil || errors.Is(err, ErrDataTooLarge) {
				return err
			}
		} else if !sized {
			// Refuse what no connection would take before waiting for one.
			sized = true
			if len(k.Append(nil))+12 > c.opts.maxPacket {
				return ErrDataTooLarge
			}
		}
		if err := c.waitLive(ctx, k.epoch); err != nil {
			return err
		}
	}
}

// sendOn sends k on cn: the last step of submit, and of the requests the
// session itself sends on a new connection before it is live (auth,
// setWatches).
func (c *Client) sendOn(cn *conn.Conn, k *call, sync bool) error {
	k.cn.Store(cn)
	if k.op == proto.OpCreate2 && k.body == nil {
		// Chosen before the server was known (while disconnected): a
		// 3.4 server has only create, which returns no Stat.
		if old, _ := c.predatesAt(cn.Addr(), proto.Version{Major: 3, Minor: 5}); old {
			k.op = proto.OpCreate
		}
	}
	var err error
	switch {
	case k.xid != 0:
		err = cn.SendXid(k.xid, k.op, k, k)
	case sync:
		err = cn.SendSync(k.op, k, k)
	default:
		err = cn.Send(k.op, k, k)
	}
	if errors.Is(err, conn.ErrTooLarge) {
		return ErrDataTooLarge
	}
	return err
}

// waitLive waits until a connection of session epoch is live; it fails
// when the client closes, that session is lost, or ctx ends.
func (c *Client) waitLive(ctx context.Context, epoch uint64) error {
	for {
		c.mu.Lock()
		ready, cause := c.ready, c.closeErr
		c.mu.Unlock()
		if cause != nil {
			return cause
		}
		if c.epoch.Load() != epoch {
			return ErrSessionExpired
		}
		if l := c.live.Load(); l != nil && !connDone(l.cn) {
			return nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func connDone(cn *conn.Conn) bool {
	select {
	case <-cn.Done():
		return true
	default:
		return false
	}
}

// exec sends k and waits for its reply or ctx. On return the caller owns k
// unless exec reports abandoned: then the reader recycles it later.
func (c *Client) exec(ctx context.Context, k *call) (abandoned bool) {
	if err := c.submit(ctx, k, true); err != nil {
		k.err = err
		if !k.start.IsZero() {
			c.reportRequest(k)
		}
		return false
	}
	if k.wait(ctx) {
		return false
	}
	if k.state.CompareAndSwap(callPending, callAbandoned) {
		return true
	}
	<-k.done // completed meanwhile
	return false
}
