package faults

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeServer stands in for ZooKeeper where a real server cannot be made to
// misbehave: it drops every connection, sends replies nobody asked for, or
// malformed and absurd frames. It speaks the wire format by hand (from the
// protocol's specification, not from package proto), so that it tests the
// client against the protocol rather than against its own codec.
type fakeServer struct {
	ln       net.Listener
	accepted atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]bool
	closed   bool
}

// newFakeServer listens on a loopback port and runs handle for each
// connection on a goroutine of its own (the connection is closed when it
// returns). t.Cleanup stops it and waits for every handler.
func newFakeServer(t testing.TB, handle func(n int64, fc *fakeConn)) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln, conns: make(map[net.Conn]bool)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			n := s.accepted.Add(1)
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				nc.Close()
				return
			}
			s.conns[nc] = true
			s.wg.Add(1)
			s.mu.Unlock()
			go func() {
				defer s.wg.Done()
				defer func() {
					s.mu.Lock()
					delete(s.conns, nc)
					s.mu.Unlock()
					nc.Close()
				}()
				handle(n, &fakeConn{Conn: nc})
			}()
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *fakeServer) Addr() string { return s.ln.Addr().String() }

func (s *fakeServer) close() {
	s.mu.Lock()
	s.closed = true
	for nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

// fakeConn is one client connection to a fakeServer.
type fakeConn struct{ net.Conn }

// connectRequest is the fields of a ConnectRequest the fake server uses.
type connectRequest struct {
	timeoutMs int32
	sessionID int64
}

// readFrame reads one length-prefixed frame.
func (c *fakeConn) readFrame() ([]byte, error) {
	var n int32
	if err := binary.Read(c, binary.BigEndian, &n); err != nil {
		return nil, err
	}
	if n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("fake server: frame length %d", n)
	}
	b := make([]byte, n)
	_, err := io.ReadFull(c, b)
	return b, err
}

// writeFrame writes b with its length prefix.
func (c *fakeConn) writeFrame(b []byte) error {
	_, err := c.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
	if err == nil {
		_, err = c.Write(b)
	}
	return err
}

// readConnect reads the ConnectRequest.
func (c *fakeConn) readConnect() (connectRequest, error) {
	b, err := c.readFrame()
	if err != nil {
		return connectRequest{}, err
	}
	// protocolVersion int, lastZxidSeen long, timeOut int, sessionId long, passwd buffer
	if len(b) < 4+8+4+8+4 {
		return connectRequest{}, errors.New("fake server: short ConnectRequest")
	}
	return connectRequest{
		timeoutMs: int32(binary.BigEndian.Uint32(b[12:])),
		sessionID: int64(binary.BigEndian.Uint64(b[16:])),
	}, nil
}

// answerConnect answers the ConnectRequest: session id with timeoutMs, or
// "session expired" when timeoutMs is 0.
func (c *fakeConn) answerConnect(id int64, timeoutMs int32) error {
	if timeoutMs <= 0 {
		id = 0
	}
	resp := binary.BigEndian.AppendUint32(nil, 0) // protocolVersion
	resp = binary.BigEndian.AppendUint32(resp, uint32(timeoutMs))
	resp = binary.BigEndian.AppendUint64(resp, uint64(id))
	resp = binary.BigEndian.AppendUint32(resp, 16)
	resp = append(resp, make([]byte, 16)...) // passwd
	resp = append(resp, 0)                   // readOnly
	return c.writeFrame(resp)
}

// handshake reads the ConnectRequest and grants it: the client's own
// session when it resumes one, else session id.
func (c *fakeConn) handshake(id int64) (connectRequest, error) {
	req, err := c.readConnect()
	if err != nil {
		return req, err
	}
	if req.sessionID != 0 {
		id = req.sessionID
	}
	return req, c.answerConnect(id, req.timeoutMs)
}

// request is one request read by the fake server.
type request struct {
	xid, op int32
	body    []byte
}

// readRequest reads the next request.
func (c *fakeConn) readRequest() (request, error) {
	b, err := c.readFrame()
	if err != nil {
		return request{}, err
	}
	if len(b) < 8 {
		return request{}, errors.New("fake server: short request header")
	}
	return request{int32(binary.BigEndian.Uint32(b)), int32(binary.BigEndian.Uint32(b[4:])), b[8:]}, nil
}

// replyFrame is a reply: header (xid, zxid, err) and body.
func replyFrame(xid int32, zxid int64, code int32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(xid))
	b = binary.BigEndian.AppendUint64(b, uint64(zxid))
	b = binary.BigEndian.AppendUint32(b, uint32(code))
	return append(b, body...)
}

// reply writes a reply.
func (c *fakeConn) reply(xid int32, zxid int64, code int32, body []byte) error {
	return c.writeFrame(replyFrame(xid, zxid, code, body))
}

// Wire constants the fake server needs (PROTOCOL.md).
const (
	xidNotification = -1
	xidPing         = -2
	xidAuth         = -4
	opGetData       = 4
	opCloseSession  = -11
	codeAuthFailed  = -115
)

// serve answers pings and closeSession, and passes every other request to
// answer (nil: leave it unanswered), until the connection ends.
func (c *fakeConn) serve(answer func(r request) error) {
	for {
		r, err := c.readRequest()
		if err != nil {
			return
		}
		switch {
		case r.xid == xidPing:
			err = c.reply(xidPing, 0, 0, nil)
		case r.op == opCloseSession:
			c.reply(r.xid, 1, 0, nil)
			return
		case answer != nil:
			err = answer(r)
		}
		if err != nil {
			return
		}
	}
}

// statBytes is an encoded Stat (all zero but the data length).
func statBytes(dataLength int32) []byte {
	b := make([]byte, 8*4+4*3+8) // czxid, mzxid, ctime, mtime; version, cversion, aversion; ephemeralOwner
	b = binary.BigEndian.AppendUint32(b, uint32(dataLength))
	b = binary.BigEndian.AppendUint32(b, 0) // numChildren
	return binary.BigEndian.AppendUint64(b, 0)
}
