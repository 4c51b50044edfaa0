package goclients

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/kazoo-go/kazoo/bench/internal/workload"
	"github.com/kazoo-go/kazoo/internal/rawclient"
	"github.com/kazoo-go/kazoo/proto"
)

// raw runs the workloads on the minimal pipelined client: one goroutine,
// requests encoded into one reused buffer, replies read through a bufio
// reader and decoded in place, no per-request allocation. It is the ceiling
// kazoo is measured against.
//
// Its pipelined loops write the way a good pipelined client does: the
// requests that replace answered ones are held back while more replies
// are already buffered, and written in one go (Recv flushes them) just
// before the loop would block on the socket. To know what is buffered, the
// connection counts the bytes read from the socket and the loop counts the
// bytes of the frames it consumed.
type raw struct {
	c        *rawclient.Conn
	nc       *countingConn
	consumed int64 // bytes of the frames received so far
	last     int64 // size of the last frame received
	watched  int   // watches left by SetWatches
}

// countingConn counts the bytes read from the socket.
type countingConn struct {
	net.Conn
	read atomic.Int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read.Add(int64(n))
	return n, err
}

func dialRaw(addr string) (workload.Runner, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := &raw{}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		r.nc = &countingConn{Conn: nc}
		return r.nc, nil
	}
	c, err := rawclient.Dial(ctx, addr, sessionTimeout, rawclient.WithDialer(dial))
	if err != nil {
		return nil, err
	}
	r.c = c
	r.consumed = r.nc.read.Load() // the handshake's reply
	return r, nil
}

// recv reads the next frame and accounts for its bytes.
func (r *raw) recv() (proto.ReplyHeader, *proto.Decoder, error) {
	h, d, err := r.c.Recv()
	if err == nil {
		r.last = int64(4 + proto.ReplyHeaderSize + d.Remaining())
		r.consumed += r.last
	}
	return h, d, err
}

// nextBuffered reports whether a frame as large as the last one is already
// buffered: then receiving it will not block.
func (r *raw) nextBuffered() bool {
	return r.nc.read.Load()-r.consumed >= r.last
}

func (r *raw) Close() error { return r.c.CloseSession() }

// reply reads frames until the next reply (skipping ping replies and
// notifications, which it counts in events), checks its xid and code, and
// returns the decoder positioned at its body.
func (r *raw) reply(want int32, events *int) (*proto.Decoder, error) {
	for {
		h, d, err := r.recv()
		if err != nil {
			return nil, err
		}
		switch {
		case h.Xid == proto.XidNotification:
			if events != nil {
				*events++
			}
			continue
		case h.Xid < 0:
			continue
		case h.Xid != want:
			return nil, fmt.Errorf("reply xid %d, want %d", h.Xid, want)
		case h.Err != proto.CodeOK:
			return nil, &rawclient.Error{Code: h.Err}
		}
		return d, nil
	}
}

func (r *raw) SeqGet(b *workload.Budget, path string, lat []time.Duration) (int, error) {
	req := proto.PathWatchRequest{Path: path}
	var resp proto.GetDataResponse
	for i := range lat {
		if b.Expired() {
			return i, nil
		}
		t := time.Now()
		xid, err := r.c.Send(proto.OpGetData, &req)
		if err != nil {
			return i, err
		}
		d, err := r.reply(xid, nil)
		if err != nil {
			return i, err
		}
		resp.Decode(d)
		lat[i] = time.Since(t)
	}
	return len(lat), nil
}

// xids is a FIFO of the xids in flight.
type xids struct {
	buf        []int32
	head, size int
}

func newXids(n int) *xids { return &xids{buf: make([]int32, max(n, 1))} }

func (q *xids) push(x int32) {
	q.buf[(q.head+q.size)%len(q.buf)] = x
	q.size++
}

func (q *xids) pop() int32 {
	x := q.buf[q.head]
	q.head = (q.head + 1) % len(q.buf)
	q.size--
	return x
}

func (r *raw) Read(b *workload.Budget, path string, ops, inflight int) (int, error) {
	return r.pipelineReads(b, ops, inflight, func(int) string { return path }, false)
}

// pipelineReads sends getData requests for path(0)...path(ops-1), keeping
// inflight of them outstanding.
func (r *raw) pipelineReads(b *workload.Budget, ops, inflight int, path func(int) string, watch bool) (int, error) {
	q := newXids(min(inflight, ops))
	var req proto.PathWatchRequest
	var resp proto.GetDataResponse
	issued, done, owed := 0, 0, 0
	send := func() error {
		req.Path, req.Watch = path(issued), watch
		xid, err := r.c.Send(proto.OpGetData, &req)
		q.push(xid)
		issued++
		return err
	}
	for issued < len(q.buf) && issued < ops {
		if err := send(); err != nil {
			return 0, err
		}
	}
	for done < issued {
		d, err := r.reply(q.pop(), nil)
		if err != nil {
			return done, err
		}
		resp.Decode(d)
		if err := d.Err(); err != nil {
			return done, err
		}
		done++
		if issued+owed < ops && !b.Expired() {
			owed++
		}
		if owed > 0 && (!r.nextBuffered() || done == issued) {
			for ; owed > 0; owed-- {
				if err := send(); err != nil {
					return done, err
				}
			}
		}
	}
	return done, nil
}

func (r *raw) CreateDelete(b *workload.Budget, prefix string, ops, inflight int) (int, error) {
	pairs := ops / 2
	q := newXids(max(min(inflight, pairs), 1))
	isCreate := make([]bool, len(q.buf)) // in step with q's slots
	create := proto.CreateRequest{Path: prefix, ACL: rawclient.OpenACL, Flags: proto.FlagEphemeralSequential}
	del := proto.DeleteRequest{Version: -1}
	var resp proto.Create2Response
	var deletes []string // nodes to delete, held back like the creates
	creates, done, owed := 0, 0, 0
	send := func(op proto.Op, body proto.Record) error {
		isCreate[(q.head+q.size)%len(q.buf)] = op == proto.OpCreate2
		xid, err := r.c.Send(op, body)
		q.push(xid)
		return err
	}
	// kazoo for Go sends create2 (the reply carries the Stat); so does
	// the ceiling, to compare like with like.
	for ; creates < len(q.buf); creates++ {
		if err := send(proto.OpCreate2, &create); err != nil {
			return 0, err
		}
	}
	for q.size > 0 || len(deletes) > 0 || owed > 0 {
		if q.size > 0 {
			wasCreate := isCreate[q.head]
			d, err := r.reply(q.pop(), nil)
			if err != nil {
				return done, err
			}
			done++
			if wasCreate {
				resp.Decode(d)
				deletes = append(deletes, resp.Path)
			} else if creates+owed < pairs && !b.Expired() {
				owed++
			}
			if q.size > 0 && r.nextBuffered() {
				continue
			}
		}
		for _, p := range deletes {
			del.Path = p
			if err := send(proto.OpDelete, &del); err != nil {
				return done, err
			}
		}
		deletes = deletes[:0]
		for ; owed > 0; owed-- {
			if err := send(proto.OpCreate2, &create); err != nil {
				return done, err
			}
			creates++
		}
	}
	return done, nil
}

func (r *raw) SetWatches(b *workload.Budget, paths []string, inflight int) error {
	n, err := r.pipelineReads(b, len(paths), inflight, func(i int) string { return paths[i] }, true)
	if err == nil && n < len(paths) {
		err = fmt.Errorf("set %d of %d watches before the timeout", n, len(paths))
	}
	r.watched = n
	return err
}

func (r *raw) FireWatches(paths []string, batch int) (int, error) {
	r.c.SetDeadline(time.Now().Add(eventWait))
	defer r.c.SetDeadline(time.Time{})
	data := []byte("x")
	var sent []int32
	for start := 0; start < len(paths); start += batch {
		var req proto.MultiRequest
		for _, p := range paths[start:min(start+batch, len(paths))] {
			req.Ops = append(req.Ops, proto.MultiOp{Op: proto.OpSetData, Body: &proto.SetDataRequest{Path: p, Data: data, Version: -1}})
		}
		xid, err := r.c.Send(proto.OpMulti, &req)
		if err != nil {
			return 0, err
		}
		sent = append(sent, xid)
	}
	events := 0
	for _, xid := range sent {
		if _, err := r.reply(xid, &events); err != nil {
			return events, fmt.Errorf("multi: %w", err)
		}
	}
	// The server sends a multi's notifications before its reply, so
	// they have all arrived by now; read on in case one lags.
	for events < r.watched {
		h, _, err := r.recv()
		if err != nil {
			return events, err
		}
		if h.Xid == proto.XidNotification {
			events++
		}
	}
	r.watched = 0
	return events, nil
}
