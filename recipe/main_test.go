package recipe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(withDemoServer{zktest.Main(m)}) }

// demoServer is the server of the examples, which have no testing.T.
var demoServer struct {
	once sync.Once
	srv  *zktest.Server
	n    atomic.Int32
}

// DemoServers returns a connection string to the examples' server, with
// a chroot of its own for each name (exported for the examples' package).
func DemoServers(name string) string {
	demoServer.once.Do(func() {
		srv, err := zktest.Start()
		if err != nil {
			panic(err)
		}
		demoServer.srv = srv
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kazoo.Connect(ctx, demoServer.srv.Addr())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	name = fmt.Sprintf("/%s-%d", name, demoServer.n.Add(1)) // -count=N runs examples N times
	if err := c.EnsurePath(ctx, name); err != nil {
		panic(err)
	}
	return demoServer.srv.Addr() + name
}

type withDemoServer struct{ zktest.M }

func (w withDemoServer) Run() int {
	code := w.M.Run()
	if demoServer.srv != nil {
		demoServer.srv.Close()
	}
	return code
}

// testCtx returns a context that ends with the test, or after d.
func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// connect connects to servers and closes the client when the test ends.
func connect(t testing.TB, servers string, opts ...kazoo.Option) *kazoo.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kazoo.Connect(ctx, servers, opts...)
	if err != nil {
		t.Fatalf("connecting to %s: %v", servers, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// proxied returns a proxy in front of the server of servers (a chroot
// connection string) and the same connection string through the proxy.
func proxied(t testing.TB, servers string) (*zktest.Proxy, string) {
	addr, chroot, _ := strings.Cut(servers, "/")
	p := zktest.NewProxy(t, addr)
	return p, p.Addr() + "/" + chroot
}

// waitFor polls cond every few milliseconds until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// children lists path's children (none when it does not exist), failing
// the test on error.
func children(t testing.TB, c *kazoo.Client, path string) []string {
	t.Helper()
	ch, _, err := c.Children(context.Background(), path)
	if err != nil && !errors.Is(err, kazoo.ErrNoNode) {
		t.Fatalf("children of %s: %v", path, err)
	}
	return ch
}

// layouts are the two znode layouts a recipe can use, for table tests.
var layouts = []struct {
	name string
	opts []Option
}{{"kazoo", nil}, {"curator", []Option{WithCurator()}}}
