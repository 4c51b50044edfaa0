package conn

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// reader is the read state, owned by the reader goroutine.
type reader struct {
	buf   []byte // buf[start:] is unread
	start int
	skip  int // bytes of an oversized frame still to discard
	hdr   proto.ReplyHeader
	ev    proto.WatcherEventView
	d     proto.Decoder
	woken []Call // completed, to be woken once the buffered frames are done
}

// complete records a call's outcome; its waiter is woken with the rest of
// the batch (see Call).
func (r *reader) complete(call Call, hdr *proto.ReplyHeader, body []byte, err error) {
	if call == nil {
		return
	}
	call.Complete(hdr, body, err)
	r.woken = append(r.woken, call)
}

// wake wakes the waiters of the calls completed since the last wake.
func (r *reader) wake() {
	for i, call := range r.woken {
		call.Wake()
		r.woken[i] = nil
	}
	r.woken = r.woken[:0]
}

// readLoop is the reader goroutine: it reads and dispatches until the
// connection fails, then fails every pending call.
func (c *Conn) readLoop(leftover []byte) {
	defer c.wg.Done()
	r := &reader{buf: append(make([]byte, 0, 64<<10), leftover...)}
	err := c.read(r)
	c.fail(err)
	c.drain()
}

// read dispatches frames as they arrive until the connection fails, and
// returns the cause. The socket's read deadline is the last byte received
// plus the read timeout: it is set lazily, and moved only when it passes
// while bytes arrived meanwhile.
func (c *Conn) read(r *reader) error {
	_ = c.nc.SetReadDeadline(c.LastRecv().Add(c.readTimeout))
	for {
		if err := c.dispatchBuffered(r); err != nil {
			return err
		}
		if r.start > 0 { // compact
			m := copy(r.buf, r.buf[r.start:])
			r.buf, r.start = r.buf[:m], 0
		}
		c.mu.Lock()
		if c.inFlight == 0 && len(c.wbuf) > 0 && !c.writing {
			c.wakeWriter() // no reply will come to push these out
		}
		c.signalDrained() // the batch is woken: its waiters saw their replies
		c.mu.Unlock()
		n, err := c.nc.Read(r.buf[len(r.buf):cap(r.buf)])
		if n > 0 {
			c.lastRecv.Store(time.Now().UnixNano())
			r.buf = r.buf[:len(r.buf)+n]
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			last := c.LastRecv()
			if time.Since(last) < c.readTimeout {
				_ = c.nc.SetReadDeadline(last.Add(c.readTimeout))
				continue
			}
			return ErrTimeout
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		if c.isClosed() {
			return ErrClosed
		}
		return err
	}
}

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// dispatchBuffered dispatches every complete frame in the read buffer,
// discarding oversized ones, then wakes the waiters of the calls it
// completed: one wake-up per batch of buffered replies.
func (c *Conn) dispatchBuffered(r *reader) error {
	defer r.wake()
	for {
		avail := r.buf[r.start:]
		if r.skip > 0 {
			n := min(r.skip, len(avail))
			r.start += n
			r.skip -= n
			if r.skip > 0 {
				return nil
			}
			continue
		}
		if len(avail) < 4 {
			return nil
		}
		n := int(int32(be32(avail)))
		if n < proto.ReplyHeaderSize {
			return fmt.Errorf("%w: reply frame length %d below the %d-byte header", ErrProtocol, n, proto.ReplyHeaderSize)
		}
		if n > c.maxReply {
			if len(avail) < 4+proto.ReplyHeaderSize {
				return nil
			}
			r.d.Reset(avail[4 : 4+proto.ReplyHeaderSize])
			r.hdr.Decode(&r.d)
			r.start += 4 + proto.ReplyHeaderSize
			r.skip = n - proto.ReplyHeaderSize
			if err := c.refuse(r, n); err != nil {
				return err
			}
			continue
		}
		if len(avail) < 4+n {
			if cap(r.buf) < 4+n { // grow for a large frame
				nb := make([]byte, len(avail), 4+n+64<<10)
				copy(nb, avail)
				r.buf, r.start = nb, 0
			}
			return nil
		}
		r.start += 4 + n
		r.d.Reset(avail[4 : 4+n])
		r.hdr.Decode(&r.d)
		if !c.answered.Load() {
			c.answered.Store(true)
		}
		if r.hdr.Zxid > c.lastZxid.Load() {
			c.lastZxid.Store(r.hdr.Zxid)
		}
		if err := c.dispatch(r, avail[4+proto.ReplyHeaderSize:4+n]); err != nil {
			return err
		}
	}
}

// refuse fails the call a frame over the reply limit answers; the frame is
// skipped and the connection kept.
func (c *Conn) refuse(r *reader, size int) error {
	hdr := &r.hdr
	tooLarge := &ReplyTooLargeError{Size: size, Limit: c.maxReply}
	switch hdr.Xid {
	case proto.XidNotification:
		c.log.Warn("kazoo: notification over the reply limit skipped", "size", size, "limit", c.maxReply)
		return nil
	case proto.XidPing, proto.XidAuth:
		return fmt.Errorf("%w: %w", ErrProtocol, tooLarge) // never that large
	}
	p, err := c.popReply(r, hdr.Xid)
	if err != nil {
		return err
	}
	r.complete(p.call, nil, nil, tooLarge)
	return nil
}

// popReply takes the request the reply with xid answers off the FIFO.
func (c *Conn) popReply(r *reader, xid int32) (pending, error) {
	c.mu.Lock()
	p, ok := c.fifo.pop()
	if ok {
		c.inFlight--
	}
	c.mu.Unlock()
	if !ok {
		return p, fmt.Errorf("%w: reply xid %d to no request", ErrProtocol, xid)
	}
	if p.xid != xid {
		err := fmt.Errorf("%w: reply xid %d does not match the oldest request (xid %d)", ErrProtocol, xid, p.xid)
		r.complete(p.call, nil, nil, err)
		return p, err
	}
	return p, nil
}

func (c *Conn) dispatch(r *reader, body []byte) error {
	hdr, d, ev := &r.hdr, &r.d, &r.ev
	switch hdr.Xid {
	case proto.XidNotification:
		ev.Decode(d)
		if err := d.Err(); err != nil {
			return fmt.Errorf("%w: malformed notification: %w", ErrProtocol, err)
		}
		if c.cfg.Handler != nil {
			c.cfg.Handler.Notify(ev, hdr.Zxid)
		}
		return nil
	case proto.XidPing:
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
		if hdr.Err == proto.CodeSessionExpired {
			return ErrSessionExpired // as for a request (see below)
		}
		return nil
	case proto.XidAuth:
		c.mu.Lock()
		p, ok := c.auths.pop()
		if ok {
			c.inFlight--
		}
		c.mu.Unlock()
		if !ok {
			// Not an answer to us: a broken connection, not a verdict
			// on our credentials.
			return fmt.Errorf("%w: auth reply (%v) to no auth request", ErrProtocol, hdr.Err)
		}
		r.complete(p.call, hdr, body, nil)
		if hdr.Err == proto.CodeAuthFailed {
			return ErrAuthFailed
		}
		return nil
	}
	p, err := c.popReply(r, hdr.Xid)
	if err != nil {
		return err
	}
	r.complete(p.call, hdr, body, nil)
	switch hdr.Err {
	case proto.CodeSessionClosedRequireSASL:
		return ErrSASLRequired // the server closes the connection after it
	case proto.CodeSessionExpired:
		// The session is gone, though this server kept the connection
		// open (seen on ensembles after an expiry): nothing more can be
		// done on it, and the client must learn it lost its session.
		return ErrSessionExpired
	}
	return nil
}
