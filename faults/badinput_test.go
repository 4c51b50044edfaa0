package faults

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// Defect I: a reply larger than the client's limit fails that call alone,
// with a clear error that is not retryable (it names the option that
// raises the limit); the connection, the session and the calls pipelined
// around it go on. A client whose limit does admit the reply reads it
// whole.
func TestReplyOverLimitFailsOnlyThatCall(t *testing.T) {
	servers, _ := chroot(t)
	ctx := testCtx(t, 2*time.Minute)
	w := zktest.Connect(t, servers)
	for _, n := range []string{"/big", "/kids"} {
		if _, _, err := w.Create(ctx, n, make([]byte, 100<<10)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := w.Create(ctx, "/small", []byte("s")); err != nil {
		t.Fatal(err)
	}
	// A children list of 1.5 MiB: over any limit a client has by default.
	names := createChildren(t, ctx, w, "/kids", 3<<19)

	// oversized checks a call between two small reads, pipelined: it
	// either succeeds (the limit admits the reply) or fails alone.
	oversized := func(c *kazoo.Client, what string, start func() (result func() error)) {
		t.Helper()
		id := c.SessionID()
		before := c.GetAsync(ctx, "/small")
		result := start()
		after := c.GetAsync(ctx, "/small")
		err := result()
		switch {
		case err == nil:
			t.Logf("%s: read whole", what)
		case kazoo.IsRetryable(err):
			t.Errorf("%s: %v is retryable: Retry would loop", what, err)
		case !strings.Contains(err.Error(), "WithMaxPacket"):
			t.Errorf("%s: %q; want the option that raises the limit (WithMaxPacket) named", what, err)
		default:
			t.Logf("%s: %v", what, err)
		}
		for name, f := range map[string]*kazoo.Future[kazoo.GetResult]{"before": before, "after": after} {
			if r, err := f.Result(); err != nil || string(r.Data) != "s" {
				t.Errorf("%s: the Get %s it: %q, %v", what, name, r.Data, err)
			}
		}
		if c.SessionID() != id {
			t.Errorf("%s: the session changed", what)
		}
	}
	small := zktest.Connect(t, servers, kazoo.WithMaxPacket(64<<10))
	oversized(small, "Get of 100 KiB with a 64 KiB limit", func() func() error {
		f := small.GetAsync(ctx, "/big")
		return func() error {
			r, err := f.Result()
			if err == nil && len(r.Data) != 100<<10 {
				t.Errorf("Get of 100 KiB: %d bytes", len(r.Data))
			}
			return err
		}
	})
	list := func(c *kazoo.Client) func() error {
		f := c.ChildrenAsync(ctx, "/kids")
		return func() error {
			r, err := f.Result()
			if err == nil && len(r.Children) != len(names) {
				t.Errorf("Children: %d names of %d", len(r.Children), len(names))
			}
			return err
		}
	}
	def := zktest.Connect(t, servers)
	oversized(def, "Children of 1.5 MiB with the default limit", func() func() error { return list(def) })
	// Raising the limit, as the error says, lists them.
	large := zktest.Connect(t, servers, kazoo.WithMaxPacket(4<<20))
	if err := list(large)(); err != nil {
		t.Errorf("Children of 1.5 MiB with a 4 MiB limit: %v", err)
	}
}

// createChildren creates children under parent until their names add up
// to about size bytes, and deletes them when the test ends.
func createChildren(t *testing.T, ctx context.Context, c *kazoo.Client, parent string, size int) []string {
	t.Helper()
	pad := strings.Repeat("x", 200)
	n := size / (len(pad) + 11) // the name and its length prefix
	names := make([]string, n)
	creates := make([]*kazoo.Future[kazoo.CreateResult], n)
	for i := range n {
		names[i] = fmt.Sprintf("%06d-%s", i, pad)
		creates[i] = c.CreateAsync(ctx, parent+"/"+names[i], nil)
	}
	for _, f := range creates {
		if _, err := f.Result(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { // without listing them
		deletes := make([]*kazoo.Future[struct{}], n)
		for i, name := range names {
			deletes[i] = c.DeleteAsync(context.Background(), parent+"/"+name, kazoo.AnyVersion)
		}
		for _, f := range deletes {
			f.Result()
		}
	})
	return names
}

// Defect I: the default reply limit lets a client read back the largest
// node it was allowed to write.
func TestReadBackLargestNode(t *testing.T) {
	servers, _ := chroot(t)
	ctx := testCtx(t, time.Minute)
	c := zktest.Connect(t, servers)
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
// server) can be listed: with the default options, or, when the default
// limit is lower, after an error that says how to raise it (see
// TestReplyOverLimitFailsOnlyThatCall).
func TestListChildrenOverOneMiB(t *testing.T) {
	servers, _ := chroot(t)
	ctx := testCtx(t, 2*time.Minute)
	c := zktest.Connect(t, servers)
	if _, _, err := c.Create(ctx, "/kids", nil); err != nil {
		t.Fatal(err)
	}
	names := createChildren(t, ctx, c, "/kids", 1100<<10)
	lctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	kids, _, err := c.Children(lctx, "/kids")
	switch {
	case err == nil && len(kids) != len(names):
		t.Errorf("Children of %d nodes: %d names", len(names), len(kids))
	case err != nil && (kazoo.IsRetryable(err) || !strings.Contains(err.Error(), "WithMaxPacket")):
		t.Errorf("Children of %d nodes (a list of 1.1 MiB): %v; want the list, or an error that is not retryable and names WithMaxPacket", len(names), err)
	case err != nil:
		t.Logf("Children of 1.1 MiB with the default limit: %v", err)
	}
}

// Defect L: an async call whose request is too large is refused at once,
// connected or not.
func TestTooLargeAsyncRefusedAtOnce(t *testing.T) {
	p, c, st, _ := proxiedClient(t, 2*time.Second)
	ctx := testCtx(t, time.Minute)
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
	c := zktest.Connect(t, servers)
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
	c := zktest.Connect(t, servers)
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
	c := zktest.Connect(t, srv.Addr())
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
			c := zktest.Connect(t, srv.Addr(), kazoo.WithSessionTimeout(2*time.Second))
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

// A multi reply whose results do not match the operations sent (one too
// few, one too many, a result type no server sends) fails that transaction
// with ErrMarshallingError, and the client goes on answering.
func TestMultiReplyMismatchIsMalformed(t *testing.T) {
	const opMulti, opCheck = 14, 13
	result := func(typ int32) []byte { // a result's header: type, done, err
		b := binary.BigEndian.AppendUint32(nil, uint32(typ))
		b = append(b, 0)
		return binary.BigEndian.AppendUint32(b, 0)
	}
	end := []byte{0xff, 0xff, 0xff, 0xff, 1, 0xff, 0xff, 0xff, 0xff}
	replies := map[string][]byte{
		"one result for two checks":    slices.Concat(result(opCheck), end),
		"three results for two checks": slices.Concat(result(opCheck), result(opCheck), result(opCheck), end),
		"an unknown result type":       slices.Concat(result(opCheck), result(77), end),
		"two results, as it should be": slices.Concat(result(opCheck), result(opCheck), end),
	}
	for name, body := range replies {
		t.Run(name, func(t *testing.T) {
			srv := newFakeServer(t, func(_ int64, fc *fakeConn) {
				if _, err := fc.handshake(0x4f01); err != nil {
					return
				}
				fc.serve(func(r request) error {
					if r.op == opMulti {
						return fc.reply(r.xid, 1, 0, body)
					}
					return fc.reply(r.xid, 1, 0, slices.Concat([]byte{0, 0, 0, 1, 'v'}, statBytes(1)))
				})
			})
			c := zktest.Connect(t, srv.Addr())
			ctx := testCtx(t, 10*time.Second)
			res, err := c.Txn().Check("/a", 1).Check("/b", 2).Commit(ctx)
			if name == "two results, as it should be" {
				if err != nil || len(res) != 2 || res[0].Path != "/a" || res[1].Path != "/b" {
					t.Fatalf("Commit = %+v, %v", res, err)
				}
			} else if !errors.Is(err, kazoo.ErrMarshallingError) || res != nil {
				t.Fatalf("Commit = %+v, %v; want no results and ErrMarshallingError", res, err)
			}
			if data, _, err := c.Get(ctx, "/x"); err != nil || string(data) != "v" {
				t.Errorf("Get after the multi = %q, %v", data, err)
			}
		})
	}
}
