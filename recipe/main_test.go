package recipe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(zktest.Main(m)) }

// testCtx returns a context that ends with the test, or after d.
func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
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
