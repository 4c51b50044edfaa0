package kazoo

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"math"
	"net"
	"time"

	"github.com/kazoo-go/kazoo/internal/hostlist"
	"github.com/kazoo-go/kazoo/internal/session"
	"github.com/kazoo-go/kazoo/proto"
)

// Option configures a Client; pass options to Connect.
type Option func(*options)

type options struct {
	sessionTimeout time.Duration
	logger         *slog.Logger
	auths          []session.Auth
	sasl           SASLMechanism
	readOnly       bool
	dial           func(ctx context.Context, network, addr string) (net.Conn, error)
	tls            *tls.Config
	retry          RetryPolicy
	defaultACL     []ACL
	maxPacket      int // largest request
	maxReply       int // largest reply
	resolver       interface {
		LookupHost(ctx context.Context, host string) ([]string, error)
	}
	backoffMin, backoffMax time.Duration
	hooks                  []Hook
	sessionID              int64 // WithSession
	sessionPasswd          []byte
}

func defaultOptions() options {
	return options{
		sessionTimeout: 10 * time.Second,
		retry:          DefaultRetry,
		defaultACL:     OpenACLUnsafe,
		maxPacket:      proto.MaxPacket,
		maxReply:       defaultMaxReply,
		backoffMin:     50 * time.Millisecond,
		backoffMax:     2 * time.Second,
	}
}

// WithSessionTimeout asks for a session timeout (default 10s). The server
// clamps it to [2, 20] x its tickTime; Client.SessionTimeout tells the
// negotiated value.
func WithSessionTimeout(d time.Duration) Option {
	return func(o *options) { o.sessionTimeout = d }
}

// WithLogger makes the client log connection and session events to l. By
// default the client is silent.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithAuth adds credentials sent on every connection before any request,
// e.g. WithAuth("digest", []byte("user:password")).
func WithAuth(scheme string, auth []byte) Option {
	return func(o *options) {
		o.auths = append(o.auths, session.Auth{Scheme: scheme, Auth: append([]byte(nil), auth...)})
	}
}

// WithReadOnly lets the client connect to a read-only server (one that lost
// its quorum) when no read-write server is reachable. The client reports
// ReadOnly then, and keeps looking for a read-write server.
func WithReadOnly(allow bool) Option { return func(o *options) { o.readOnly = allow } }

// WithDialer replaces how connections are opened (default: net.Dialer).
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = dial }
}

// WithTLS wraps every connection in TLS with cfg (the server must listen with
// secureClientPort). When cfg.ServerName is empty the certificate is
// verified against the host name given in the connection string (not the
// address it resolved to), as kazoo and the Java client do. A client
// certificate in cfg.Certificates gives the session the server's x509
// identity for it (see X509ID and X509ACL).
func WithTLS(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

// WithRetry sets the policy Client.Retry uses (default DefaultRetry).
func WithRetry(p RetryPolicy) Option { return func(o *options) { o.retry = p } }

// WithDefaultACL sets the ACL of nodes created without WithACL (default
// OpenACLUnsafe).
func WithDefaultACL(acl ...ACL) Option { return func(o *options) { o.defaultACL = acl } }

// WithMaxPacket sets the largest frame the client sends or accepts, in
// bytes; requests should stay within the server's jute.maxbuffer (default
// 1,048,575 bytes). By default requests are limited to 1,048,575 bytes and
// replies to 16 MiB, so that everything the server accepted (a node of the
// largest size, a list of children over 1 MiB) can be read back. A reply
// over the limit fails only its call, with ErrReplyTooLarge.
func WithMaxPacket(n int) Option { return func(o *options) { o.maxPacket, o.maxReply = n, n } }

// defaultMaxReply is the default reply limit (see WithMaxPacket).
const defaultMaxReply = 16 << 20

// WithReconnectBackoff sets the pause after a full pass over the servers
// failed: it starts at min, doubles each pass up to max, with jitter.
func WithReconnectBackoff(min, max time.Duration) Option {
	return func(o *options) { o.backoffMin, o.backoffMax = min, max }
}

// WithResolver sets how server names are resolved; a name is resolved
// afresh every time the client connects to it.
func WithResolver(r interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}) Option {
	return func(o *options) { o.resolver = r }
}

// dialer returns how to open a connection to a server given as host (the
// name configured, used to verify a TLS certificate: the address dialed is
// the resolved one).
func (o *options) dialer(host string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dial := o.dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	if o.tls == nil {
		return dial
	}
	cfg := o.tls
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := cfg.Clone()
		if c.ServerName == "" {
			c.ServerName = host
		}
		tc := tls.Client(nc, c)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		return tc, nil
	}
}

// engineConfig translates the validated options into the engine's
// configuration.
func (o *options) engineConfig(addrs []string, chroot string, hooks hookSet) session.Config {
	log := o.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := session.Config{
		Hosts:           hostlist.New(addrs, o.resolver),
		Chroot:          chroot,
		Logger:          log,
		SessionTimeout:  o.sessionTimeout,
		ReadOnly:        o.readOnly,
		Dialer:          o.dialer,
		MaxPacket:       o.maxPacket,
		MaxReply:        o.maxReply,
		BackoffMin:      o.backoffMin,
		BackoffMax:      o.backoffMax,
		Auths:           o.auths,
		SessionID:       o.sessionID,
		SessionPasswd:   o.sessionPasswd,
		StateHooks:      len(hooks.state) > 0,
		RequestHooks:    len(hooks.request) > 0,
		ConnectHooks:    len(hooks.connect) > 0,
		WatchEventHooks: len(hooks.watch) > 0,
	}
	if o.sasl != nil {
		cfg.SASL = saslMechanism{o.sasl}
	}
	if cfg.StateHooks || cfg.RequestHooks || cfg.ConnectHooks || cfg.WatchEventHooks {
		cfg.Hooks = hooks
	}
	return cfg
}

// validate checks every option, so that a bad one is refused by Connect with
// a clear error instead of misbehaving later.
func (o *options) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
	}
	switch {
	case o.sessionTimeout <= 0:
		return bad("session timeout %v: must be positive", o.sessionTimeout)
	case o.sessionTimeout/time.Millisecond > math.MaxInt32:
		return bad("session timeout %v: too long", o.sessionTimeout)
	case o.maxPacket <= 0 || o.maxReply <= 0:
		return bad("max packet %d: must be positive", o.maxPacket)
	case o.backoffMin <= 0 || o.backoffMax < o.backoffMin:
		return bad("reconnect backoff from %v to %v: need 0 < min <= max", o.backoffMin, o.backoffMax)
	case len(o.defaultACL) == 0:
		return bad("empty default ACL")
	case o.retry.MaxTries < -1 || o.retry.Delay < 0 || o.retry.Backoff < 0 || o.retry.Jitter < 0 || o.retry.Jitter > 1 || o.retry.MaxDelay < 0 || o.retry.Deadline < 0:
		return bad("retry policy %+v", o.retry)
	}
	for _, a := range o.auths {
		if a.Scheme == "" {
			return bad("auth with an empty scheme")
		}
	}
	if o.sessionID != 0 && len(o.sessionPasswd) != 16 {
		return bad("session password of %d bytes: ZooKeeper's are 16", len(o.sessionPasswd))
	}
	return nil
}

// WithSession resumes an existing session instead of opening a new one:
// the id and password a previous process read from Client.SessionID and
// Client.SessionPassword (kazoo's client_id). A process that restarts
// faster than its session times out keeps its ephemeral nodes and its
// place in every lock queue. When the session has expired meanwhile, the
// client reports Lost and opens a new session, as after any expiry:
// compare SessionID to tell.
func WithSession(id int64, password []byte) Option {
	return func(o *options) { o.sessionID, o.sessionPasswd = id, append([]byte(nil), password...) }
}
