package kazoo

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// Option configures a Client; pass options to Connect.
type Option func(*options)

type options struct {
	sessionTimeout time.Duration
	logger         *slog.Logger
	auths          []authInfo
	readOnly       bool
	dial           func(ctx context.Context, network, addr string) (net.Conn, error)
	tls            *tls.Config
	retry          RetryPolicy
	defaultACL     []ACL
	maxPacket      int
	resolver       interface {
		LookupHost(ctx context.Context, host string) ([]string, error)
	}
	backoffMin, backoffMax time.Duration
	hooks                  []Hook
}

type authInfo struct {
	scheme string
	auth   []byte
}

func defaultOptions() options {
	return options{
		sessionTimeout: 10 * time.Second,
		retry:          DefaultRetry,
		defaultACL:     OpenACLUnsafe,
		maxPacket:      proto.MaxPacket,
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
		o.auths = append(o.auths, authInfo{scheme, append([]byte(nil), auth...)})
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
// secureClientPort). When cfg.ServerName is empty the host name is used.
func WithTLS(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

// WithRetry sets the policy Client.Retry uses (default DefaultRetry).
func WithRetry(p RetryPolicy) Option { return func(o *options) { o.retry = p } }

// WithDefaultACL sets the ACL of nodes created without WithACL (default
// OpenACLUnsafe).
func WithDefaultACL(acl ...ACL) Option { return func(o *options) { o.defaultACL = acl } }

// WithMaxPacket sets the largest frame the client sends or accepts; it must
// match the server's jute.maxbuffer (default 1,048,575 bytes).
func WithMaxPacket(n int) Option { return func(o *options) { o.maxPacket = n } }

// WithReconnectBackoff sets the pause after a full pass over the servers
// failed: it starts at min, doubles each pass up to max, with jitter.
func WithReconnectBackoff(min, max time.Duration) Option {
	return func(o *options) { o.backoffMin, o.backoffMax = min, max }
}

// WithResolver sets how server names are resolved; they are resolved afresh
// on every pass over the server list.
func WithResolver(r interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}) Option {
	return func(o *options) { o.resolver = r }
}

func (o *options) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
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
			c.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(nc, c)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		return tc, nil
	}
}
