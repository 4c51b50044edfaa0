package rawclient_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/internal/rawclient"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(zktest.Main(m))
}

// root returns a fresh chroot path on the shared server, and its address.
func root(t testing.TB) (addr, path string) {
	srv := zktest.Shared(t)
	conn := srv.Chroot(t)
	return srv.Addr(), conn[len(srv.Addr()):]
}

func dial(t testing.TB, addr string, opts ...rawclient.Option) *rawclient.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := rawclient.Dial(ctx, addr, 10*time.Second, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHandshake(t *testing.T) {
	addr, _ := root(t)
	c := dial(t, addr)
	if c.SessionID() == 0 || len(c.Password()) != proto.PasswordSize {
		t.Errorf("session 0x%x, password %x", c.SessionID(), c.Password())
	}
	if c.Timeout() != 10*time.Second {
		t.Errorf("timeout %v, want the 10s asked for", c.Timeout())
	}
	if c.ReadOnly() {
		t.Error("read-only session from a read-write server")
	}
	// The timeout is clamped to the server's bounds (zktest: 1s to 60s).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	short, err := rawclient.Dial(ctx, addr, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	if short.Timeout() != time.Second {
		t.Errorf("timeout %v, want the server's minimum 1s", short.Timeout())
	}
}

func TestDialCanceled(t *testing.T) {
	addr, _ := root(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rawclient.Dial(ctx, addr, 10*time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Dial with a canceled context: %v", err)
	}
}

func TestOps(t *testing.T) {
	addr, r := root(t)
	c := dial(t, addr)
	if _, err := c.Create(r+"/a", []byte("x"), proto.FlagPersistent); err != nil {
		t.Fatal(err)
	}
	seq, err := c.Create(r+"/a/s-", nil, proto.FlagPersistentSequential)
	if err != nil || !strings.HasPrefix(seq, r+"/a/s-") || len(seq) != len(r+"/a/s-")+10 {
		t.Fatalf("sequential create = %q, %v", seq, err)
	}
	if _, err := c.Create(r+"/a", nil, proto.FlagPersistent); !rawclient.IsCode(err, proto.CodeNodeExists) {
		t.Errorf("second create: %v, want NodeExists", err)
	}
	var e *rawclient.Error
	if _, err := c.Create(r+"/a", nil, proto.FlagPersistent); !errors.As(err, &e) || e.Op != proto.OpCreate || e.Error() != "rawclient: create: node exists" {
		t.Errorf("error %v", err)
	}
	data, st, err := c.Get(r + "/a")
	if err != nil || string(data) != "x" || st.NumChildren != 1 {
		t.Fatalf("Get = %q, %+v, %v", data, st, err)
	}
	kids, err := c.Children(r + "/a")
	if err != nil || len(kids) != 1 {
		t.Fatalf("Children = %v, %v", kids, err)
	}
	if err := c.Delete(r+"/a", -1); !rawclient.IsCode(err, proto.CodeNotEmpty) {
		t.Errorf("Delete of a parent: %v, want NotEmpty", err)
	}
	if err := c.DeleteAll(r + "/a"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(r + "/a"); !rawclient.IsCode(err, proto.CodeNoNode) {
		t.Errorf("Get after DeleteAll: %v", err)
	}
	if err := c.DeleteAll(r + "/a"); err != nil {
		t.Errorf("DeleteAll of a missing node: %v", err)
	}
	if err := c.Ping(); err != nil {
		t.Error(err)
	}
	if c.LastZxid() == 0 {
		t.Error("LastZxid not tracked")
	}
}

// TestPipeline sends many requests before reading any reply: replies come
// back in order.
func TestPipeline(t *testing.T) {
	addr, r := root(t)
	c := dial(t, addr)
	const n = 2000 // more than one flush threshold's worth
	xids := make([]int32, n)
	for i := range xids {
		var err error
		if xids[i], err = c.Send(proto.OpExists, &proto.PathWatchRequest{Path: r}); err != nil {
			t.Fatal(err)
		}
	}
	var resp proto.StatResponse
	for i := range xids {
		h, d, err := c.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if h.Xid != xids[i] || h.Err != proto.CodeOK {
			t.Fatalf("reply %d: %+v, want xid %d", i, h, xids[i])
		}
		resp.Decode(d)
		if d.Err() != nil {
			t.Fatal(d.Err())
		}
	}
}

// TestResumeAndClose resumes a session on a second connection, then ends it.
func TestResumeAndClose(t *testing.T) {
	addr, r := root(t)
	c := dial(t, addr)
	if _, err := c.Create(r+"/eph", nil, proto.FlagEphemeral); err != nil {
		t.Fatal(err)
	}
	c2 := dial(t, addr, rawclient.WithSession(c.SessionID(), c.Password()), rawclient.WithLastZxid(c.LastZxid()))
	if c2.SessionID() != c.SessionID() {
		t.Fatalf("resumed 0x%x, want 0x%x", c2.SessionID(), c.SessionID())
	}
	if err := c2.CloseSession(); err != nil {
		t.Fatal(err)
	}
	other := dial(t, addr)
	if _, _, err := other.Get(r + "/eph"); !rawclient.IsCode(err, proto.CodeNoNode) {
		t.Errorf("ephemeral after CloseSession: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := rawclient.Dial(ctx, addr, 10*time.Second, rawclient.WithSession(c.SessionID(), c.Password())); !errors.Is(err, rawclient.ErrSessionExpired) {
		t.Errorf("resuming a closed session: %v, want ErrSessionExpired", err)
	}
}

func TestMaxFrame(t *testing.T) {
	addr, r := root(t)
	c := dial(t, addr, rawclient.WithMaxFrame(100))
	if _, err := c.Create(r+"/big", make([]byte, 200), proto.FlagPersistent); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(r + "/big"); !errors.Is(err, rawclient.ErrFrameTooLarge) {
		t.Fatalf("Get of a frame over the limit: %v", err)
	}
	// The stream is out of step now: the connection stays broken.
	if err := c.Ping(); !errors.Is(err, rawclient.ErrFrameTooLarge) {
		t.Errorf("Ping after a broken frame: %v", err)
	}
}

func TestAuthFailed(t *testing.T) {
	addr, _ := root(t)
	c := dial(t, addr)
	if err := c.Auth("nosuchscheme", []byte("x")); !rawclient.IsCode(err, proto.CodeAuthFailed) {
		t.Errorf("Auth with an unknown scheme: %v, want AuthFailed", err)
	}
}

// The benchmarks measure the ceiling a client can reach on this machine's
// server: BenchmarkGetPipelined keeps up to 256 requests in flight on one
// connection, as the real client's writer and reader loops aim to.

func benchNode(b *testing.B) (*rawclient.Conn, string) {
	addr, r := root(b)
	c := dial(b, addr)
	node := r + "/bench"
	if _, err := c.Create(node, make([]byte, 100), proto.FlagPersistent); err != nil {
		b.Fatal(err)
	}
	return c, node
}

func BenchmarkGetSync(b *testing.B) {
	c, node := benchNode(b)
	req := proto.PathWatchRequest{Path: node}
	var resp proto.GetDataResponse
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Call(proto.OpGetData, &req, &resp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetPipelined(b *testing.B) {
	c, node := benchNode(b)
	req := proto.PathWatchRequest{Path: node}
	var resp proto.GetDataResponse
	const window = 256
	inFlight := 0
	recv := func() {
		h, d, err := c.Recv()
		if err != nil || h.Err != proto.CodeOK {
			b.Fatal(h, err)
		}
		resp.Decode(d)
		inFlight--
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Send(proto.OpGetData, &req); err != nil {
			b.Fatal(err)
		}
		inFlight++
		if inFlight == window {
			// The first Recv writes the whole batch in one write;
			// the next half window is sent while the server is
			// still answering the rest.
			for inFlight > window/2 {
				recv()
			}
		}
	}
	for inFlight > 0 {
		recv()
	}
}
