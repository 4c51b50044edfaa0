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
	closeErr  error // ErrClosed or the terminal cause, once closing
	versions  map[string]versionInfo

	closeOnce sync.Once
	closing   atomic.Bool     // Close was called (or a terminal failure)
	passive   atomic.Int32    // futures waited on without reading (see call.watched)
	ctx       context.Context // cancelled by Close: the session goroutine stops
	cancel    context.CancelFunc
	loopDone  chan struct{}
	kick      chan string // a read-write server found while ReadOnly

	lastFailure atomic.Pointer[attemptError] // the last failed connection attempt, for Connect's error
	saslDrops   int                          // SASL exchanges in a row the server dropped (session goroutine only)
}

// attemptError is why a connection attempt failed.
type attemptError struct {
	addr string
	err  error
}

// Connect parses servers ("h1:2181,h2,[::1]:2182/chroot"), starts the
// session and returns once it is established (Connected or, with
// WithReadOnly, ReadOnly) or ctx ends. The client then keeps its session
// alive, reconnecting as needed, until Close.
func Connect(ctx context.Context, servers string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
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
	if o.sessionTimeout <= 0 || o.maxPacket <= 0 {
		return nil, &Error{Op: "connect", Err: fmt.Errorf("%w: session timeout and max packet must be positive", ErrInvalidArgument)}
	}
	if m, ok := o.sasl.(digestMechanism); ok && m.user == "" {
		return nil, &Error{Op: "connect", Err: fmt.Errorf("%w: WithSASLDigest needs a user name", ErrInvalidArgument)}
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
		kick:     make(chan string, 1),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.watches.init(c)
	sub := c.state.subscribe()
	defer c.state.unsubscribe(sub)
	go c.run()
	for {
		select {
		case s := <-sub.out:
			switch s {
			case Connected, ReadOnly:
				return c, nil
			case Closed:
				err := c.closeCause()
				c.Close()
				return nil, &Error{Op: "connect", Err: err}
			}
		case <-ctx.Done():
			c.Close()
			err := ctx.Err()
			if a := c.lastFailure.Load(); a != nil {
				// Say why no server would do: a refused certificate
				// or port says more than the deadline.
				err = fmt.Errorf("%w (last attempt, %s: %v)", err, a.addr, a.err)
			}
			return nil, &Error{Op: "connect", Err: err}
		}
	}
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
// nodes at once), fails every pending call with ErrClosed, ends every watch,
// and returns once all the client's goroutines have stopped. It waits for
// the server's answer at most 1s or the session's read timeout, whichever
// is shorter. Closing a closed client does nothing.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.mu.Lock()
		if c.closeErr == nil {
			c.closeErr = ErrClosed
		}
		timeout := min(time.Second, c.timeout*2/3)
		c.mu.Unlock()
		if l := c.live.Load(); l != nil {
			k := c.newAsyncCall(proto.OpCloseSession, "")
			k.cn.Store(l.cn)
			if l.cn.Send(proto.OpCloseSession, nil, k) == nil {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				k.wait(ctx)
				cancel()
			}
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

// connError maps a connection-level failure to the API's error.
func (c *Client) connError(err error) error {
	switch {
	case errors.Is(err, conn.ErrClosed):
		c.mu.Lock()
		cause := c.closeErr
		c.mu.Unlock()
		if cause != nil {
			return cause
		}
		return ErrConnectionLoss
	case errors.Is(err, conn.ErrAuthFailed):
		return ErrAuthFailed
	case errors.Is(err, conn.ErrTooLarge):
		return ErrDataTooLarge
	}
	return ErrConnectionLoss
}

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

// send queues k on the live connection, waiting for one (bounded by ctx)
// while disconnected. A call made in one session fails with
// ErrSessionExpired once that session is lost: an operation the caller meant
// for the old session (an ephemeral node, a lock) must not silently land in
// a new one. With sync, the caller will wait for the reply: when it is to
// read the reply itself (see conn.SendSync) send returns the connection.
func (c *Client) send(ctx context.Context, k *call, sync bool) (reader *conn.Conn, err error) {
	if k.err != nil {
		return nil, k.err // invalid: nothing is sent
	}
	k.epoch = c.epoch.Load()
	for {
		if l := c.live.Load(); l != nil && l.epoch == k.epoch {
			k.cn.Store(l.cn)
			var self bool
			if sync {
				self, err = l.cn.SendSync(k.op, k, k)
			} else {
				err = l.cn.Send(k.op, k, k)
			}
			if err == nil {
				if self {
					return l.cn, nil
				}
				return nil, nil
			}
			if errors.Is(err, conn.ErrTooLarge) {
				return nil, ErrDataTooLarge
			}
		}
		if err := c.waitLive(ctx, k.epoch); err != nil {
			return nil, err
		}
	}
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
	reader, err := c.send(ctx, k, true)
	if err != nil {
		k.err = err
		return false
	}
	if reader != nil {
		reader.ReadUntil(ctx, k)
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
