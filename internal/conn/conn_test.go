package conn

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/proto"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeServer accepts one connection, answers the handshake with resp (raw
// body bytes), then runs script on the connection.
func fakeServer(t *testing.T, resp []byte, script func(nc net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		if _, err := readBody(nc); err != nil {
			return
		}
		frame := proto.AppendInt32(nil, int32(len(resp)))
		if _, err := nc.Write(append(frame, resp...)); err != nil {
			return
		}
		script(nc)
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func readBody(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	body := make([]byte, be32(hdr[:]))
	_, err := io.ReadFull(r, body)
	return body, err
}

// readRequest reads one request frame and returns its header.
func readRequest(r io.Reader) (proto.RequestHeader, error) {
	var h proto.RequestHeader
	body, err := readBody(r)
	if err == nil {
		h.Decode(proto.NewDecoder(body))
	}
	return h, err
}

func connectResp(timeoutMs int32, withReadOnly bool) []byte {
	r := proto.ConnectResponse{TimeoutMs: timeoutMs, SessionID: 42, Passwd: make([]byte, 16)}
	b := r.Append(nil)
	if !withReadOnly {
		b = b[:len(b)-1]
	}
	return b
}

type result struct {
	hdr  proto.ReplyHeader
	body []byte
	err  error
	done chan struct{}
}

func newResult() *result { return &result{done: make(chan struct{})} }

func (r *result) Complete(hdr *proto.ReplyHeader, body []byte, err error) {
	if hdr != nil {
		r.hdr = *hdr
	}
	r.body, r.err = append([]byte(nil), body...), err
}

func (r *result) Wake() { close(r.done) }

func (r *result) wait(t *testing.T) *result {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("call not completed")
	}
	return r
}

func dial(t *testing.T, addr string) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := Dial(ctx, Config{Addr: addr, Connect: proto.ConnectRequest{TimeoutMs: 3000}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// reply writes a reply frame for xid with body.
func reply(nc net.Conn, xid int32, code proto.Code, body []byte) {
	b := proto.AppendInt32(nil, int32(proto.ReplyHeaderSize+len(body)))
	h := proto.ReplyHeader{Xid: xid, Zxid: 7, Err: code}
	b = append(h.Append(b), body...)
	nc.Write(b)
}

func TestOldServerHandshakeAndFIFO(t *testing.T) {
	addr := fakeServer(t, connectResp(3000, false), func(nc net.Conn) {
		// Answer two requests in order.
		for i := 0; i < 2; i++ {
			h, err := readRequest(nc)
			if err != nil {
				return
			}
			reply(nc, h.Xid, proto.CodeOK, []byte{byte(i)})
		}
		io.Copy(io.Discard, nc)
	})
	c := dial(t, addr)
	if c.Session().SessionID != 42 || c.Session().ReadOnly {
		t.Fatalf("session %+v", c.Session())
	}
	r1, r2 := newResult(), newResult()
	if err := c.Send(proto.OpSync, nil, r1); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(proto.OpSync, nil, r2); err != nil {
		t.Fatal(err)
	}
	if r := r1.wait(t); r.err != nil || r.body[0] != 0 || r.hdr.Xid != 1 {
		t.Errorf("first: %+v", r)
	}
	if r := r2.wait(t); r.err != nil || r.body[0] != 1 || r.hdr.Xid != 2 {
		t.Errorf("second: %+v", r)
	}
	if c.LastZxid() != 7 {
		t.Errorf("LastZxid = %d", c.LastZxid())
	}
}

func TestExpiredHandshake(t *testing.T) {
	addr := fakeServer(t, connectResp(0, true), func(net.Conn) {})
	_, _, err := Dial(context.Background(), Config{Addr: addr})
	if !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("Dial = %v, want ErrSessionExpired", err)
	}
}

func TestMalformedReplies(t *testing.T) {
	cases := map[string]func(nc net.Conn, xid int32){
		"wrong xid":       func(nc net.Conn, xid int32) { reply(nc, xid+5, proto.CodeOK, nil) },
		"huge frame":      func(nc net.Conn, xid int32) { nc.Write(proto.AppendInt32(nil, 1<<30)) },
		"negative frame":  func(nc net.Conn, xid int32) { nc.Write(proto.AppendInt32(nil, -5)) },
		"short frame":     func(nc net.Conn, xid int32) { nc.Write(append(proto.AppendInt32(nil, 3), 1, 2, 3)) },
		"bad notify":      func(nc net.Conn, xid int32) { reply(nc, proto.XidNotification, proto.CodeOK, []byte{1, 2}) },
		"eof mid-frame":   func(nc net.Conn, xid int32) { nc.Write(append(proto.AppendInt32(nil, 100), 1, 2)); nc.Close() },
		"unsolicited xid": func(nc net.Conn, xid int32) { reply(nc, xid, proto.CodeOK, nil); reply(nc, xid+1, proto.CodeOK, nil) },
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			addr := fakeServer(t, connectResp(3000, true), func(nc net.Conn) {
				h, err := readRequest(nc)
				if err != nil {
					return
				}
				bad(nc, h.Xid)
				io.Copy(io.Discard, nc)
			})
			c := dial(t, addr)
			r := newResult()
			if err := c.Send(proto.OpSync, nil, r); err != nil {
				t.Fatal(err)
			}
			r.wait(t)
			select {
			case <-c.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("connection survived a malformed reply")
			}
			if name != "unsolicited xid" && r.err == nil {
				t.Errorf("call completed without error: %+v", r)
			}
			if c.Err() == nil {
				t.Error("no cause recorded")
			}
			if err := c.Send(proto.OpSync, nil, newResult()); !errors.Is(err, ErrClosed) {
				t.Errorf("Send after failure: %v", err)
			}
		})
	}
}

func TestTooLargeRequestSendsNothing(t *testing.T) {
	got := make(chan int, 1)
	addr := fakeServer(t, connectResp(3000, true), func(nc net.Conn) {
		body, err := readBody(nc)
		if err != nil {
			return
		}
		got <- len(body)
		var h proto.RequestHeader
		h.Decode(proto.NewDecoder(body))
		reply(nc, h.Xid, proto.CodeOK, nil)
		io.Copy(io.Discard, nc)
	})
	c := dial(t, addr)
	big := &proto.SetDataRequest{Path: "/x", Data: make([]byte, proto.MaxPacket)}
	if err := c.Send(proto.OpSetData, big, newResult()); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Send = %v, want ErrTooLarge", err)
	}
	r := newResult()
	if err := c.Send(proto.OpSync, &proto.PathRequest{Path: "/ok"}, r); err != nil {
		t.Fatal(err)
	}
	if r.wait(t).err != nil {
		t.Fatal(r.err)
	}
	if n := <-got; n > 100 {
		t.Errorf("server first received a %d-byte request: the oversized one leaked", n)
	}
}

func TestSilentServerTimesOut(t *testing.T) {
	addr := fakeServer(t, connectResp(300, true), func(nc net.Conn) {
		io.Copy(io.Discard, nc) // never answers, not even pings
	})
	c := dial(t, addr)
	r := newResult()
	if err := c.Send(proto.OpSync, nil, r); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if r.wait(t).err == nil {
		t.Fatal("call to a silent server succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v to notice a silent server (read timeout 200ms)", d)
	}
	if !errors.Is(c.Err(), ErrTimeout) && !strings.Contains(c.Err().Error(), "timeout") {
		t.Errorf("cause = %v", c.Err())
	}
}

// FuzzServerBytes feeds arbitrary bytes as the server's side of a
// connection, after a valid handshake: the reader must never panic, must
// fail or complete every call, and must not allocate beyond the frame limit.
func FuzzServerBytes(f *testing.F) {
	ok := reply0(1, proto.CodeOK, (&proto.GetDataResponse{Data: []byte("x")}).Append(nil))
	f.Add(ok)
	f.Add(append(reply0(-1, proto.CodeOK, (&proto.WatcherEvent{Type: 3, State: 3, Path: "/a"}).Append(nil)), ok...))
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 1})
	f.Add(reply0(-4, proto.CodeAuthFailed, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, server := pipeConfig(3000, func(server net.Conn) {
			io.CopyN(io.Discard, server, 1) // the request's first byte: sent
			server.Write(data)
			server.Close()
		})
		defer server.Close()
		cfg.Handler = nopHandler{}
		c, _, err := Dial(context.Background(), cfg)
		if err != nil {
			return
		}
		defer c.Close()
		r := newResult()
		if err := c.Send(proto.OpGetData, &proto.PathWatchRequest{Path: "/a"}, r); err != nil {
			return
		}
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			t.Fatal("call neither completed nor failed")
		}
	})
}

// pipeConfig returns a Config whose connection is one end of a pipe, and
// the server's end: serve runs there after the handshake.
func pipeConfig(timeoutMs int32, serve func(server net.Conn)) (Config, net.Conn) {
	client, server := net.Pipe()
	go func() {
		if _, err := readBody(server); err != nil {
			return
		}
		resp := connectResp(timeoutMs, true)
		if _, err := server.Write(append(proto.AppendInt32(nil, int32(len(resp))), resp...)); err != nil {
			return
		}
		serve(server)
	}()
	return Config{
		Addr:    "pipe",
		Dial:    func(context.Context, string, string) (net.Conn, error) { return client, nil },
		Connect: proto.ConnectRequest{TimeoutMs: timeoutMs},
	}, server
}

type nopHandler struct{}

func (nopHandler) Notify(*proto.WatcherEventView, int64) {}

func reply0(xid int32, code proto.Code, body []byte) []byte {
	b := proto.AppendInt32(nil, int32(proto.ReplyHeaderSize+len(body)))
	h := proto.ReplyHeader{Xid: xid, Zxid: 1, Err: code}
	return append(h.Append(b), body...)
}

func (r *result) Settled() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}
