package kazoo

import (
	"context"
	"fmt"
	"time"

	"github.com/kazoo-go/kazoo/internal/hostlist"
	"github.com/kazoo-go/kazoo/internal/session"
)

// Client is a ZooKeeper session that survives connection loss, and the API
// to use it. It is safe for concurrent use. Create it with Connect and end
// it with Close.
//
// A Client is a thin layer over the engine (package internal/session): each
// method validates its arguments, submits a call to the engine and maps
// the call's result to the API's types.
type Client struct {
	s      *session.Session
	opts   options
	chroot string
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
	c := &Client{s: session.New(o.engineConfig(addrs, chroot, hooks)), opts: o, chroot: chroot}
	sub := c.s.Subscribe()
	defer c.s.Unsubscribe(sub)
	c.s.Start()
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
			if cause := c.s.LastFailure(); cause != nil {
				err = fmt.Errorf("%w; last attempt: %w", err, cause)
			}
			c.Close()
			return nil, &Error{Op: "connect", Err: err}
		}
	}
}

// errNilContext refuses a nil context before anything is sent.
var errNilContext = fmt.Errorf("%w: nil context", ErrInvalidArgument)

// State returns the current state.
func (c *Client) State() State { return c.s.State() }

// SubscribeStates returns a subscription that receives the current state and
// then every transition, in order. Delivery never blocks the client; a slow
// reader only grows the subscription's queue. Stop it when done.
func (c *Client) SubscribeStates() *StateSubscription {
	return &StateSubscription{q: c.s.Subscribe(), s: c.s}
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
func (c *Client) SessionID() int64 { return c.s.SessionID() }

// SessionPassword returns the current session's password.
func (c *Client) SessionPassword() []byte { return c.s.SessionPassword() }

// SessionTimeout returns the timeout negotiated with the server (or the one
// asked for, before the first connection).
func (c *Client) SessionTimeout() time.Duration { return c.s.SessionTimeout() }

// ConnectedServer returns the address of the server the client is connected
// to, or "" while disconnected.
func (c *Client) ConnectedServer() string { return c.s.ConnectedServer() }

// Chroot returns the chroot given in the connection string, or "".
func (c *Client) Chroot() string { return c.chroot }

// Close ends the session (closeSession: the server deletes its ephemeral
// nodes at once), fails every pending call with ErrClosed, ends every watch
// and subscription, and returns once all the client's goroutines have
// stopped. It waits for the server's answer at most 1s or the session's read
// timeout, whichever is shorter. Closing a closed client does nothing.
func (c *Client) Close() error {
	c.s.Close()
	return nil
}

// closeCause is why the client is closed: ErrClosed or a terminal failure.
func (c *Client) closeCause() error { return c.s.CloseCause() }
