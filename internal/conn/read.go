package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// Reading is a role, held by one goroutine at a time: the background
// reader, or a caller waiting for its own reply. A caller that finds no one
// reading reads its reply itself (SendSync or TryRead, then ReadUntil): the
// reply then wakes the very goroutine that waits for it,
// as in a single-threaded client, instead of waking a reader goroutine that
// must in turn wake the caller (on a small machine that second wake-up, a
// thread woken on another CPU, costs more than the round trip).
//
// Every goroutine waiting for a reply holds the role, or has registered
// with WantRead (the holder offers it the role when leaving), or waits on a
// future's Done channel, which Config.Takeover reports. So when the role is
// left free nobody needs to be woken: the background reader takes it after
// a delay that Config.Takeover sets (a Done channel is waited on, or watch
// notifications may arrive), within freeLinger when a request was deferred
// while no one read, and on the writer's periodic tick, so that a silent
// server is noticed. Moving a timer at every hand-over would cost a thread
// wake-up each time: the takeover timer is re-armed lazily (takeOverAt).

// Takeover delays: PromptTakeover while a goroutine waits for a reply
// without reading, IdleTakeover while notifications may arrive.
const (
	PromptTakeover = 200 * time.Microsecond
	IdleTakeover   = time.Millisecond
)

// Settled reports whether a call has been completed; ReadUntil reads until
// its call is.
type Settled interface{ Settled() bool }

// reader is the read state, owned by the holder of the read role.
type reader struct {
	buf      []byte // buf[start:] is unread
	start    int
	deadline time.Time // the socket's read deadline; zero: must be set
	hdr      proto.ReplyHeader
	ev       proto.WatcherEvent
	d        proto.Decoder
}

func (r *reader) init(leftover []byte) {
	r.buf = append(make([]byte, 0, 64<<10), leftover...)
}

func (c *Conn) wakeReader() {
	select {
	case c.readWake <- struct{}{}:
	default:
	}
}

// backgroundReader reads when the role is free and reading is needed (see
// Config.Takeover), and on the writer's tick.
func (c *Conn) backgroundReader() {
	defer c.wg.Done()
	for {
		select {
		case <-c.done:
			c.drain()
			return
		case <-c.readWake:
		case <-c.idle.C:
			c.mu.Lock()
			c.idleAt = 0
			due := !c.reading && !c.closed && c.takeover != 0
			if due && c.now() < c.takeover { // asked again since it was set
				c.takeOverAt(c.takeover)
				due = false
			}
			c.mu.Unlock()
			if !due {
				continue
			}
		}
		if !c.TryRead() {
			continue
		}
		// On errYield release offers the role to the waiter that wants it.
		if err := c.read(nil, true); err != nil && !errors.Is(err, errYield) {
			c.fail(err)
			c.drain()
		}
		c.release()
	}
}

// errYield stops the background reader's read: a waiter wants the role.
var errYield = errors.New("yield the read role")

// TryRead takes the read role if it is free, for a goroutine about to wait
// for a reply; it then must call ReadUntil. A waiter that finds the role
// held registers with WantRead, tries once more, and waits for its reply or
// RoleFree: the holder offers the role when it leaves (the background
// reader after its current batch).
func (c *Conn) TryRead() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reading || c.closed {
		return false
	}
	c.take()
	return true
}

// take gives the read role to the caller (c.mu held): whatever a takeover
// was asked for, the new holder reads (and writes what is queued).
func (c *Conn) take() {
	c.reading = true
	c.takeover = 0
}

// WantRead registers (+1) or unregisters (-1) a waiter that wants the read
// role.
func (c *Conn) WantRead(delta int32) { c.wanted.Add(delta) }

// RoleFree receives when the read role was offered to waiters; the
// receiver tries TryRead.
func (c *Conn) RoleFree() <-chan struct{} { return c.roleFree }

// ReadUntil reads as the holder of the read role (granted by SendSync or
// TryRead) until call is settled or ctx ends, then gives the role up.
// Whatever else arrives meanwhile is dispatched as usual.
func (c *Conn) ReadUntil(ctx context.Context, call Settled) {
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, c.interruptFn)
	}
	err := c.read(call, false)
	if stop != nil && !stop() {
		<-c.interrupted
		c.rd.deadline = time.Time{} // undo the interruption for the next reader
		if err != nil && ctx.Err() != nil && errors.Is(err, ErrTimeout) {
			err = nil // our own interruption, not a silent server
		}
	}
	if err != nil {
		c.fail(err)
		c.drain()
	}
	c.release()
}

// interrupt wakes the role holder's Read when its context ends (only the
// holder arms it, so one reusable channel serves every ReadUntil).
func (c *Conn) interrupt() {
	_ = c.nc.SetReadDeadline(time.Unix(1, 0))
	c.interrupted <- struct{}{}
}

// release gives the read role up. No one is woken unless a waiter asked
// for the role (WantRead): the goroutine leaving is likely to come back at
// once (a pipeline waiting for its oldest future, a loop of calls).
func (c *Conn) release() {
	c.mu.Lock()
	c.reading = false
	offer := false
	switch {
	case c.closed:
		c.wakeReader()
	case c.wanted.Load() > 0:
		offer = true
		c.takeOverAt(c.now() + int64(PromptTakeover))
	default:
		c.arm()
	}
	c.mu.Unlock()
	if offer {
		c.offerRole()
	}
}

func (c *Conn) offerRole() {
	select {
	case c.roleFree <- struct{}{}:
	default:
	}
}

// arm schedules the background reader's takeover of the free role as
// Config.Takeover asks (c.mu held).
func (c *Conn) arm() {
	d := IdleTakeover
	if c.cfg.Takeover != nil {
		d = c.cfg.Takeover()
	}
	if d > 0 {
		c.takeOverAt(c.now() + int64(d))
	}
}

// Hurry makes the background reader take a free read role at once: a
// goroutine starts waiting for a reply without reading (a future's Done
// channel), or a watch was set outside the read path.
func (c *Conn) Hurry() {
	c.mu.Lock()
	if !c.reading && !c.closed {
		c.wakeReader()
	}
	c.mu.Unlock()
}

// now is a monotonic clock reading, in nanoseconds since the connection
// began: wall-clock jumps must not move a takeover.
func (c *Conn) now() int64 { return int64(time.Since(c.born)) }

// takeOverAt makes the background reader take the read role at the given
// time if it is still free then (c.mu held); the earliest request wins
// until someone takes the role. The timer is moved only when it must fire
// earlier: the role changes hands far more often than the timer needs to
// fire, and moving a timer can cost a thread wake-up. A timer that fires
// while the role is held, or too early, is ignored or re-armed.
func (c *Conn) takeOverAt(at int64) {
	if c.takeover == 0 || at < c.takeover {
		c.takeover = at
	}
	if c.idleAt != 0 && c.idleAt <= c.takeover {
		return
	}
	c.idleAt = c.takeover
	c.idle.Reset(time.Duration(c.takeover - c.now()))
}

// drain fails every pending call with the connection's cause; the
// connection has ended.
func (c *Conn) drain() {
	c.mu.Lock()
	cause := c.err
	fifo, auths := c.fifo.drain(), c.auths.drain()
	c.mu.Unlock()
	for _, p := range auths {
		if p.call != nil {
			p.call.Complete(nil, nil, cause)
		}
	}
	for _, p := range fifo {
		p.call.Complete(nil, nil, cause)
	}
}

// read dispatches frames as they arrive, until call is settled (call !=
// nil), or, with untilIdle, until nothing is pending after at least one
// read from the socket. It returns an error when the connection failed.
func (c *Conn) read(call Settled, untilIdle bool) error {
	r := &c.rd
	readOnce := false
	for {
		if err := c.dispatchBuffered(); err != nil {
			return err
		}
		if call != nil && call.Settled() {
			return nil
		}
		if untilIdle && readOnce {
			if c.wanted.Load() > 0 {
				return errYield
			}
			c.mu.Lock()
			idle := c.fifo.size+c.auths.size == 0
			c.mu.Unlock()
			if idle {
				return nil
			}
		}
		// Compact, then read more.
		if r.start > 0 {
			m := copy(r.buf, r.buf[r.start:])
			r.buf, r.start = r.buf[:m], 0
		}
		if renew(&r.deadline, c.readTimeout) {
			_ = c.nc.SetReadDeadline(r.deadline)
		}
		c.blockRead()
		n, err := c.nc.Read(r.buf[len(r.buf):cap(r.buf)])
		c.blocked.Store(false)
		if n > 0 {
			r.buf = r.buf[:len(r.buf)+n]
			c.lastRecv.Store(time.Now().UnixNano())
			readOnce = true
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return ErrTimeout
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
}

// dispatchBuffered dispatches every complete frame in the read buffer.
func (c *Conn) dispatchBuffered() error {
	r := &c.rd
	for {
		avail := r.buf[r.start:]
		if len(avail) < 4 {
			break
		}
		n := int(int32(be32(avail)))
		if n < proto.ReplyHeaderSize || n > c.maxPacket {
			return fmt.Errorf("reply frame length %d outside [%d, %d]", n, proto.ReplyHeaderSize, c.maxPacket)
		}
		if len(avail) < 4+n {
			if cap(r.buf) < 4+n { // grow for a large frame
				nb := make([]byte, len(avail), 4+n+64<<10)
				copy(nb, avail)
				r.buf, r.start = nb, 0
			}
			break
		}
		r.start += 4 + n
		r.d.Reset(avail[4 : 4+n])
		r.hdr.Decode(&r.d)
		body := avail[4+proto.ReplyHeaderSize : 4+n]
		if r.hdr.Zxid > c.lastZxid.Load() {
			c.lastZxid.Store(r.hdr.Zxid)
		}
		if err := c.dispatch(&r.hdr, body, &r.d, &r.ev); err != nil {
			return err
		}
	}
	return nil
}

// blockRead prepares the role's holder to block on the socket: it first
// writes the requests deferred while it dispatched replies (they waited for
// those replies; see shouldWrite), so that the pipeline stays full at the
// cost of one write per batch of replies, and no other goroutine is woken
// to write them.
func (c *Conn) blockRead() {
	c.mu.Lock()
	if c.queued > 0 && !c.writing && !c.closed {
		c.writing = true
		c.mu.Unlock()
		c.flush(directRounds)
		c.mu.Lock()
	}
	c.blocked.Store(true)
	if c.queued > 0 && !c.writing {
		c.wakeWriter() // queued during that write: bound its wait
	}
	c.mu.Unlock()
}

func (c *Conn) dispatch(hdr *proto.ReplyHeader, body []byte, d *proto.Decoder, ev *proto.WatcherEvent) error {
	switch hdr.Xid {
	case proto.XidNotification:
		ev.Decode(d)
		if err := d.Err(); err != nil {
			return fmt.Errorf("malformed notification: %w", err)
		}
		if c.cfg.Handler != nil {
			c.cfg.Handler.Notify(ev, hdr.Zxid)
		}
		return nil
	case proto.XidPing:
		return nil
	case proto.XidAuth:
		c.mu.Lock()
		p, ok := c.auths.pop()
		c.mu.Unlock()
		if ok && p.call != nil {
			p.call.Complete(hdr, body, nil)
		}
		if hdr.Err == proto.CodeAuthFailed {
			return ErrAuthFailed
		}
		return nil
	}
	c.mu.Lock()
	p, ok := c.fifo.pop()
	c.mu.Unlock()
	if !ok || p.xid != hdr.Xid {
		err := fmt.Errorf("reply xid %d does not match the oldest request (xid %d)", hdr.Xid, p.xid)
		if ok {
			c.fail(err)
			p.call.Complete(nil, nil, err)
		}
		return err
	}
	p.call.Complete(hdr, body, nil)
	if hdr.Err == proto.CodeSessionClosedRequireSASL {
		return ErrSASLRequired // the server closes the connection after it
	}
	return nil
}
