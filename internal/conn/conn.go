// Package conn is one TCP connection to one ZooKeeper server, from the
// handshake to its end. It owns every goroutine and every hand-off of the
// connection: callers submit a request with a Call and are told its outcome
// through Call.Complete, exactly once.
//
// A Conn runs two goroutines:
//   - the reader (read.go) alone reads the socket: it decodes each reply
//     frame from a reusable buffer and completes the Call at the head of the
//     request FIFO (ZooKeeper answers a session's requests in order, so
//     matching needs no map); it wakes the waiters of the frames it read
//     together once all of them are recorded (Call.Wake), so a pipeline
//     costs one goroutine wake-up per batch of replies. Notifications, auth replies and pings are
//     routed by their special xids. Its read deadline is the last byte
//     received plus the read timeout (2/3 of the session timeout), moved
//     only by received bytes, so a silent server is noticed on time whatever
//     the callers do.
//   - the writer (write.go) sends a ping when nothing was sent for a while,
//     and writes requests left queued when no caller is about to.
//
// Requests are written by the goroutine that submits them (write.go): at
// once when no write is in progress and the request is synchronous or
// nothing is in flight; otherwise they join a pending buffer that the
// goroutine already writing, a waiter about to block (Flush), or the writer
// goroutine once every reply in flight arrived, writes in one system call.
// This is Nagle's algorithm at the level of requests, with no timer: a
// pipeline's requests wait at most for the replies already in flight.
//
// The Conn knows nothing of sessions, watches or retries: when anything goes
// wrong it fails every pending Call with the cause and closes Done. The
// caller decides what happens next. A caller retiring a healthy connection
// can first wait for the replies in flight (WaitDrained), told by the reader
// when the last one is delivered, not by polling.
package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// Call is a request in flight. Complete is called exactly once, on the
// reader goroutine (or the goroutine that failed the connection): with the
// reply header and body, or with err when the request got no reply. body is
// only valid during the call. Wake follows Complete, exactly once, and is
// the moment to signal whoever waits for the call: the reader records every
// reply already buffered (Complete) before it signals their waiters (Wake),
// so that a waiter woken by one reply finds the whole batch complete, and a
// pipeline costs one wake-up per batch of replies, not one per reply. The
// Conn does not touch a call after its Wake.
type Call interface {
	Complete(hdr *proto.ReplyHeader, body []byte, err error)
	Wake()
}

// Handler receives what arrives outside the request FIFO. Its methods run on
// the reader goroutine and must not block.
type Handler interface {
	// Notify is called for each watch notification; ev.Path is the
	// server's path, valid only during the call. zxid is -1 from servers
	// before 3.9.
	Notify(ev *proto.WatcherEventView, zxid int64)
}

// Config describes one connection attempt.
type Config struct {
	Addr      string
	Dial      func(ctx context.Context, network, addr string) (net.Conn, error) // nil: net.Dialer
	Connect   proto.ConnectRequest                                              // the handshake
	MaxPacket int                                                               // largest request sent; 0: proto.MaxPacket
	MaxReply  int                                                               // largest reply read; 0: MaxPacket plus room for headers
	Handler   Handler
	Logger    *slog.Logger
}

// Errors a Conn reports.
var (
	// ErrClosed is returned by Send on a connection that has ended.
	ErrClosed = errors.New("connection closed")
	// ErrTooLarge is returned by Send for a request over the packet limit;
	// nothing is sent.
	ErrTooLarge = errors.New("request exceeds the packet size limit")
	// ErrTimeout is the cause when the server stayed silent too long.
	ErrTimeout = errors.New("server did not answer within the read timeout")
	// ErrAuthFailed is the cause when the server rejected one of our auth
	// packets; the server closes the connection after it.
	ErrAuthFailed = errors.New("authentication failed")
	// ErrSessionExpired is returned by Dial when the server says the
	// session is gone.
	ErrSessionExpired = errors.New("session expired")
	// ErrProtocol is the cause when the server sent something that breaks
	// the protocol (a malformed frame, a reply to no request).
	ErrProtocol = errors.New("protocol error")
)

// ReplyTooLargeError completes a call whose reply exceeded the reply limit:
// the frame was skipped and the connection kept.
type ReplyTooLargeError struct{ Size, Limit int }

// Error names the sizes.
func (e *ReplyTooLargeError) Error() string {
	return fmt.Sprintf("reply of %d bytes exceeds the %d-byte reply limit", e.Size, e.Limit)
}

// headroom is what a reply may carry beyond the largest request: a reply
// to getData holds data as large as MaxPacket plus a Stat and headers.
const headroom = 64 << 10

type pending struct {
	xid  int32
	call Call
}

// Conn is one established connection. Its methods are safe for concurrent use.
type Conn struct {
	nc        net.Conn
	cfg       Config
	maxPacket int
	maxReply  int
	session   proto.ConnectResponse
	log       *slog.Logger

	readTimeout  time.Duration
	pingInterval time.Duration

	mu       sync.Mutex
	closed   bool
	err      error
	xid      int32
	fifo     ring // requests awaiting a reply, oldest first
	auths    ring // auth requests awaiting a reply
	inFlight int  // frames written and not yet answered
	wbuf     []byte
	queued   int        // frames in wbuf
	spare    []byte     // the other write buffer, while not in a write
	writing  bool       // a goroutine is writing (see write)
	room     *sync.Cond // signalled when a write ends or the connection fails
	wake     chan struct{}
	drained  chan struct{} // closed once no request awaits a reply; made only for a waiter (WaitDrained)

	done     chan struct{}
	answered atomic.Bool // a frame arrived after the handshake
	lastZxid atomic.Int64
	lastRecv atomic.Int64 // unix nanos of the last byte received
	lastSend atomic.Int64 // unix nanos of the last write
	wg       sync.WaitGroup
}

// Dial connects to cfg.Addr, performs the handshake and starts the reader
// and the writer. It returns the server's ConnectResponse; a response with
// TimeoutMs <= 0 means the session has expired, and is returned with a nil
// Conn and ErrSessionExpired.
func Dial(ctx context.Context, cfg Config) (*Conn, proto.ConnectResponse, error) {
	var resp proto.ConnectResponse
	dial := cfg.Dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	nc, err := dial(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, resp, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	maxPacket := cfg.MaxPacket
	if maxPacket <= 0 {
		maxPacket = proto.MaxPacket
	}
	maxReply := cfg.MaxReply
	if maxReply <= 0 {
		maxReply = maxPacket + headroom
	}
	buf, err := handshake(ctx, nc, &cfg.Connect, maxReply, &resp)
	if err != nil {
		nc.Close()
		return nil, resp, err
	}
	if resp.TimeoutMs <= 0 {
		nc.Close()
		return nil, resp, ErrSessionExpired
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Conn{
		nc:        nc,
		cfg:       cfg,
		maxPacket: maxPacket,
		maxReply:  maxReply,
		session:   resp,
		log:       log,
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	c.room = sync.NewCond(&c.mu)
	c.session.Passwd = append([]byte(nil), resp.Passwd...)
	negotiated := time.Duration(resp.TimeoutMs) * time.Millisecond
	c.readTimeout = negotiated * 2 / 3
	c.pingInterval = min(c.readTimeout/2, 10*time.Second)
	c.lastZxid.Store(cfg.Connect.LastZxidSeen)
	now := time.Now().UnixNano()
	c.lastRecv.Store(now)
	c.lastSend.Store(now)
	c.wg.Add(2)
	go c.readLoop(buf)
	go c.writeLoop()
	return c, c.session, nil
}

// RefusedError is returned by Dial when the server answered the connect
// request with an error code instead of a session.
type RefusedError struct{ Code proto.Code }

// Error says the server refused and why.
func (e *RefusedError) Error() string { return "server refused the session: " + e.Code.String() }

// handshake writes the ConnectRequest and reads the ConnectResponse. It
// returns any bytes read past the response (the server may already have sent
// more) so the reader can start with them.
func handshake(ctx context.Context, nc net.Conn, req *proto.ConnectRequest, max int, resp *proto.ConnectResponse) ([]byte, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
		defer nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	frame := proto.AppendInt32(make([]byte, 0, 64), 0)
	frame = req.Append(frame)
	putLen(frame)
	if _, err := nc.Write(frame); err != nil {
		return nil, ctxErr(ctx, err)
	}
	buf := make([]byte, 0, 64<<10)
	body, rest, err := readFrame(nc, buf, max)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	d := proto.NewDecoder(body)
	resp.Decode(d)
	if err := d.Err(); err != nil {
		// A server that refuses to open the session (e.g. a read-only one
		// without local sessions) answers with a bare reply header.
		if len(body) == proto.ReplyHeaderSize {
			var h proto.ReplyHeader
			h.Decode(proto.NewDecoder(body))
			return nil, &RefusedError{Code: h.Err}
		}
		return nil, fmt.Errorf("%w: malformed connect response: %w", ErrProtocol, err)
	}
	return rest, nil
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}

// readFrame reads one whole frame from r into buf's spare capacity and
// returns its body and any bytes read beyond it.
func readFrame(r io.Reader, buf []byte, max int) (body, rest []byte, err error) {
	for len(buf) < 4 {
		if buf, err = readMore(r, buf); err != nil {
			return nil, nil, err
		}
	}
	n := int(int32(be32(buf)))
	if n < 0 || n > max {
		return nil, nil, fmt.Errorf("%w: frame length %d outside [0, %d]", ErrProtocol, n, max)
	}
	for len(buf) < 4+n {
		if cap(buf) < 4+n {
			buf = append(make([]byte, 0, 4+n), buf...)
		}
		if buf, err = readMore(r, buf); err != nil {
			return nil, nil, err
		}
	}
	body = append([]byte(nil), buf[4:4+n]...)
	rest = append(buf[:0:0], buf[4+n:]...)
	return body, rest, nil
}

func readMore(r io.Reader, buf []byte) ([]byte, error) {
	if len(buf) == cap(buf) {
		buf = append(buf, 0)[:len(buf)]
	}
	n, err := r.Read(buf[len(buf):cap(buf)])
	buf = buf[:len(buf)+n]
	if n > 0 {
		return buf, nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return buf, err
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// putLen writes the frame length (everything after the 4-byte prefix) into
// the prefix.
func putLen(frame []byte) {
	n := uint32(len(frame) - 4)
	frame[0], frame[1], frame[2], frame[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
}

// Session returns the server's ConnectResponse (password copied).
func (c *Conn) Session() proto.ConnectResponse { return c.session }

// Addr returns the address this connection was dialed to.
func (c *Conn) Addr() string { return c.cfg.Addr }

// MaxPacket returns the largest request the connection sends.
func (c *Conn) MaxPacket() int { return c.maxPacket }

// LastZxid returns the highest zxid seen on this connection (or the one the
// handshake was given).
func (c *Conn) LastZxid() int64 { return c.lastZxid.Load() }

// LastRecv returns when the last byte arrived.
func (c *Conn) LastRecv() time.Time { return time.Unix(0, c.lastRecv.Load()) }

// Answered reports whether the server sent anything after the handshake: a
// connection dropped before that proves nothing about the server's health.
func (c *Conn) Answered() bool { return c.answered.Load() }

// ForgetAnswers makes Answered false until the next frame arrives: the
// client calls it once the session's setup (SASL, credentials, watches) is
// done, so that only answers after it prove the connection healthy.
func (c *Conn) ForgetAnswers() { c.answered.Store(false) }

// WaitDrained waits until no request awaits a reply: each was answered, or
// failed because the connection ended. The calls answered while it waits
// are completed and woken before it returns, and a request sent while it
// waits is waited for too. It returns nil once drained, the connection's
// cause if it has ended, or ctx's error if ctx ends first. A caller retiring
// the connection uses it to let the replies in flight arrive before it
// closes.
func (c *Conn) WaitDrained(ctx context.Context) error {
	c.mu.Lock()
	ch := c.drained
	if c.fifo.size+c.auths.size == 0 {
		ch = closedChan
	} else if ch == nil {
		// Made here, not per request: nobody waiting costs nothing.
		ch = make(chan struct{})
		c.drained = ch
	}
	c.mu.Unlock()
	select {
	case <-ch:
		return c.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closedChan is what WaitDrained waits on when nothing is pending.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// signalDrained closes the waiters' channel if no request awaits a reply
// (c.mu held). The reader calls it once a batch of replies is woken, and
// once the connection's calls have failed.
func (c *Conn) signalDrained() {
	if c.drained != nil && c.fifo.size+c.auths.size == 0 {
		close(c.drained)
		c.drained = nil
	}
}

// Done is closed when the connection has ended; Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, or nil while it is alive.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the connection; pending calls fail with ErrClosed. It waits for
// the reader and writer to stop.
func (c *Conn) Close() {
	c.fail(ErrClosed)
	c.wg.Wait()
}

// fail records err as the cause, marks the connection closed and closes the
// socket; the reader then fails every pending call.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.err = err
	c.room.Broadcast()
	c.mu.Unlock()
	c.nc.Close()
	close(c.done)
}

// drain fails every pending call with the connection's cause; the
// connection has ended.
func (c *Conn) drain() {
	c.mu.Lock()
	cause := c.err
	fifo, auths := c.fifo.drain(), c.auths.drain()
	c.wbuf, c.queued = nil, 0
	c.mu.Unlock()
	for _, p := range auths {
		if p.call != nil {
			p.call.Complete(nil, nil, cause)
			p.call.Wake()
		}
	}
	for _, p := range fifo {
		if p.call != nil {
			p.call.Complete(nil, nil, cause)
			p.call.Wake()
		}
	}
	c.mu.Lock()
	c.signalDrained()
	c.mu.Unlock()
}

// ErrSASLRequired is the cause when the server refused a request because
// the connection has not authenticated with SASL; it matches ErrAuthFailed.
var ErrSASLRequired = fmt.Errorf("the server requires SASL authentication: %w", ErrAuthFailed)
