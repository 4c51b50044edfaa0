package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/internal/hostlist"
	"github.com/kazoo-go/kazoo/internal/queue"
	"github.com/kazoo-go/kazoo/proto"
)

// Session is the engine behind a kazoo.Client: the session, its
// connections and everything that must survive them. It is safe for
// concurrent use. Make it with New, start it with Start and end it with
// Close.
type Session struct {
	cfg    Config
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
	auths     []Auth
	closeErr  error                    // ErrClosed or the terminal cause, once closing
	versions  map[string]proto.Version // per server address, from ServerVersion
	vmu       sync.Mutex               // guards versions, older and modern (taken under mu too)
	older     map[string]proto.Version // per server address: it predates this (Unimplemented)
	modern    map[string]bool          // per server address: it has create2 (3.5+)

	lastCause error   // why the last connection attempt failed (for Connect's error)
	backlog   []*Call // async calls started while disconnected, in order (see SubmitAsync)

	closeOnce sync.Once
	closing   atomic.Bool     // Close was called (or a terminal failure)
	ctx       context.Context // cancelled by Close: the session goroutine stops
	cancel    context.CancelFunc
	loopDone  chan struct{}
	saslDrops int           // SASL exchanges in a row the server dropped (session goroutine only)
	hooks     hookFlags     // which hooks the client has
	move      chan struct{} // capacity 1: SetServers asks to move to another server
}

// Config is what the engine needs from the client's options, validated
// by package kazoo.
type Config struct {
	Hosts          *hostlist.List
	Chroot         string
	Logger         *slog.Logger // never nil
	SessionTimeout time.Duration
	ReadOnly       bool
	// Dialer returns how to open a connection to a server given as host
	// (the name configured, which TLS verifies; the address dialed is the
	// resolved one).
	Dialer          func(host string) func(ctx context.Context, network, addr string) (net.Conn, error)
	MaxPacket       int
	MaxReply        int
	BackoffMin      time.Duration
	BackoffMax      time.Duration
	Auths           []Auth
	SASL            SASLMechanism // or nil
	SessionID       int64         // a session to resume, or 0
	SessionPasswd   []byte
	Hooks           Hooks // or nil
	StateHooks      bool  // Hooks wants StateChange
	RequestHooks    bool  // Hooks wants Request
	ConnectHooks    bool  // Hooks wants Connect and Disconnect
	WatchEventHooks bool  // Hooks wants WatchEvent
}

// Auth is a credential sent on every connection (WithAuth, AddAuth).
type Auth struct {
	Scheme string
	Auth   []byte
}

// New returns a session configured by cfg; Start starts it.
func New(cfg Config) *Session {
	c := &Session{
		cfg:      cfg,
		chroot:   cfg.Chroot,
		log:      cfg.Logger,
		hosts:    cfg.Hosts,
		ready:    make(chan struct{}),
		auths:    append([]Auth(nil), cfg.Auths...),
		timeout:  cfg.SessionTimeout,
		loopDone: make(chan struct{}),
		hooks:    hookFlags{cfg.Hooks, cfg.StateHooks, cfg.RequestHooks, cfg.ConnectHooks, cfg.WatchEventHooks},
		move:     make(chan struct{}, 1),
	}
	if cfg.SessionID != 0 {
		c.sessionID, c.passwd, c.lastHeard = cfg.SessionID, cfg.SessionPasswd, time.Now()
	}
	if c.hooks.state {
		c.state.hook = cfg.Hooks
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.watches.init(c)
	return c
}

// Start starts the session goroutine: it connects, and reconnects, until
// Close.
func (c *Session) Start() { go c.run() }

// LastFailure returns why the last connection attempt failed, or nil.
func (c *Session) LastFailure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastCause
}

// State returns the current state.
func (c *Session) State() State { return c.state.get() }

// Subscribe returns a queue that receives the current state and then every
// transition, in order; Unsubscribe ends it.
func (c *Session) Subscribe() *queue.Queue[State] { return c.state.subscribe() }

// Unsubscribe ends a subscription made by Subscribe.
func (c *Session) Unsubscribe(q *queue.Queue[State]) { c.state.unsubscribe(q) }

// SessionID returns the current session's id (0 while none is established).
func (c *Session) SessionID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

// SessionPassword returns a copy of the current session's password.
func (c *Session) SessionPassword() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.passwd...)
}

// SessionTimeout returns the timeout negotiated with the server (or the one
// asked for, before the first connection).
func (c *Session) SessionTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.timeout
}

// ConnectedServer returns the address of the server the client is connected
// to, or "" while disconnected.
func (c *Session) ConnectedServer() string {
	if l := c.live.Load(); l != nil {
		return l.cn.Addr()
	}
	return ""
}

// Servers returns the servers the session connects to, as host:port: those
// given to kazoo.Connect, or to SetServers since.
func (c *Session) Servers() []string { return c.hosts.Hosts() }

// Logger returns the client's logger (a silent one by default).
func (c *Session) Logger() *slog.Logger { return c.log }

// AddAuth remembers credentials the session accepted, for every later
// connection.
func (c *Session) AddAuth(a Auth) {
	c.mu.Lock()
	c.auths = append(c.auths, a)
	c.mu.Unlock()
}

// liveConn is the connection requests go to, tagged with the session epoch
// it serves: a call made in an earlier session must not be sent on it.
type liveConn struct {
	cn    *conn.Conn
	host  string // the server's name, as configured
	epoch uint64
}

// CloseCause returns why the client is closed: the terminal cause, or
// ErrClosed.
func (c *Session) CloseCause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeErr == nil {
		return ErrClosed
	}
	return c.closeErr
}

// Close ends the session (see kazoo's Client.Close).
func (c *Session) Close() {
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
			k := c.NewAsyncCall(proto.OpCloseSession, "")
			if c.submit(ctx, k, true) == nil {
				k.Wait(ctx)
			}
			cancel()
		}
		c.cancel()
	})
	<-c.loopDone
}

// terminate makes the client unusable with cause (auth failure); the session
// goroutine is already ending.
func (c *Session) terminate(cause error) {
	c.closing.Store(true)
	c.mu.Lock()
	if c.closeErr == nil {
		c.closeErr = cause
	}
	c.mu.Unlock()
}

// connError maps a connection-level failure to the error the API reports
// (the sentinels are the ones package kazoo exports).
func (c *Session) connError(err error) error {
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

// submit is the one way every request reaches a connection: it sends k on
// the live connection of k's session, waiting for one (bounded by ctx)
// while disconnected. A call made in one session fails with
// ErrSessionExpired once that session is lost: an operation the caller
// meant for the old session (an ephemeral node, a lock) must not silently
// land in a new one. Nothing is sent for a context already done. sync says
// the caller is about to block on the reply (see conn.SendSync).
func (c *Session) submit(ctx context.Context, k *Call, sync bool) error {
	if k.Err != nil {
		return k.Err // invalid: nothing is sent
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
			if len(k.Append(nil))+12 > c.cfg.MaxPacket {
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
func (c *Session) sendOn(cn *conn.Conn, k *Call, sync bool) error {
	k.cn.Store(cn)
	if k.Op == proto.OpCreate2 && k.Body == nil {
		// Chosen before the server was known (while disconnected): a
		// 3.4 server has only create, which returns no Stat.
		if old, _ := c.predatesAt(cn.Addr(), proto.Version{Major: 3, Minor: 5}); old {
			k.Op = proto.OpCreate
		}
	}
	var err error
	switch {
	case k.Xid != 0:
		err = cn.SendXid(k.Xid, k.Op, k, k)
	case sync:
		err = cn.SendSync(k.Op, k, k)
	default:
		err = cn.Send(k.Op, k, k)
	}
	if errors.Is(err, conn.ErrTooLarge) {
		return ErrDataTooLarge
	}
	return err
}

// waitLive waits until a connection of session epoch is live; it fails
// when the client closes, that session is lost, or ctx ends.
func (c *Session) waitLive(ctx context.Context, epoch uint64) error {
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
func (c *Session) exec(ctx context.Context, k *Call) (abandoned bool) {
	if err := c.submit(ctx, k, true); err != nil {
		k.Err = err
		if !k.start.IsZero() {
			c.reportRequest(k)
		}
		return false
	}
	if k.Wait(ctx) {
		return false
	}
	if k.state.CompareAndSwap(callPending, callAbandoned) {
		return true
	}
	<-k.done // completed meanwhile
	return false
}
