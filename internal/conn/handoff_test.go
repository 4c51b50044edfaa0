package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// countingConn counts the client's writes.
type countingConn struct {
	net.Conn
	writes atomic.Int32
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// gatedServer answers requests in order, each only when the test sends on
// gate, and reports every request it reads on got.
func gatedServer(t *testing.T, gate <-chan struct{}, got chan<- int32) string {
	quit := make(chan struct{})
	defer t.Cleanup(func() { close(quit) }) // runs before fakeServer's wait
	return fakeServer(t, connectResp(3000, true), func(nc net.Conn) {
		for {
			h, err := readRequest(nc)
			if err != nil {
				return
			}
			select {
			case got <- h.Xid:
			case <-quit:
				return
			}
			if h.Xid == proto.XidPing {
				reply(nc, h.Xid, proto.CodeOK, nil)
				continue
			}
			select {
			case <-gate:
			case <-quit:
				return
			}
			reply(nc, h.Xid, proto.CodeOK, nil)
		}
	})
}

func dialCounting(t *testing.T, addr string) (*Conn, *countingConn) {
	t.Helper()
	var cc *countingConn
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := Dial(ctx, Config{
		Addr:    addr,
		Connect: proto.ConnectRequest{TimeoutMs: 3000},
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			nc, err := d.DialContext(ctx, network, addr)
			if err == nil {
				cc = &countingConn{Conn: nc}
				return cc, nil
			}
			return nil, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, cc
}

// Requests sent while one is in flight wait for it and go out together:
// by Flush (a waiter about to block) here.
func TestPipelinedRequestsBatchUntilFlush(t *testing.T) {
	gate, got := make(chan struct{}, 100), make(chan int32, 100)
	c, cc := dialCounting(t, gatedServer(t, gate, got))
	base := cc.writes.Load() // the handshake
	first := newResult()
	if err := c.Send(proto.OpSync, nil, first); err != nil {
		t.Fatal(err)
	}
	<-got // in flight, unanswered
	rs := make([]*result, 50)
	for i := range rs {
		rs[i] = newResult()
		if err := c.Send(proto.OpSync, nil, rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if n := cc.writes.Load() - base; n != 1 {
		t.Fatalf("%d writes with one request in flight, want 1 (the rest waits)", n)
	}
	c.Flush()
	if n := cc.writes.Load() - base; n != 2 {
		t.Fatalf("%d writes after Flush, want 2 (one for the 50 queued)", n)
	}
	for range 51 {
		gate <- struct{}{}
	}
	for _, r := range append(rs, first) {
		if r.wait(t).err != nil {
			t.Fatal(r.err)
		}
	}
}

// Deferred requests nobody flushes are written by the writer goroutine once
// the last reply in flight arrived: no timer, no stall.
func TestDeferredRequestsWrittenWhenNothingInFlight(t *testing.T) {
	gate, got := make(chan struct{}, 100), make(chan int32, 100)
	c, _ := dialCounting(t, gatedServer(t, gate, got))
	first := newResult()
	if err := c.Send(proto.OpSync, nil, first); err != nil {
		t.Fatal(err)
	}
	<-got
	second := newResult()
	if err := c.Send(proto.OpSync, nil, second); err != nil {
		t.Fatal(err)
	}
	select {
	case xid := <-got:
		t.Fatalf("request %d written while another was in flight", xid)
	case <-time.After(50 * time.Millisecond): // no write is the expected outcome
	}
	gate <- struct{}{}
	first.wait(t)
	gate <- struct{}{}
	if second.wait(t).err != nil {
		t.Fatal(second.err)
	}
}

// A synchronous request is written at once, even with replies in flight.
func TestSyncRequestWrittenAtOnce(t *testing.T) {
	gate, got := make(chan struct{}, 100), make(chan int32, 100)
	c, cc := dialCounting(t, gatedServer(t, gate, got))
	base := cc.writes.Load()
	first, second := newResult(), newResult()
	if err := c.Send(proto.OpSync, nil, first); err != nil {
		t.Fatal(err)
	}
	if err := c.SendSync(proto.OpSync, nil, second); err != nil {
		t.Fatal(err)
	}
	if n := cc.writes.Load() - base; n != 2 {
		t.Fatalf("%d writes, want 2", n)
	}
	gate <- struct{}{}
	gate <- struct{}{}
	first.wait(t)
	second.wait(t)
}

// Callers whose contexts keep ending do not keep a dead connection alive:
// the read deadline follows the last byte received, not the last request.
func TestBusySilentServerTimesOut(t *testing.T) {
	addr := fakeServer(t, connectResp(300, true), func(nc net.Conn) {
		io.Copy(io.Discard, nc) // reads everything, answers nothing
	})
	c := dial(t, addr)
	start := time.Now()
	for {
		if err := c.SendSync(proto.OpSync, nil, newResult()); err != nil {
			break
		}
		select {
		case <-c.Done():
		case <-time.After(20 * time.Millisecond):
			if time.Since(start) > 2*time.Second {
				t.Fatal("connection still alive 2s after the server went silent (read timeout 200ms)")
			}
			continue
		}
		break
	}
	if !errors.Is(c.Err(), ErrTimeout) {
		t.Errorf("cause = %v, want ErrTimeout", c.Err())
	}
}

// A reply over the reply limit fails only its call, with the sizes; the
// frame is skipped and the connection goes on.
func TestOversizedReplySkipped(t *testing.T) {
	addr := fakeServer(t, connectResp(3000, true), func(nc net.Conn) {
		for i := 0; ; i++ {
			h, err := readRequest(nc)
			if err != nil {
				return
			}
			if i == 0 {
				reply(nc, h.Xid, proto.CodeOK, make([]byte, 5000))
			} else {
				reply(nc, h.Xid, proto.CodeOK, []byte{1, 2, 3})
			}
		}
	})
	c, _, err := Dial(context.Background(), Config{Addr: addr, Connect: proto.ConnectRequest{TimeoutMs: 3000}, MaxReply: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big, small := newResult(), newResult()
	if err := c.Send(proto.OpGetData, nil, big); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(proto.OpGetData, nil, small); err != nil {
		t.Fatal(err)
	}
	c.Flush()
	var tooLarge *ReplyTooLargeError
	if !errors.As(big.wait(t).err, &tooLarge) || tooLarge.Limit != 1000 || tooLarge.Size != 5000+proto.ReplyHeaderSize {
		t.Fatalf("oversized reply: err %v, want ReplyTooLargeError{%d, 1000}", big.err, 5000+proto.ReplyHeaderSize)
	}
	if small.wait(t).err != nil || string(small.body) != "\x01\x02\x03" {
		t.Fatalf("next reply: %q, %v", small.body, small.err)
	}
	select {
	case <-c.Done():
		t.Fatalf("connection ended: %v", c.Err())
	default:
	}
}

// An auth-failed reply to no auth request of ours breaks the connection; it
// is no verdict on credentials (which would close the client for good).
func TestUnsolicitedAuthFailure(t *testing.T) {
	addr := fakeServer(t, connectResp(3000, true), func(nc net.Conn) {
		reply(nc, proto.XidAuth, proto.CodeAuthFailed, nil)
		io.Copy(io.Discard, nc)
	})
	c := dial(t, addr)
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("connection survived an unsolicited auth reply")
	}
	if errors.Is(c.Err(), ErrAuthFailed) || !errors.Is(c.Err(), ErrProtocol) {
		t.Errorf("cause = %v, want a protocol error, not ErrAuthFailed", c.Err())
	}
}

// A reply saying the session expired ends the connection with
// ErrSessionExpired, so that the client learns it lost its session even
// when the server keeps the connection open.
func TestSessionExpiredReplyEndsConnection(t *testing.T) {
	addr := fakeServer(t, connectResp(3000, true), func(nc net.Conn) {
		h, err := readRequest(nc)
		if err != nil {
			return
		}
		reply(nc, h.Xid, proto.CodeSessionExpired, nil)
		io.Copy(io.Discard, nc)
	})
	c := dial(t, addr)
	r := newResult()
	if err := c.Send(proto.OpSync, nil, r); err != nil {
		t.Fatal(err)
	}
	c.Flush()
	if got := r.wait(t); got.err != nil || got.hdr.Err != proto.CodeSessionExpired {
		t.Fatalf("the call got %v, %v; want the server's answer", got.hdr, got.err)
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("connection survived a session-expired reply")
	}
	if !errors.Is(c.Err(), ErrSessionExpired) {
		t.Errorf("cause = %v, want ErrSessionExpired", c.Err())
	}
}

// Closing fails every pending call, sent or queued, exactly once.
func TestCloseFailsPendingCalls(t *testing.T) {
	gate, got := make(chan struct{}), make(chan int32, 100)
	c, _ := dialCounting(t, gatedServer(t, gate, got))
	rs := make([]*result, 10)
	for i := range rs {
		rs[i] = newResult()
		if err := c.Send(proto.OpSync, nil, rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	for _, r := range rs {
		if !errors.Is(r.wait(t).err, ErrClosed) {
			t.Errorf("pending call: %v, want ErrClosed", r.err)
		}
	}
}

// A submitter is held back once maxQueued bytes wait behind a write the
// server does not take, and released with ErrClosed when the connection
// ends.
func TestBackpressure(t *testing.T) {
	// The server reads nothing after the handshake: the first write blocks.
	cfg, server := pipeConfig(60000, func(net.Conn) {})
	defer server.Close()
	c, _, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	go c.Send(proto.OpSync, nil, newResult()) // blocks in the write
	body := &proto.SetDataRequest{Path: "/x", Data: make([]byte, 64<<10)}
	held := make(chan error, 1)
	go func() {
		for {
			if err := c.Send(proto.OpSetData, body, newResult()); err != nil {
				held <- err
				return
			}
		}
	}()
	select {
	case err := <-held:
		t.Fatalf("Send returned %v while the server read nothing", err)
	case <-time.After(100 * time.Millisecond): // held back, as expected
	}
	c.mu.Lock()
	queued := len(c.wbuf)
	c.mu.Unlock()
	if queued > maxQueued+(64<<10)+64 {
		t.Errorf("%d bytes queued, bound %d", queued, maxQueued)
	}
	c.Close()
	if err := <-held; !errors.Is(err, ErrClosed) {
		t.Errorf("held Send: %v, want ErrClosed", err)
	}
}

// logCall records its Complete and Wake in a shared log.
type logCall struct {
	id  int
	log *[]string
}

func (l logCall) Complete(*proto.ReplyHeader, []byte, error) {
	*l.log = append(*l.log, fmt.Sprint("complete ", l.id))
}

func (l logCall) Wake() { *l.log = append(*l.log, fmt.Sprint("wake ", l.id)) }

// The reader records every buffered reply before it wakes any waiter, so
// that a waiter woken by the first finds the whole batch complete (one
// wake-up per batch), and wakes them in order; a frame left incomplete
// waits for its bytes.
func TestBufferedRepliesCompletedBeforeWaking(t *testing.T) {
	c := &Conn{maxReply: 1 << 10, log: slog.New(slog.DiscardHandler)}
	var log []string
	r := &reader{}
	for xid := int32(1); xid <= 3; xid++ {
		c.fifo.push(pending{xid, logCall{int(xid), &log}})
		c.inFlight++
		r.buf = append(r.buf, reply0(xid, proto.CodeOK, nil)...)
	}
	r.buf = r.buf[:len(r.buf)-1] // the third reply is not all there
	if err := c.dispatchBuffered(r); err != nil {
		t.Fatal(err)
	}
	want := []string{"complete 1", "complete 2", "wake 1", "wake 2"}
	if !slices.Equal(log, want) {
		t.Fatalf("first batch: %q, want %q", log, want)
	}
	r.buf = append(r.buf, reply0(3, proto.CodeOK, nil)[proto.ReplyHeaderSize+3:]...)
	log = log[:0]
	if err := c.dispatchBuffered(r); err != nil {
		t.Fatal(err)
	}
	if want := []string{"complete 3", "wake 3"}; !slices.Equal(log, want) {
		t.Fatalf("second batch: %q, want %q", log, want)
	}
	if c.inFlight != 0 || c.fifo.size != 0 {
		t.Fatalf("%d in flight, %d in the FIFO after every reply", c.inFlight, c.fifo.size)
	}
}

// A protocol error in the middle of a batch still wakes the calls the batch
// completed before it, and the one it failed.
func TestBatchWokenOnProtocolError(t *testing.T) {
	c := &Conn{maxReply: 1 << 10, log: slog.New(slog.DiscardHandler)}
	var log []string
	r := &reader{}
	c.fifo.push(pending{1, logCall{1, &log}})
	c.fifo.push(pending{2, logCall{2, &log}})
	c.inFlight = 2
	r.buf = append(reply0(1, proto.CodeOK, nil), reply0(7, proto.CodeOK, nil)...)
	if err := c.dispatchBuffered(r); !errors.Is(err, ErrProtocol) {
		t.Fatalf("got %v, want ErrProtocol", err)
	}
	want := []string{"complete 1", "complete 2", "wake 1", "wake 2"}
	if !slices.Equal(log, want) {
		t.Fatalf("%q, want %q", log, want)
	}
}
