package goclients

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/kazoo-go/kazoo/bench/internal/workload"
	"github.com/kazoo-go/kazoo/internal/rawclient"
	"github.com/kazoo-go/kazoo/proto"
)

// Handoff is the minimal client given the one thing a client that serves
// several goroutines, watches and pings needs: a goroutine of its own that
// reads the socket and hands each reply to the caller (over a channel). It
// runs only the Get workloads, and only in sidebyside, where it measures
// what that hand-off costs on this machine, whatever the client built
// around it: the floor under the CPU of any such client.
const Handoff = "handoff"

// handoff writes the way raw does (the requests that replace answered ones
// go out together once no answered reply is waiting), and reads on its
// reader goroutine, which decodes each reply, copies its data and sends it
// on a channel with room for every request in flight.
type handoff struct {
	c       *rawclient.Conn // the caller writes with it; it never reads again
	nc      net.Conn        // read by the reader goroutine
	replies chan handoffReply
}

type handoffReply struct {
	xid  int32
	code proto.Code
	data []byte
	err  error
}

// maxHandoffInflight bounds the requests in flight, so that the reader
// never blocks on the channel.
const maxHandoffInflight = 1024

// DialHandoff connects the hand-off client.
func DialHandoff(addr string) (workload.Runner, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var nc net.Conn
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		nc = c
		return c, err
	}
	// rawclient performs the handshake and encodes and writes the
	// requests; the reader goroutine reads the socket itself (the server
	// sends nothing before a request, so rawclient buffered nothing more).
	c, err := rawclient.Dial(ctx, addr, sessionTimeout, rawclient.WithDialer(dial))
	if err != nil {
		return nil, err
	}
	h := &handoff{c: c, nc: nc, replies: make(chan handoffReply, maxHandoffInflight)}
	go h.read()
	return h, nil
}

// read is the reader goroutine.
func (h *handoff) read() {
	br := bufio.NewReaderSize(h.nc, 64<<10)
	var (
		buf  []byte
		hdr  proto.ReplyHeader
		resp proto.GetDataResponse
		d    proto.Decoder
	)
	for {
		var n [4]byte
		if _, err := io.ReadFull(br, n[:]); err != nil {
			h.replies <- handoffReply{err: err}
			return
		}
		size := int(binary.BigEndian.Uint32(n[:]))
		if size < proto.ReplyHeaderSize || size > proto.MaxPacket+1024 {
			h.replies <- handoffReply{err: fmt.Errorf("frame of %d bytes", size)}
			return
		}
		if cap(buf) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(br, buf); err != nil {
			h.replies <- handoffReply{err: err}
			return
		}
		d.Reset(buf)
		hdr.Decode(&d)
		if hdr.Xid < 0 {
			continue // none is expected: no pings, no watches
		}
		r := handoffReply{xid: hdr.Xid, code: hdr.Err}
		if hdr.Err == proto.CodeOK {
			resp.Decode(&d)
			r.data = append([]byte(nil), resp.Data...)
			r.err = d.Err()
		}
		h.replies <- r
	}
}

// send queues a getData request.
func (h *handoff) send(path string) int32 {
	xid, _ := h.c.Send(proto.OpGetData, &proto.PathWatchRequest{Path: path}) // an error shows at the flush
	return xid
}

func (h *handoff) flush() error { return h.c.Flush() }

// reply waits for the next reply and checks it answers xid.
func (h *handoff) reply(xid int32) error {
	r := <-h.replies
	switch {
	case r.err != nil:
		return r.err
	case r.xid != xid:
		return fmt.Errorf("reply xid %d, want %d", r.xid, xid)
	case r.code != proto.CodeOK:
		return &rawclient.Error{Op: proto.OpGetData, Code: r.code}
	}
	return nil
}

func (h *handoff) SeqGet(b *workload.Budget, path string, lat []time.Duration) (int, error) {
	for i := range lat {
		if b.Expired() {
			return i, nil
		}
		t := time.Now()
		xid := h.send(path)
		if err := h.flush(); err != nil {
			return i, err
		}
		if err := h.reply(xid); err != nil {
			return i, err
		}
		lat[i] = time.Since(t)
	}
	return len(lat), nil
}

func (h *handoff) Read(b *workload.Budget, path string, ops, inflight int) (int, error) {
	q := newXids(min(inflight, ops, maxHandoffInflight))
	issued, done, owed := 0, 0, 0
	for issued < len(q.buf) && issued < ops {
		q.push(h.send(path))
		issued++
	}
	if err := h.flush(); err != nil {
		return 0, err
	}
	for done < issued {
		if err := h.reply(q.pop()); err != nil {
			return done, err
		}
		done++
		if issued+owed < ops && !b.Expired() {
			owed++
		}
		if owed > 0 && (len(h.replies) == 0 || done == issued) {
			for ; owed > 0; owed-- {
				q.push(h.send(path))
				issued++
			}
			if err := h.flush(); err != nil {
				return done, err
			}
		}
	}
	return done, nil
}

var errHandoffOnlyGets = errors.New("the hand-off client runs only the Get workloads")

func (h *handoff) CreateDelete(*workload.Budget, string, int, int) (int, error) {
	return 0, errHandoffOnlyGets
}

func (h *handoff) SetWatches(*workload.Budget, []string, int) error { return errHandoffOnlyGets }

func (h *handoff) FireWatches([]string, int) (int, error) { return 0, errHandoffOnlyGets }

// Close drops the connection; the server expires the session. (The
// sidebyside run keeps every client busy: no session idles long enough to
// need a ping.)
func (h *handoff) Close() error { return h.nc.Close() }
