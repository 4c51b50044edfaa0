package conn

import (
	"fmt"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// maxQueued bounds the bytes of requests queued and not yet written: a
// submitter finding more waits for the write in progress (backpressure), or
// writes them itself. It bounds memory, not throughput: a write of this
// size is far beyond what makes system calls cheap.
const maxQueued = 1 << 20

// Send queues a request, op with body (nil for none), under the next xid;
// call is completed by the reply or by the connection's failure. On error
// nothing was queued and call is not completed. A request is written at
// once when nothing is in flight; otherwise it waits for the replies in
// flight (see package doc), or a Flush.
func (c *Conn) Send(op proto.Op, body proto.Record, call Call) error {
	return c.send(0, op, body, call, false)
}

// SendSync is Send for a caller about to block on the reply: the request is
// written at once unless a write is in progress, which then carries it.
func (c *Conn) SendSync(op proto.Op, body proto.Record, call Call) error {
	return c.send(0, op, body, call, true)
}

// SendXid queues a request with a special xid, written at once:
// proto.XidSetWatches (in the FIFO, like a normal request), proto.XidAuth
// (answered out of band, in order among auth requests) or proto.XidPing
// (call must be nil).
func (c *Conn) SendXid(xid int32, op proto.Op, body proto.Record, call Call) error {
	return c.send(xid, op, body, call, true)
}

// Flush writes the queued requests unless a write is in progress: a caller
// about to block on a reply calls it, so that what it queued is not left
// waiting for replies it does not wait for.
func (c *Conn) Flush() {
	c.mu.Lock()
	if len(c.wbuf) > 0 && !c.writing && !c.closed {
		c.write()
	}
	c.mu.Unlock()
}

func (c *Conn) send(xid int32, op proto.Op, body proto.Record, call Call, now bool) error {
	c.mu.Lock()
	for len(c.wbuf) >= maxQueued && c.writing && !c.closed {
		c.room.Wait() // backpressure: the write in progress makes room
	}
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	start := len(c.wbuf)
	b := proto.AppendInt32(c.wbuf, 0)
	b = proto.AppendInt32(b, 0) // the xid, once the request fits
	b = proto.AppendInt32(b, int32(op))
	if body != nil {
		b = body.Append(b)
	}
	if len(b)-start-4 > c.maxPacket {
		c.wbuf = b[:start]
		c.mu.Unlock()
		return ErrTooLarge
	}
	if xid == 0 {
		c.xid++
		if c.xid <= 0 { // wrap from 2^31-1 back to 1
			c.xid = 1
		}
		xid = c.xid
	}
	putLen(b[start:])
	b[start+4], b[start+5], b[start+6], b[start+7] = byte(xid>>24), byte(xid>>16), byte(xid>>8), byte(xid)
	c.wbuf = b
	c.queued++
	switch xid {
	case proto.XidPing:
	case proto.XidAuth:
		c.auths.push(pending{xid, call})
	default:
		c.fifo.push(pending{xid, call})
	}
	if !c.writing && (now || c.inFlight == 0 || len(c.wbuf) >= maxQueued) {
		c.write()
	}
	c.mu.Unlock()
	return nil
}

// write writes the queued requests until none is left, as the writing
// goroutine (c.mu held on entry and on return, released while writing):
// whatever is queued while one write is in the kernel goes out with the
// next.
func (c *Conn) write() {
	c.writing = true
	for len(c.wbuf) > 0 && !c.closed {
		buf := c.wbuf
		c.inFlight += c.queued
		c.wbuf, c.queued, c.spare = c.spare[:0], 0, nil
		c.mu.Unlock()
		_, err := c.nc.Write(buf)
		c.lastSend.Store(time.Now().UnixNano())
		if cap(buf) > 2*maxQueued { // do not hold on to a huge request's buffer
			buf = nil
		}
		c.mu.Lock()
		c.spare = buf[:0]
		c.room.Broadcast()
		if err != nil {
			c.mu.Unlock()
			c.fail(fmt.Errorf("write: %w", err))
			c.mu.Lock()
		}
	}
	c.writing = false
}

// writeLoop writes requests stranded with nothing in flight (the reader
// wakes it: the reader itself never writes, so that it never stops reading
// while the server waits for it to read), and sends a ping when nothing was
// written for pingInterval.
func (c *Conn) writeLoop() {
	defer c.wg.Done()
	// The timer fires when the ping would be due if nothing else were
	// sent; sends meanwhile only push the due time back. (A ticker at half
	// the interval sent pings up to half an interval late, leaving the
	// server's answer a sixth of the session timeout before the read
	// deadline instead of a third.)
	timer := time.NewTimer(c.pingInterval)
	defer timer.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
			c.Flush()
		case now := <-timer.C:
			idle := now.Sub(time.Unix(0, c.lastSend.Load()))
			if idle < c.pingInterval {
				timer.Reset(c.pingInterval - idle)
				continue
			}
			_ = c.SendXid(proto.XidPing, proto.OpPing, nil, nil)
			timer.Reset(c.pingInterval)
		}
	}
}

func (c *Conn) wakeWriter() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}
