package faults

import (
	"context"
	"flag"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

var fullFlag = flag.Bool("faults.full", false, "run the fault tests at the sizes of issue 8 (minutes, not seconds)")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(zktest.Main(m))
}

// full reports whether the suite runs at full size (-faults.full or
// FAULTS_FULL=1).
func full() bool { return *fullFlag || os.Getenv("FAULTS_FULL") == "1" }

// size returns ci, or full at full size.
func size(ci, fullSize int) int {
	if full() {
		return fullSize
	}
	return ci
}

// testCtx returns a context that ends with the test or after d.
func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// chroot returns a fresh chroot on the shared server: its connection string
// and the chroot path alone.
func chroot(t testing.TB) (servers, root string) {
	servers = zktest.Shared(t).Chroot(t)
	return servers, servers[strings.Index(servers, "/"):]
}

// proxied returns a proxy in front of the shared server and a connection
// string through it, rooted in a fresh chroot, and one for the same chroot
// without the proxy.
func proxied(t testing.TB) (p *zktest.Proxy, viaProxy, direct string) {
	t.Helper()
	direct, root := chroot(t)
	p = zktest.NewProxy(t, zktest.Shared(t).Addr())
	return p, p.Addr() + root, direct
}

// proxiedClient connects a client with the given session timeout through
// a proxy to the shared server, in a fresh chroot, and waits until it is
// Connected. It returns the proxy, the client, its states (from Connected
// on) and a connection string for the same chroot without the proxy.
func proxiedClient(t testing.TB, timeout time.Duration) (*zktest.Proxy, *kazoo.Client, *states, string) {
	t.Helper()
	p, servers, direct := proxied(t)
	c := zktest.Connect(t, servers, kazoo.WithSessionTimeout(timeout))
	st := watchStates(t, c)
	st.wait(t, kazoo.Connected, 5*time.Second)
	return p, c, st, direct
}

// states records every state a client goes through, with when it was
// delivered, so that tests wait for one without missing it.
type states struct {
	sub *kazoo.StateSubscription
}

func watchStates(t testing.TB, c *kazoo.Client) *states {
	s := &states{sub: c.SubscribeStates()}
	t.Cleanup(s.sub.Stop)
	return s
}

// wait waits until want is delivered and returns when it was, failing the
// test after d.
func (s *states) wait(t testing.TB, want kazoo.State, d time.Duration) time.Time {
	t.Helper()
	at, ok := s.waitOK(want, d)
	if !ok {
		t.Fatalf("no %v state within %v", want, d)
	}
	return at
}

// waitOK is wait that reports failure instead of failing the test.
func (s *states) waitOK(want kazoo.State, d time.Duration) (time.Time, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case st, ok := <-s.sub.C():
			if !ok {
				return time.Time{}, false
			}
			if st == want {
				return time.Now(), true
			}
		case <-timer.C:
			return time.Time{}, false
		}
	}
}

// startedCtx is a context that tells when the call it was given to first
// looks at its Done channel, as every call bounded by its context does
// before it waits: from then on the call has begun, in the session current
// at that time. It lets a test hold the call in the wait it is about
// without guessing how long the call takes to get there.
type startedCtx struct {
	context.Context
	once    sync.Once
	started chan struct{}
}

func newStartedCtx(parent context.Context) *startedCtx {
	return &startedCtx{Context: parent, started: make(chan struct{})}
}

func (c *startedCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.started) })
	return c.Context.Done()
}

// waitStarted waits until the call given ctx has begun, failing the test
// after d.
func (c *startedCtx) waitStarted(t testing.TB, what string, d time.Duration) {
	t.Helper()
	select {
	case <-c.started:
	case <-time.After(d):
		t.Fatalf("%s did not start waiting within %v", what, d)
	}
}

// returnsWithin runs f on a goroutine and reports whether it returned
// within d. When it did not, the goroutine is left to the caller's cleanup
// (which must make it return).
func returnsWithin(d time.Duration, f func()) (done <-chan struct{}, ok bool) {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		f()
	}()
	select {
	case <-ch:
		return ch, true
	case <-time.After(d):
		return ch, false
	}
}

// begin marks the call as begun without waiting on ctx: an async call has
// begun once it returned its future.
func (c *startedCtx) begin() { c.once.Do(func() { close(c.started) }) }
