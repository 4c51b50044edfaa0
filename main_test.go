package kazoo_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(withSASLExampleServer{zktest.Main(m)})
}

// withSASLExampleServer stops the SASL examples' server (see
// example_security_test.go) after the run; zktest.Main stops the others'.
type withSASLExampleServer struct{ zktest.M }

func (w withSASLExampleServer) Run() int {
	code := w.M.Run()
	if saslExampleServer.srv != nil {
		saslExampleServer.srv.Close()
	}
	return code
}

// connect returns a client of the package's shared server, rooted in a
// fresh chroot, closed when the test ends.
func connect(t testing.TB, opts ...kazoo.Option) *kazoo.Client {
	t.Helper()
	return zktest.Connect(t, zktest.Shared(t).Chroot(t), opts...)
}

// requireOp skips the test, saying so, when the shared server predates op.
func requireOp(t testing.TB, op proto.Op) {
	t.Helper()
	zktest.RequireOp(t, zktest.Shared(t), op)
}

// create2 reports whether the shared server returns a Stat from create
// (3.5+).
func create2(t testing.TB) bool {
	return !zktest.Shared(t).Version().Less(proto.Version{Major: 3, Minor: 5})
}

// testCtx returns a context that ends with the test or after a minute.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// waitState waits until sub delivers want, failing the test after d.
func waitState(t testing.TB, sub *kazoo.StateSubscription, want kazoo.State, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case s, ok := <-sub.C():
			if !ok {
				t.Fatalf("state channel closed while waiting for %v", want)
			}
			if s == want {
				return
			}
		case <-timer.C:
			t.Fatalf("no %v state within %v", want, d)
		}
	}
}

// waitEvent waits for one event on ch, failing the test after d.
func waitEvent(t testing.TB, ch <-chan kazoo.Event, d time.Duration) kazoo.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("event channel closed")
		}
		return ev
	case <-time.After(d):
		t.Fatalf("no event within %v", d)
	}
	return kazoo.Event{}
}

// noEvent checks that nothing arrived on the one-shot watch channel ch
// before c's next reply.
func noEvent(t testing.TB, c *kazoo.Client, ch <-chan kazoo.Event) {
	t.Helper()
	// A barrier, not a pause: the server sends a session's notifications
	// before its replies to later requests, and the client delivers a
	// one-shot watch's event before it completes the calls behind it.
	if _, _, err := c.Exists(testCtx(t), "/"); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-ch:
		t.Fatalf("unexpected event %+v", ev)
	default:
	}
}

// supported reports whether the shared server has op.
func supported(t testing.TB, op proto.Op) bool {
	since, _ := op.Since()
	return !zktest.Shared(t).Version().Less(since)
}

// contextWithTimeout is context.WithTimeout in seconds.
func contextWithTimeout(parent context.Context, seconds int) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, time.Duration(seconds)*time.Second)
}
