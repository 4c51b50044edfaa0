package faults

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// Defect I: a reply larger than the client's packet limit fails that call
// alone, with a clear error that is not retryable (it names the limit and
// the option that raises it); the connection, the session and the calls
// around it go on.
func TestReplyOverLimitFailsOnlyThatCall(t *testing.T) {
	servers, _ := chroot(t)
	ctx := testCtx(t, time.Minute)
	w := connect(t, servers)
	if _, _, err := w.Create(ctx, "/big", make([]byte, 100<<10)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Create(ctx, "/small", []byte("s")); err != nil {
		t.Fatal(err)
	}
	var dials atomic.Int32
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	const limit = 64 << 10
	c := connect(t, servers, kazoo.WithMaxPacket(limit), kazoo.WithDialer(dial))
	id := c.SessionID()
	before := c.GetAsync(ctx, "/small")
	big := c.GetAsync(ctx, "/big")
	after := c.GetAsync(ctx, "/small")
	_, err := big.Result()
	switch {
	case err == nil:
		t.Errorf("Get of 100 KiB with a %d-byte limit succeeded", limit)
	case kazoo.IsRetryable(err):
		t.Errorf("Get over the limit: %v is retryable: Retry would loop", err)
	case !strings.Contains(err.Error(), strconv.Itoa(limit)) || !strings.Contains(err.Error(), "WithMaxPacket"):
		t.Errorf("Get over the limit: %q; want the limit (%d) and the option to raise it (WithMaxPacket) named", err, limit)
	}
	for name, f := range map[string]*kazoo.Future[kazoo.GetResult]{"before": before, "after": after} {
		if r, err := f.Result(); err != nil || string(r.Data) != "s" {
			t.Errorf("Get sent %s the one over the limit: %q, %v", name, r.Data, err)
		}
	}
	if data, _, err := c.Get(ctx, "/small"); err != nil || string(data) != "s" {
		t.Errorf("Get after the one over the limit: %q, %v", data, err)
	}
	if n := dials.Load(); n != 1 || c.SessionID() != id {
		t.Errorf("%d connections, session 0x%x (was 0x%x): the reply over the limit broke the connection", n, c.SessionID(), id)
	}
}

// Defect I: the default reply limit lets a client read back the largest
// node it was allowed to write.
func TestReadBackLargestNode(t *testing.T) {
	servers, _ := chroot(t)
	ctx := testCtx(t, time.Minute)
	c := connect(t, servers)
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i)
	}
	n := len(data)
	for ; n > len(data)-4096; n-- {
		_, _, err := c.Create(ctx, "/l", data[:n])
		if err == nil {
			break
		}
		if !errors.Is(err, kazoo.ErrDataTooLarge) {
			t.Fatalf("Create with %d bytes: %v", n, err)
		}
	}
	t.Logf("the largest node the client writes holds %d bytes", n)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	got, _, err := c.Get(rctx, "/l")
	if err != nil || len(got) != n {
		t.Fatalf("Get of the %d bytes just written: %d bytes, %v", n, len(got), err)
	}
}

// Defect I: a children list over 1 MiB (each create accepted by the
// server) can be listed with the default options.
func TestListChildrenOverOneMiB(t *testing.T) {
	servers, _ := chroot(t)
	ctx := testCtx(t, 2*time.Minute)
	c := connect(t, servers)
	if _, _, err := c.Create(ctx, "/kids", nil); err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", 200)
	n := (1<<20)/(len(pad)+10) + 300 // a list of about 1.1 MiB
	names := make([]string, n)
	creates := make([]*kazoo.Future[kazoo.CreateResult], n)
	for i := range n {
		names[i] = fmt.Sprintf("%06d-%s", i, pad)
		creates[i] = c.CreateAsync(ctx, "/kids/"+names[i], nil)
	}
	for _, f := range creates {
		if _, err := f.Result(); err != nil {
			t.Fatal(err)
		}
	}
	defer func() { // a cleanup that does not need to list them
		deletes := make([]*kazoo.Future[struct{}], n)
		for i, name := range names {
			deletes[i] = c.DeleteAsync(ctx, "/kids/"+name, kazoo.AnyVersion)
		}
		for _, f := range deletes {
			f.Result()
		}
	}()
	lctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	kids, _, err := c.Children(lctx, "/kids")
	if err != nil || len(kids) != n {
		t.Fatalf("Children of %d nodes (a list of %d KiB): %d names, %v", n, n*(len(pad)+11)>>10, len(kids), err)
	}
}

// Defect L: an async call whose request is too large is refused at once,
// connected or not.
func TestTooLargeAsyncRefusedAtOnce(t *testing.T) {
	p, servers, _ := proxied(t)
	ctx := testCtx(t, time.Minute)
	c := connect(t, servers, kazoo.WithSessionTimeout(2*time.Second))
	st := watchStates(t, c)
	st.wait(t, kazoo.Connected, 5*time.Second)
	data := make([]byte, 2<<20)
	check := func(when string) {
		t.Helper()
		for name, call := range map[string]func(context.Context) error{
			"SetAsync": func(ctx context.Context) error {
				_, err := c.SetAsync(ctx, "/l", data, kazoo.AnyVersion).Result()
				return err
			},
			"CreateAsync": func(ctx context.Context) error {
				_, err := c.CreateAsync(ctx, "/l", data).Result()
				return err
			},
		} {
			// Starting the call and getting its result, both at once: a
			// second is plenty on any machine, and the call's context
			// (10s) ends long after.
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			var err error
			done, ok := returnsWithin(time.Second, func() { err = call(cctx) })
			cancel()
			<-done
			switch {
			case !ok:
				t.Errorf("%s of 2 MiB %s: not refused within 1s (%v once its context ended)", name, when, err)
			case !errors.Is(err, kazoo.ErrDataTooLarge):
				t.Errorf("%s of 2 MiB %s: %v, want ErrDataTooLarge", name, when, err)
			}
		}
	}
	check("while connected")
	p.Blackhole()
	st.wait(t, kazoo.Suspended, 10*time.Second)
	check("while disconnected")
}

// Defect M: a TTL under a millisecond is refused before anything is sent
// (the server would get 0).
func TestSubMillisecondTTLRefused(t *testing.T) {
	zktest.RequireOp(t, zktest.Shared(t), proto.OpCreateTTL)
	servers, _ := chroot(t)
	ctx := testCtx(t, time.Minute)
	c := connect(t, servers)
	opts := []kazoo.CreateOption{kazoo.WithMode(kazoo.ModePersistentTTL), kazoo.WithTTL(500 * time.Microsecond)}
	if _, _, err := c.Create(ctx, "/ttl", nil, opts...); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("Create with a 500µs TTL: %v, want ErrInvalidArgument", err)
	}
	if _, err := c.CreateAsync(ctx, "/ttl", nil, opts...).Result(); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("CreateAsync with a 500µs TTL: %v, want ErrInvalidArgument", err)
	}
	if _, err := c.Txn().Create("/ttl", nil, opts...).Commit(ctx); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("Txn.Create with a 500µs TTL: %v, want ErrInvalidArgument", err)
	}
}

// Item 3: AddAuth with credentials too large for a packet returns at once
// (or at least when its context ends), never spins.
func TestAddAuthTooLargeReturns(t *testing.T) {
	servers, _ := chroot(t)
	c := connect(t, servers)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var err error
	done, ok := returnsWithin(5*time.Second, func() { err = c.AddAuth(ctx, "digest", make([]byte, 2<<20)) })
	if !ok {
		t.Error("AddAuth of 2 MiB credentials still running 3s after its context ended")
		c.Close() // ends the spin
		<-done
		return
	}
	if !errors.Is(err, kazoo.ErrDataTooLarge) {
		t.Errorf("AddAuth of 2 MiB credentials: %v, want ErrDataTooLarge", err)
	}
}

// Defect O: a malformed reply is reported as one: errors.Is matches
// ErrMarshallingError.
func TestMalformedReplyMatchesSentinel(t *testing.T) {
	srv := newFakeServer(t, func(_ int64, fc *fakeConn) {
		if _, err := fc.handshake(0x4f00); err != nil {
			return
		}
		fc.serve(func(r request) error {
			return fc.reply(r.xid, 1, 0, []byte{0, 0, 0}) // getData's body cut short
		})
	})
	c := connect(t, srv.Addr())
	ctx := testCtx(t, 10*time.Second)
	if _, _, err := c.Get(ctx, "/x"); !errors.Is(err, kazoo.ErrMarshallingError) {
		t.Errorf("Get answered with a truncated body: %v, want ErrMarshallingError", err)
	}
}

// Malformed frames and absurd lengths give an error, not a hang, a crash or
// a large allocation.
func TestAbsurdFramesCheap(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte // written raw, length prefix included
	}{
		{"negative length", binary.BigEndian.AppendUint32(nil, 0xffffffff)},
		{"2 GiB length", binary.BigEndian.AppendUint32(nil, 0x7fffffff)},
		{"length over the limit", binary.BigEndian.AppendUint32(nil, 64<<20)},
		{"length shorter than a header", append(binary.BigEndian.AppendUint32(nil, 3), 1, 2, 3)},
		{"reply to no request", func() []byte {
			b := replyFrame(12345, 1, 0, nil)
			return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeServer(t, func(_ int64, fc *fakeConn) {
				if _, err := fc.handshake(0x4100); err != nil {
					return
				}
				fc.serve(func(r request) error {
					if r.op == opGetData {
						fc.Write(tc.frame)
						fc.Read(make([]byte, 1)) // then hold the connection open
					}
					return nil
				})
			})
			c := connect(t, srv.Addr(), kazoo.WithSessionTimeout(4*time.Second))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			alloc := ms.TotalAlloc
			_, _, err := c.Get(ctx, "/x")
			runtime.ReadMemStats(&ms)
			if err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Get answered with a bad frame: %v, want an error before its context ends", err)
			}
			if grew := ms.TotalAlloc - alloc; grew > 16<<20 {
				t.Errorf("Get answered with a bad frame allocated %d MiB", grew>>20)
			}
		})
	}
}

// FuzzReply answers a Get with arbitrary reply bytes: the call returns
// (with whatever result or error), nothing panics or hangs, and the client
// closes cleanly.
func FuzzReply(f *testing.F) {
	valid := append(binary.BigEndian.AppendUint32(nil, 2), 'h', 'i')
	valid = append(valid, statBytes(2)...)
	f.Add(valid, true, int32(0))
	f.Add(valid[:5], true, int32(0))
	f.Add([]byte{}, true, int32(0))
	f.Add([]byte{}, true, int32(-101))
	f.Add(valid, false, int32(0))
	f.Add(binary.BigEndian.AppendUint32(nil, 0x7fffffff), true, int32(0))
	f.Add(binary.BigEndian.AppendUint32(nil, 0xfffffff0), true, int32(0))
	f.Add(valid, true, int32(-5))
	f.Fuzz(func(t *testing.T, body []byte, sameXid bool, code int32) {
		srv := newFakeServer(t, func(_ int64, fc *fakeConn) {
			if _, err := fc.handshake(0x4655); err != nil {
				return
			}
			fc.serve(func(r request) error {
				xid := r.xid
				if !sameXid {
					xid++
				}
				return fc.reply(xid, 1, code, body)
			})
		})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := kazoo.Connect(ctx, srv.Addr(), kazoo.WithSessionTimeout(4*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		gctx, gcancel := context.WithTimeout(ctx, 5*time.Second)
		_, _, err = c.Get(gctx, "/x")
		gcancel()
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get answered with %x (code %d, same xid %v) still waiting after 5s", body, code, sameXid)
		}
		if _, ok := returnsWithin(5*time.Second, func() { c.Close() }); !ok {
			t.Fatal("Close hangs after a malformed reply")
		}
	})
}

// Item 9: each server code matches its own sentinel and no other; an
// unknown code or a client-side cause matches none.
func TestErrorCodesMatchOnlyTheirSentinel(t *testing.T) {
	sentinels := map[proto.Code]error{
		proto.CodeSystemError: kazoo.ErrSystemError, proto.CodeRuntimeInconsistency: kazoo.ErrRuntimeInconsistency,
		proto.CodeDataInconsistency: kazoo.ErrDataInconsistency, proto.CodeConnectionLoss: kazoo.ErrConnectionLoss,
		proto.CodeMarshallingError: kazoo.ErrMarshallingError, proto.CodeUnimplemented: kazoo.ErrUnimplemented,
		proto.CodeOperationTimeout: kazoo.ErrOperationTimeout, proto.CodeBadArguments: kazoo.ErrBadArguments,
		proto.CodeUnknownSession: kazoo.ErrUnknownSession, proto.CodeNewConfigNoQuorum: kazoo.ErrNewConfigNoQuorum,
		proto.CodeReconfigInProgress: kazoo.ErrReconfigInProgress, proto.CodeAPIError: kazoo.ErrAPIError,
		proto.CodeNoNode: kazoo.ErrNoNode, proto.CodeNoAuth: kazoo.ErrNoAuth, proto.CodeBadVersion: kazoo.ErrBadVersion,
		proto.CodeNoChildrenForEphemerals: kazoo.ErrNoChildrenForEphemerals, proto.CodeNodeExists: kazoo.ErrNodeExists,
		proto.CodeNotEmpty: kazoo.ErrNotEmpty, proto.CodeSessionExpired: kazoo.ErrSessionExpired,
		proto.CodeInvalidCallback: kazoo.ErrInvalidCallback, proto.CodeInvalidACL: kazoo.ErrInvalidACL,
		proto.CodeAuthFailed: kazoo.ErrAuthFailed, proto.CodeSessionMoved: kazoo.ErrSessionMoved,
		proto.CodeNotReadOnly: kazoo.ErrNotReadOnly, proto.CodeEphemeralOnLocalSession: kazoo.ErrEphemeralOnLocalSession,
		proto.CodeNoWatcher: kazoo.ErrNoWatcher, proto.CodeRequestTimeout: kazoo.ErrRequestTimeout,
		proto.CodeReconfigDisabled: kazoo.ErrReconfigDisabled, proto.CodeSessionClosedRequireSASL: kazoo.ErrSessionClosedRequireSASL,
		proto.CodeQuotaExceeded: kazoo.ErrQuotaExceeded, proto.CodeThrottledOp: kazoo.ErrThrottledOp,
	}
	for code := range sentinels {
		err := &kazoo.Error{Code: code, Op: "getData", Path: "/x"}
		for other, s := range sentinels {
			if got := errors.Is(err, s); got != (other == code) {
				t.Errorf("errors.Is(error with code %d, sentinel of code %d) = %v", code, other, got)
			}
		}
	}
	for name, err := range map[string]error{
		"unknown code":     &kazoo.Error{Code: -999, Op: "getData"},
		"client-side only": &kazoo.Error{Op: "getData", Err: kazoo.ErrClosed},
	} {
		for code, s := range sentinels {
			if errors.Is(err, s) {
				t.Errorf("%s matches the sentinel of code %d", name, code)
			}
		}
	}
}
