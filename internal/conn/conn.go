// Package conn is the connection engine: one TCP connection to one
// ZooKeeper server, from the handshake to its end.
//
// A Conn pipelines requests. Send encodes a request straight into a shared
// write buffer under a short lock, assigning its xid and queueing its Call in
// a FIFO. The request is written at once by its caller when nothing is in
// flight, and otherwise batched with those that follow (see shouldWrite), so
// a burst of requests costs one system call. Whoever holds the read role (a
// caller waiting for its own reply, or the background reader; see read.go)
// decodes replies from a reusable buffer and completes the Call at the head
// of the FIFO: ZooKeeper answers a session's requests in order, so matching
// needs no map. Notifications, auth replies and pings are routed by their
// special xids.
//
// The Conn knows nothing of sessions, watches or retries: when anything goes
// wrong it fails every queued Call with the error and closes Done. The client
// decides what happens next.
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

// Call is a request in flight. Complete is called exactly once, from the
// reader goroutine (or the goroutine that failed the connection): with the
// reply header and body, or with err when the connection failed first. body
// is only valid during the call.
type Call interface {
	Complete(hdr *proto.ReplyHeader, body []byte, err error)
}

// Handler receives what arrives outside the request FIFO. Its methods run on
// the reader goroutine and must not block.
type Handler interface {
	// Notify is called for each watch notification; ev.Path is the
	// server's path. zxid is -1 from servers before 3.9.
	Notify(ev *proto.WatcherEvent, zxid int64)
}

// Config describes one connection attempt.
type Config struct {
	Addr      string
	Dial      func(ctx context.Context, network, addr string) (net.Conn, error) // nil: net.Dialer
	Connect   proto.ConnectRequest                                              // the handshake
	MaxPacket int                                                               // largest frame accepted or sent; 0: proto.MaxPacket
	Handler   Handler
	Logger    *slog.Logger
	// Takeover says how soon the background reader must take the read
	// role once it is left free: PromptTakeover while goroutines wait for
	// replies without reading (see Conn.Hurry), IdleTakeover while watch
	// notifications may arrive, 0 when nothing needs it before the
	// writer's next tick. nil: always IdleTakeover.
	Takeover func() time.Duration
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
)

type pending struct {
	xid  int32
	call Call
}

// Conn is one established connection. Its methods are safe for concurrent use.
type Conn struct {
	nc        net.Conn
	cfg       Config
	maxPacket int
	session   proto.ConnectResponse

	readTimeout  time.Duration
	pingInterval time.Duration

	mu        sync.Mutex
	closed    bool
	err       error
	xid       int32
	wbuf      []byte
	fifo      ring
	auths     ring
	writing   bool          // a goroutine is writing wbuf out (see flush)
	wdeadline time.Time     // the socket's write deadline, owned by the writing goroutine
	queued    int           // requests in wbuf (FIFO or auth), not yet written
	spare     []byte        // the other write buffer, while not in a write
	wake      chan struct{} // capacity 1: the writer goroutine should flush
	reading   bool          // a goroutine holds the read role (see read.go)
	blocked   atomic.Bool   // the role's holder is blocked on the socket (set under mu)
	rd        reader        // the read state, owned by the read role's holder
	readWake  chan struct{} // capacity 1: the background reader should read
	idle      *time.Timer   // fires the background reader's takeover (see takeOverAt)
	born      time.Time     // when the connection began (see now)
	idleAt    int64         // c.now() when idle fires; 0: not armed
	takeover  int64         // c.now() when the background reader takes the role if free; 0: no need
	wanted    atomic.Int32  // waiters asking for the read role (see TryRead)
	roleFree  chan struct{} // capacity 1: the read role was offered to a waiter

	interruptFn func()        // c.interrupt, made once
	interrupted chan struct{} // capacity 1: interrupt has run
	lastSend    atomic.Int64  // unix nanos of the last write
	done        chan struct{}
	lastZxid    atomic.Int64
	lastRecv    atomic.Int64 // unix nanos of the last frame received
	wg          sync.WaitGroup
	log         *slog.Logger
}

// Dial connects to cfg.Addr, performs the handshake and starts the reader
// and writer. It returns the server's ConnectResponse; a response with
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
	max := cfg.MaxPacket
	if max <= 0 {
		max = proto.MaxPacket
	}
	buf, err := handshake(ctx, nc, &cfg.Connect, max, &resp)
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
		maxPacket: max,
		session:   resp,
		wake:      make(chan struct{}, 1),
		readWake:  make(chan struct{}, 1),
		roleFree:  make(chan struct{}, 1),
		done:      make(chan struct{}),
		log:       log,
	}
	c.session.Passwd = append([]byte(nil), resp.Passwd...)
	negotiated := time.Duration(resp.TimeoutMs) * time.Millisecond
	c.readTimeout = negotiated * 2 / 3
	c.pingInterval = min(c.readTimeout/2, 10*time.Second)
	c.lastZxid.Store(cfg.Connect.LastZxidSeen)
	c.lastRecv.Store(time.Now().UnixNano())
	c.lastSend.Store(time.Now().UnixNano())
	c.rd.init(buf)
	c.interruptFn = c.interrupt
	c.interrupted = make(chan struct{}, 1)
	c.born = time.Now()
	c.idle = time.NewTimer(time.Hour)
	c.idle.Stop()
	c.readWake <- struct{}{} // read from the start: notifications, failures
	c.wg.Add(2)
	go c.backgroundReader()
	go c.writeLoop()
	return c, c.session, nil
}

// RefusedError is returned by Dial when the server answered the connect
// request with an error code instead of a session.
type RefusedError struct{ Code proto.Code }

// Error says the server refused and why.
func (e *RefusedError) Error() string { return "server refused the session: " + e.Code.String() }

// ErrSessionExpired is returned by Dial when the server says the session is
// gone.
var ErrSessionExpired = errors.New("session expired")

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
		return nil, fmt.Errorf("malformed connect response: %w", err)
	}
	return rest, nil
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// readFrame reads one whole frame from r into buf's spare capacity and
// returns its body and any bytes read beyond it (moved to the front of buf).
func readFrame(r io.Reader, buf []byte, max int) (body, rest []byte, err error) {
	for len(buf) < 4 {
		if buf, err = readMore(r, buf); err != nil {
			return nil, nil, err
		}
	}
	n := int(int32(be32(buf)))
	if n < 0 || n > max {
		return nil, nil, fmt.Errorf("frame length %d outside [0, %d]", n, max)
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

// LastZxid returns the highest zxid seen on this connection (or the one the
// handshake was given).
func (c *Conn) LastZxid() int64 { return c.lastZxid.Load() }

// LastRecv returns when the last frame arrived.
func (c *Conn) LastRecv() time.Time { return time.Unix(0, c.lastRecv.Load()) }

// Done is closed when the connection has ended; Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, or nil while it is alive.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Send queues a request: op with body (nil for none) under the next xid.
// call is completed by the reply, or by the connection's failure. On error
// nothing was queued and call is not completed.
func (c *Conn) Send(op proto.Op, body proto.Record, call Call) error {
	_, err := c.send(0, op, body, call, false)
	return err
}

// SendSync is Send for a caller that will wait for the reply: when no one
// is reading the connection, the caller takes the read role (reader is
// true) and must then call ReadUntil, which reads the reply on the
// caller's goroutine instead of handing it over from another one.
func (c *Conn) SendSync(op proto.Op, body proto.Record, call Call) (reader bool, err error) {
	return c.send(0, op, body, call, true)
}

// SendXid queues a request with a special xid: proto.XidSetWatches (in the
// FIFO, like a normal request), proto.XidAuth (answered out of band, in
// order among auth requests) or proto.XidPing (call must be nil).
func (c *Conn) SendXid(xid int32, op proto.Op, body proto.Record, call Call) error {
	_, err := c.send(xid, op, body, call, false)
	return err
}

func (c *Conn) send(xid int32, op proto.Op, body proto.Record, call Call, sync bool) (reader bool, err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false, ErrClosed
	}
	if xid == 0 {
		c.xid++
		if c.xid <= 0 { // wrap from 2^31-1 back to 1
			c.xid = 1
		}
		xid = c.xid
	}
	start := len(c.wbuf)
	b := proto.AppendInt32(c.wbuf, 0)
	b = proto.AppendInt32(b, xid)
	b = proto.AppendInt32(b, int32(op))
	if body != nil {
		b = body.Append(b)
	}
	if len(b)-start-4 > c.maxPacket {
		c.wbuf = b[:start]
		c.mu.Unlock()
		return false, ErrTooLarge
	}
	putLen(b[start:])
	c.wbuf = b
	switch xid {
	case proto.XidPing:
	case proto.XidAuth:
		c.auths.push(pending{xid, call})
		c.queued++
	default:
		c.fifo.push(pending{xid, call})
		c.queued++
	}
	// The caller reads its answer itself if it will wait and no one reads
	// now. Otherwise whoever waits for it will read, or ask for the role
	// (see read.go).
	if sync && !c.reading {
		c.take()
		reader = true
	}
	if c.writing {
		c.mu.Unlock() // the goroutine writing now sends it with its next write
		return reader, nil
	}
	if !c.shouldWrite() {
		// Deferred (see shouldWrite). Whoever reads writes it before it
		// blocks on the socket (see blockRead), as a single-threaded
		// pipelined client would, so the wait is bounded without waking
		// anyone in the common case: a reader already blocked has the
		// writer goroutine start the linger timer (the first deferred
		// request wakes it), and a free role is taken by the background
		// reader after freeLinger unless someone reads first (a
		// pipeline's goroutine, waiting for its next future).
		linger := false
		switch {
		case !c.reading:
			c.takeOverAt(c.now() + int64(freeLinger))
		case c.blocked.Load():
			linger = c.queued == 1
		}
		c.mu.Unlock()
		if linger {
			c.wakeWriter()
		}
		return reader, nil
	}
	c.writing = true
	c.mu.Unlock()
	c.flush(directRounds)
	return reader, nil
}

// shouldWrite decides whether queued requests go out now (c.mu held). It is
// Nagle's algorithm at the level of requests: write at once when nothing is
// in flight (a lone request pays no delay), else wait until at least as many
// requests are queued as are in flight, or a write's worth of bytes, or
// lingerMax passed. Under a pipelined load this settles into large batches,
// one system call each way per batch instead of per request, which is what
// the server and the client both spend most of their CPU on.
func (c *Conn) shouldWrite() bool {
	inFlight := c.fifo.size + c.auths.size - c.queued
	return inFlight <= 0 || c.queued >= inFlight || len(c.wbuf) >= lingerBytes
}

// A deferred request waits at most lingerMax for the replies it waits on:
// long enough to cover a loaded server's write round trip (several
// milliseconds at 64 writes in flight), so that writes batch as well as
// reads do; a lone request never waits.
//
// While no one reads, a deferred request waits at most freeLinger for the
// background reader to take the role and write it. The goroutine that just
// left the role usually comes back within microseconds to wait for its next
// reply (and writes it then); the timer that bounds the wait costs a thread
// wake-up whenever it fires or must be moved, so this bound is set long
// enough for that to happen at most a hundred times a second.
const (
	lingerBytes = 64 << 10
	lingerMax   = 2 * time.Millisecond
	freeLinger  = 10 * time.Millisecond
)

func (c *Conn) wakeWriter() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// directRounds is how many writes a caller makes for itself and for the
// requests queued behind it before handing the rest to the writer goroutine.
const directRounds = 2

// flush writes the queued bytes; the caller holds the writer role
// (c.writing). Writing on the caller's goroutine spares a synchronous
// request the hop to the writer goroutine; while one write is in the
// kernel, other callers queue, and the next write carries them all. After
// rounds writes (0: no limit) the role passes to the writer goroutine, so
// no caller is held up for long by others' traffic.
func (c *Conn) flush(rounds int) {
	for i := 0; ; i++ {
		c.mu.Lock()
		if len(c.wbuf) == 0 || c.closed {
			c.writing = false
			c.mu.Unlock()
			return
		}
		if rounds > 0 && i == rounds {
			c.writing = false
			c.mu.Unlock()
			c.wakeWriter()
			return
		}
		buf := c.wbuf
		c.queued = 0
		c.wbuf = c.spare[:0]
		c.spare = nil
		c.mu.Unlock()

		if renew(&c.wdeadline, c.readTimeout) {
			_ = c.nc.SetWriteDeadline(c.wdeadline)
		}
		_, err := c.nc.Write(buf)
		c.lastSend.Store(time.Now().UnixNano())
		if cap(buf) > 1<<20 { // do not hold on to a burst's buffer forever
			buf = nil
		}
		c.mu.Lock()
		c.spare = buf[:0]
		c.mu.Unlock()
		if err != nil {
			c.fail(fmt.Errorf("write: %w", err))
		}
	}
}

// renew moves a socket deadline to timeout from now, reporting whether it
// moved. Moving it costs a timer update, which may wake a thread: it moves
// only once a quarter of the timeout has passed, so a deadline is between
// 3/4 and 1 timeout away.
func renew(deadline *time.Time, timeout time.Duration) bool {
	now := time.Now()
	if now.Add(timeout).Sub(*deadline) <= timeout/4 {
		return false
	}
	*deadline = now.Add(timeout)
	return true
}

// Close ends the connection; queued calls fail with ErrClosed. It waits for
// the reader and writer to stop.
func (c *Conn) Close() {
	c.fail(ErrClosed)
	c.wg.Wait()
}

// fail records err as the cause, marks the connection closed and closes the
// socket; the reader then fails every queued call.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.err = err
	c.mu.Unlock()
	c.nc.Close()
	close(c.done)
}

// writeLoop writes what callers left queued (see shouldWrite), sends
// pings when the connection is idle, and takes over writing when a caller
// hands it a long queue.
func (c *Conn) writeLoop() {
	defer c.wg.Done()
	ticker := time.NewTicker(c.pingInterval / 2)
	defer ticker.Stop()
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	lingering := false
	for {
		force := false
		select {
		case <-c.done:
			return
		case <-c.wake:
		case <-linger.C:
			lingering, force = false, true
		case now := <-ticker.C:
			if now.Sub(time.Unix(0, c.lastSend.Load())) >= c.pingInterval {
				_ = c.SendXid(proto.XidPing, proto.OpPing, nil, nil)
				force = true
			}
			c.mu.Lock()
			if !c.reading { // someone must read the answers, or notice silence
				c.wakeReader()
			}
			c.mu.Unlock()
		}
		c.mu.Lock()
		if c.writing || len(c.wbuf) == 0 {
			c.mu.Unlock()
			continue
		}
		if !force && !c.shouldWrite() {
			c.mu.Unlock()
			if !lingering {
				lingering = true
				linger.Reset(lingerMax)
			}
			continue
		}
		c.writing = true
		c.mu.Unlock()
		if lingering {
			lingering = false
			linger.Stop()
		}
		c.flush(0)
	}
}

// ErrAuthFailed is the cause when the server rejected an auth packet; the
// server closes the connection after it.
var ErrAuthFailed = errors.New("authentication failed")

// ErrSASLRequired is the cause when the server refused a request because
// the connection has not authenticated with SASL; it matches ErrAuthFailed.
var ErrSASLRequired = fmt.Errorf("the server requires SASL authentication: %w", ErrAuthFailed)
