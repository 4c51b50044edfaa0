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
// reader, or a caller waiting for its own reply. A synchronous caller that
// finds no one reading reads its reply itself (SendSync, ReadUntil): the
// reply then wakes the very goroutine that waits for it, as in a
// single-threaded client, instead of waking a reader goroutine that must in
// turn wake the caller (on a small machine that second wake-up, a thread
// woken on another CPU, costs more than the round trip).
//
// The background reader takes the role whenever requests are pending and
// no one reads, and, after idleTakeover of silence, to catch notifications
// and failures while the connection is idle. It gives the role up as soon
// as nothing is pending, so that the next synchronous call finds it free.

// idleTakeover is how long the read role may stay free before the
// background reader takes it: long enough to span the gap between one
// synchronous call and the next, short enough not to delay a notification
// noticeably.
const idleTakeover = time.Millisecond

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

// buffered reports whether a whole frame header's worth is waiting.
func (r *reader) buffered() bool { return len(r.buf)-r.start >= 4 }

func (c *Conn) wakeReader() {
	select {
	case c.readWake <- struct{}{}:
	default:
	}
}

// backgroundReader reads whenever the role is free and reading is needed.
func (c *Conn) backgroundReader() {
	defer c.wg.Done()
	for {
		select {
		case <-c.done:
			c.drain()
			return
		case <-c.readWake:
		case <-c.idle.C:
		}
		c.mu.Lock()
		if c.reading || c.closed {
			c.mu.Unlock()
			continue
		}
		c.reading, c.grace = true, false
		c.mu.Unlock()
		err := c.read(nil, true)
		switch {
		case errors.Is(err, errYield):
			c.yield()
		case err != nil:
			c.fail(err)
			c.drain()
			c.release()
		default:
			c.release()
		}
	}
}

// errYield stops the background reader's read: a future's waiter wants the
// role.
var errYield = errors.New("yield the read role")

// ReadUntil reads as the holder of the read role (granted by SendSync)
// until call is settled or ctx ends, then gives the role up. Whatever else
// arrives meanwhile is dispatched as usual.
func (c *Conn) ReadUntil(ctx context.Context, call Settled) {
	c.readUntil(ctx, call, false)
}

// TryRead takes the read role if it is free, for a goroutine about to wait
// for a future's reply; it then must call ReadFuture.
func (c *Conn) TryRead() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reading || c.closed {
		return false
	}
	c.reading, c.grace = true, false
	return true
}

// ReadFuture is ReadUntil for a future's waiter: on leaving it keeps the role
// free for a short grace period instead of waking the background reader,
// since the waiter is likely to wait for the next future at once (a
// pipeline that waits for its oldest request). A waiter that finds the
// role held registers with WantRead; the holder then yields the role
// (RoleFree) after its current batch.
func (c *Conn) ReadFuture(ctx context.Context, call Settled) {
	c.readUntil(ctx, call, true)
}

// WantRead registers (+1) or unregisters (-1) a future's waiter that wants
// the read role.
func (c *Conn) WantRead(delta int32) { c.wanted.Add(delta) }

// RoleFree receives when the read role was yielded to waiting futures;
// the receiver tries TryRead.
func (c *Conn) RoleFree() <-chan struct{} { return c.roleFree }

func (c *Conn) readUntil(ctx context.Context, call Settled, grace bool) {
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
	if grace {
		c.releaseGrace()
	} else {
		c.release()
	}
}

// interrupt wakes the role holder's Read when its context ends (only the
// holder arms it, so one reusable channel serves every ReadUntil).
func (c *Conn) interrupt() {
	_ = c.nc.SetReadDeadline(time.Unix(1, 0))
	c.interrupted <- struct{}{}
}

// release gives the read role up, waking the background reader if anything
// still waits to be read, else arming its idle takeover.
func (c *Conn) release() {
	c.mu.Lock()
	needed := c.fifo.size+c.auths.size > 0 || c.rd.buffered() || c.closed
	c.reading, c.grace = false, false
	if needed {
		c.wakeReader()
	} else {
		c.idle.Reset(idleTakeover)
	}
	c.mu.Unlock()
}

// releaseGrace gives the role up for a future's waiter that will likely
// take it again at once: nobody is woken, and the background reader takes
// over after graceTakeover unless someone reads first.
func (c *Conn) releaseGrace() {
	c.mu.Lock()
	c.reading = false
	if c.closed {
		c.wakeReader()
	} else {
		c.grace = true
		c.idle.Reset(graceTakeover)
	}
	c.mu.Unlock()
}

// yield gives the role to a waiting future (the background reader calls it
// when WantRead says one waits): the role is offered on roleFree, and the
// background reader takes it back after graceTakeover if no one does.
func (c *Conn) yield() {
	c.mu.Lock()
	c.reading = false
	c.grace = true
	c.idle.Reset(graceTakeover)
	c.mu.Unlock()
	select {
	case c.roleFree <- struct{}{}:
	default:
	}
}

// graceTakeover bounds how long replies may wait unread while the role is
// kept free for a future's waiter.
const graceTakeover = 200 * time.Microsecond

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
		// Compact, then read more. Moving the deadline costs a timer
		// update: do it only when a quarter of the read timeout passed.
		if r.start > 0 {
			m := copy(r.buf, r.buf[r.start:])
			r.buf, r.start = r.buf[:m], 0
		}
		if now := time.Now(); now.Add(c.readTimeout).Sub(r.deadline) > c.readTimeout/4 {
			r.deadline = now.Add(c.readTimeout)
			_ = c.nc.SetReadDeadline(r.deadline)
		}
		n, err := c.nc.Read(r.buf[len(r.buf):cap(r.buf)])
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
	dispatched := false
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
		dispatched = true
	}
	if dispatched {
		// Replies shrank what is in flight: queued requests may be due.
		c.mu.Lock()
		due := c.queued > 0 && !c.writing && c.shouldWrite()
		c.mu.Unlock()
		if due {
			c.wakeWriter()
		}
	}
	return nil
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
	return nil
}
