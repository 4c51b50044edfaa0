// Package rawclient is a minimal ZooKeeper client written directly on top of
// package proto: one TCP connection, one session, no goroutines, no retries,
// no watches management, no reconnection.
//
// It exists for two reasons. The test harness (package zktest) needs to talk
// to a server without depending on the client library it tests, for example to
// create a chroot or to expire a session. And the benchmarks need a ceiling:
// [Conn.Send], [Conn.Flush] and [Conn.Recv] form the cheapest possible
// pipelined client (one reused write buffer, one reused read buffer, a bufio
// reader, zero allocations per request beyond what the caller's records
// need), against which the real client's overhead is measured.
//
// A Conn is not safe for concurrent use, with one exception: [Conn.Close] may
// be called from another goroutine to abort a blocked call.
//
// Nothing pings the server on its own: a caller that stays idle for longer
// than the negotiated session timeout loses its session. Call [Conn.Ping]
// when needed.
package rawclient

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// ErrSessionExpired is returned by [Dial] when the server answered the
// handshake with a non-positive timeout: the session being resumed no longer
// exists.
var ErrSessionExpired = errors.New("rawclient: session expired")

// ErrFrameTooLarge is returned when the server sends a frame larger than the
// configured limit (see [WithMaxFrame]); the connection is then unusable.
var ErrFrameTooLarge = errors.New("rawclient: frame too large")

// Error is a non-zero error code the server answered to a request.
type Error struct {
	Op   proto.Op
	Code proto.Code
}

// Error describes the failed operation, e.g. "rawclient: create: node exists".
func (e *Error) Error() string {
	return "rawclient: " + e.Op.String() + ": " + e.Code.String()
}

// Response is a reply body that decodes itself: every response record of
// package proto is one.
type Response interface {
	Decode(d *proto.Decoder)
}

// Option configures [Dial].
type Option func(*options)

type options struct {
	sessionID   int64
	passwd      []byte
	lastZxid    int64
	readOnly    bool
	maxFrame    int
	callTimeout time.Duration
	dialer      func(ctx context.Context, network, addr string) (net.Conn, error)
}

// WithSession resumes an existing session instead of creating a new one.
func WithSession(id int64, passwd []byte) Option {
	return func(o *options) { o.sessionID, o.passwd = id, passwd }
}

// WithLastZxid sets the last zxid the client claims to have seen; a server
// that is behind it refuses the connection.
func WithLastZxid(zxid int64) Option { return func(o *options) { o.lastZxid = zxid } }

// WithReadOnly asks for a session that a read-only (partitioned) server may
// accept.
func WithReadOnly() Option { return func(o *options) { o.readOnly = true } }

// WithMaxFrame sets the largest reply frame accepted, in bytes. The default
// is proto.MaxPacket plus room for the reply header and a Stat, so that a
// getData of a maximal znode fits.
func WithMaxFrame(n int) Option { return func(o *options) { o.maxFrame = n } }

// WithCallTimeout bounds how long [Conn.Call] waits for the connection
// (writing the request and reading its reply). The default is the negotiated
// session timeout; zero or less means no limit. Send, Flush and Recv are not
// bounded: use [Conn.SetDeadline] for them.
func WithCallTimeout(d time.Duration) Option { return func(o *options) { o.callTimeout = d } }

// WithDialer replaces net.Dialer.DialContext, e.g. to go through a proxy.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dialer = dial }
}

// Conn is one connection carrying one ZooKeeper session.
type Conn struct {
	nc  net.Conn
	br  *bufio.Reader
	out []byte // framed requests not yet written
	in  []byte // body of the last frame read; reused
	dec proto.Decoder

	xid         int32
	lastZxid    int64
	maxFrame    int
	callTimeout time.Duration

	sessionID int64
	passwd    []byte
	timeout   time.Duration
	readOnly  bool

	// broken is the error that left the byte stream in an unknown
	// state (a partial frame, a failed write): every later call fails
	// with it. A timeout before any byte of a frame arrived does not
	// break the connection.
	broken error
}

// defaultMaxFrame leaves room for a reply header, a Stat and length prefixes
// around a znode of proto.MaxPacket bytes.
const defaultMaxFrame = proto.MaxPacket + 1024

// flushThreshold is the buffered size at which Send writes on its own, so
// that a long pipeline does not grow the buffer without bound.
const flushThreshold = 64 << 10

// Dial connects to addr ("host:port") and performs the session handshake,
// asking for sessionTimeout. It returns once the server has answered, or when
// ctx ends. Resuming an expired session (see [WithSession]) fails with
// [ErrSessionExpired].
func Dial(ctx context.Context, addr string, sessionTimeout time.Duration, opts ...Option) (*Conn, error) {
	o := options{maxFrame: defaultMaxFrame, callTimeout: -1}
	for _, opt := range opts {
		opt(&o)
	}
	dial := o.dialer
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rawclient: dial %s: %w", addr, err)
	}
	c := &Conn{
		nc:       nc,
		br:       bufio.NewReaderSize(nc, 64<<10),
		out:      make([]byte, 0, 4096),
		maxFrame: o.maxFrame,
		lastZxid: o.lastZxid,
	}
	if err := c.handshake(ctx, sessionTimeout, &o); err != nil {
		nc.Close()
		return nil, err
	}
	c.callTimeout = o.callTimeout
	if c.callTimeout < 0 {
		c.callTimeout = c.timeout
	}
	return c, nil
}

func (c *Conn) handshake(ctx context.Context, sessionTimeout time.Duration, o *options) error {
	// The handshake obeys ctx: its deadline directly, its cancellation by
	// moving the connection's deadline into the past.
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	passwd := o.passwd
	if passwd == nil {
		passwd = make([]byte, proto.PasswordSize)
	}
	req := proto.ConnectRequest{
		LastZxidSeen: o.lastZxid,
		TimeoutMs:    int32(sessionTimeout / time.Millisecond),
		SessionID:    o.sessionID,
		Passwd:       passwd,
		ReadOnly:     o.readOnly,
	}
	c.out = proto.AppendConnect(c.out[:0], &req)
	if _, err := c.nc.Write(c.out); err != nil {
		return c.ctxErr(ctx, fmt.Errorf("rawclient: handshake: %w", err))
	}
	c.out = c.out[:0]
	if err := c.readFrame(); err != nil {
		return c.ctxErr(ctx, fmt.Errorf("rawclient: handshake: %w", err))
	}
	var resp proto.ConnectResponse
	c.dec.Reset(c.in)
	resp.Decode(&c.dec)
	if err := c.dec.Err(); err != nil {
		return fmt.Errorf("rawclient: handshake: %w", err)
	}
	if resp.TimeoutMs <= 0 {
		return ErrSessionExpired
	}
	if !stop() {
		// ctx ended while the answer was arriving; the deadline is
		// poisoned, so the connection cannot be handed out.
		return ctx.Err()
	}
	c.sessionID = resp.SessionID
	c.passwd = append([]byte(nil), resp.Passwd...)
	c.timeout = time.Duration(resp.TimeoutMs) * time.Millisecond
	c.readOnly = resp.ReadOnly
	c.nc.SetDeadline(time.Time{})
	return nil
}

// ctxErr prefers ctx's error over the I/O error it caused.
func (c *Conn) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("rawclient: handshake: %w", ctx.Err())
	}
	return err
}

// SessionID returns the session's id.
func (c *Conn) SessionID() int64 { return c.sessionID }

// Password returns the session's password, needed to resume it.
func (c *Conn) Password() []byte { return c.passwd }

// Timeout returns the session timeout the server granted.
func (c *Conn) Timeout() time.Duration { return c.timeout }

// ReadOnly reports whether the server granted a read-only session.
func (c *Conn) ReadOnly() bool { return c.readOnly }

// LastZxid returns the highest zxid seen in a reply so far.
func (c *Conn) LastZxid() int64 { return c.lastZxid }

// LocalAddr returns the local address of the connection.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// SetDeadline sets the read and write deadline of the underlying connection,
// as net.Conn.SetDeadline does. When a call timeout is in force, Call
// replaces it while it runs and clears it on return.
func (c *Conn) SetDeadline(t time.Time) error { return c.nc.SetDeadline(t) }

// nextXid returns the next normal xid, wrapping from 2^31-1 back to 1 as the
// reference client does.
func (c *Conn) nextXid() int32 {
	c.xid++
	if c.xid <= 0 {
		c.xid = 1
	}
	return c.xid
}

// Send buffers one request and returns its xid. The request is written by
// [Conn.Flush], by [Conn.Recv], or as soon as the buffer holds 64 KiB. req
// may be nil for requests without a body (closeSession, whoAmI).
func (c *Conn) Send(op proto.Op, req proto.Record) (int32, error) {
	xid := c.nextXid()
	return xid, c.sendXid(xid, op, req)
}

func (c *Conn) sendXid(xid int32, op proto.Op, req proto.Record) error {
	c.out = proto.AppendRequest(c.out, xid, op, req)
	if len(c.out) >= flushThreshold {
		return c.Flush()
	}
	return nil
}

// Flush writes every buffered request in one write.
func (c *Conn) Flush() error {
	if c.broken != nil {
		return c.broken
	}
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.out)
	c.out = c.out[:0]
	if err != nil {
		c.broken = fmt.Errorf("rawclient: write: %w", err)
		return c.broken
	}
	return nil
}

// Recv flushes any buffered requests, then reads the next frame from the
// server: a reply, a notification (Xid proto.XidNotification) or a ping reply
// (Xid proto.XidPing). The returned decoder is positioned at the body, which
// is present only when the header's Err is CodeOK (or for notifications); it
// is valid until the next call on c.
func (c *Conn) Recv() (proto.ReplyHeader, *proto.Decoder, error) {
	var h proto.ReplyHeader
	if err := c.Flush(); err != nil {
		return h, nil, err
	}
	if err := c.readFrame(); err != nil {
		return h, nil, err
	}
	c.dec.Reset(c.in)
	h.Decode(&c.dec)
	if err := c.dec.Err(); err != nil {
		return h, nil, fmt.Errorf("rawclient: reply header: %w", err)
	}
	if h.Zxid > c.lastZxid {
		c.lastZxid = h.Zxid
	}
	return h, &c.dec, nil
}

// readFrame reads one length-prefixed frame into c.in.
func (c *Conn) readFrame() error {
	if c.broken != nil {
		return c.broken
	}
	var lenBuf [4]byte
	if got, err := io.ReadFull(c.br, lenBuf[:]); err != nil {
		err = fmt.Errorf("rawclient: read: %w", err)
		var ne net.Error
		if got > 0 || !errors.As(err, &ne) || !ne.Timeout() {
			c.broken = err
		}
		return err
	}
	n := int(int32(binary.BigEndian.Uint32(lenBuf[:])))
	if n < 0 || n > c.maxFrame {
		c.broken = fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, n)
		return c.broken
	}
	if cap(c.in) < n {
		c.in = make([]byte, n)
	}
	c.in = c.in[:n]
	if _, err := io.ReadFull(c.br, c.in); err != nil {
		c.broken = fmt.Errorf("rawclient: read: %w", err)
		return c.broken
	}
	return nil
}

// Call sends one request and waits for its reply, skipping notifications and
// ping replies that arrive first. resp may be nil when the reply has no body
// or the caller does not need it; it is decoded only when the server answered
// CodeOK. A non-zero code is returned as an *[Error] along with the header.
// Slices in resp may alias c's read buffer: copy them before the next call.
//
// A call that timed out (see [WithCallTimeout]) leaves the connection usable,
// but the server may still answer it: read that reply with [Conn.Recv] before
// the next Call, which would otherwise find it and fail as out of sync.
func (c *Conn) Call(op proto.Op, req proto.Record, resp Response) (proto.ReplyHeader, error) {
	xid := c.nextXid()
	return c.call(xid, op, req, resp)
}

func (c *Conn) call(xid int32, op proto.Op, req proto.Record, resp Response) (proto.ReplyHeader, error) {
	if c.callTimeout > 0 {
		c.nc.SetDeadline(time.Now().Add(c.callTimeout))
		defer c.nc.SetDeadline(time.Time{})
	}
	if err := c.sendXid(xid, op, req); err != nil {
		return proto.ReplyHeader{}, err
	}
	if err := c.Flush(); err != nil {
		return proto.ReplyHeader{}, err
	}
	for {
		h, d, err := c.Recv()
		if err != nil {
			return h, err
		}
		if h.Xid != xid {
			if h.Xid < 0 {
				continue // notification, ping or auth reply
			}
			c.broken = fmt.Errorf("rawclient: reply xid %d, want %d: connection out of sync", h.Xid, xid)
			return h, c.broken
		}
		if h.Err != proto.CodeOK {
			return h, &Error{Op: op, Code: h.Err}
		}
		if resp != nil {
			resp.Decode(d)
			if err := d.Err(); err != nil {
				return h, fmt.Errorf("rawclient: %s reply: %w", op, err)
			}
		}
		return h, nil
	}
}

// Auth adds an identity to the session (for example scheme "digest" with
// "user:password") and waits for the server to accept it. A refused identity
// fails with code AuthFailed, and the server then closes the connection.
func (c *Conn) Auth(scheme string, auth []byte) error {
	_, err := c.call(proto.XidAuth, proto.OpAuth, &proto.AuthRequest{Scheme: scheme, Auth: auth}, nil)
	return err
}

// Ping sends a ping and waits for its answer, which keeps the session alive.
func (c *Conn) Ping() error {
	_, err := c.call(proto.XidPing, proto.OpPing, nil, nil)
	return err
}

// CloseSession ends the session on the server, waits for the server's
// answer, then closes the connection. Ephemeral nodes of the session are gone
// when it returns nil.
func (c *Conn) CloseSession() error {
	_, err := c.Call(proto.OpCloseSession, nil, nil)
	cerr := c.nc.Close()
	if err != nil {
		return err
	}
	return cerr
}

// Close closes the connection without ending the session, which lives on
// until its timeout passes (or a resumed connection ends it).
func (c *Conn) Close() error { return c.nc.Close() }
