package zktest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/internal/rawclient"
	"github.com/kazoo-go/kazoo/proto"
)

// M is what a TestMain runs: *testing.M, or a wrapper such as the one
// [Main] returns. goleak.VerifyTestMain accepts it too.
type M interface {
	Run() int
}

// shared is the package's shared server, started by the first Shared call.
var shared struct {
	mu      sync.Mutex
	enabled bool     // Main was called
	opts    []Option // from Main
	srv     *Server
	dir     string
	err     error // a failed start is not retried
	started bool
}

type mainM struct{ m M }

// Run runs the tests, then stops the shared server if a test started it.
// When tests failed, the tail of the shared server's log goes to stderr
// (no single test owns it, so t.Log cannot show it).
func (w mainM) Run() int {
	code := w.m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.shutdown()
		if code != 0 {
			fmt.Fprintf(os.Stderr, "zktest: log of the shared ZooKeeper server %s:\n%s\n", shared.srv.Addr(), shared.srv.readLog(0))
		}
		shared.srv = nil
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
		shared.dir = ""
	}
	return code
}

// Main enables the shared server of a test package: one ZooKeeper server,
// started the first time a test calls [Shared] and stopped once every test
// has run, so that a package's tests share the JVM's startup cost. opts
// configure that server. Call it from TestMain and run what it returns:
//
//	func TestMain(m *testing.M) {
//		os.Exit(zktest.Main(m).Run())
//	}
//
// or, checking for leaked goroutines as well:
//
//	func TestMain(m *testing.M) {
//		goleak.VerifyTestMain(zktest.Main(m))
//	}
func Main(m M, opts ...Option) M {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.enabled = true
	shared.opts = opts
	return mainM{m}
}

// Shared returns the package's shared server, starting it on first use. It
// is a standalone server with TTL nodes enabled ([WithExtendedTypes]) and a
// 100 ms container check interval, plus the options given to [Main]. Tests
// must not stop, kill or pause it: give each test its own namespace with
// [Server.Chroot], and use [StartServer] for tests that abuse their server.
//
// It fails the test when the package's TestMain does not run through
// [Main], since nothing would stop the server then.
func Shared(t testing.TB) *Server {
	t.Helper()
	srv, err := sharedServer()
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// errNoMain is why there is no shared server without Main.
var errNoMain = errors.New("zktest: the test package's TestMain must run its tests through zktest.Main (see the zktest package documentation)")

// sharedServer returns the shared server, starting it on first use.
func sharedServer() (*Server, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.enabled {
		return nil, errNoMain
	}
	if !shared.started {
		shared.started = true
		shared.srv, shared.err = startShared()
	}
	return shared.srv, shared.err
}

func startShared() (*Server, error) {
	dir, err := os.MkdirTemp("", "zktest-shared-")
	if err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	shared.dir = dir
	opts := append([]Option{WithExtendedTypes(), WithContainerCheckInterval(100 * time.Millisecond)}, shared.opts...)
	s, err := newServer(dir, 0, nil, opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := s.startFirst(); err != nil {
		msg := fmt.Sprintf("%v\n%s", err, s.readLog(0))
		s.shutdown()
		return nil, fmt.Errorf("zktest: shared server: %s", msg)
	}
	slog.Debug("zktest: shared ZooKeeper server started", "addr", s.Addr(), "version", s.Version().String(), "took", time.Since(start))
	return s, nil
}

var (
	chrootSeq   atomic.Int64
	unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)
)

// Chroot creates a fresh node for the calling test and returns a connection
// string for this server with that node as chroot, e.g.
// "127.0.0.1:35517/zktest-TestLock_fair-7": the client then sees the node as
// its root. The node is named after the test and a process-wide counter, so
// each call gets a new one. t.Cleanup deletes it and everything below it
// (best effort: nodes still held by a live session may survive).
func (s *Server) Chroot(t testing.TB) string {
	t.Helper()
	name := unsafeChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 100 {
		name = name[:100]
	}
	path := fmt.Sprintf("/zktest-%s-%d", name, chrootSeq.Add(1))
	if err := s.createChroot(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := withRaw(ctx, s.Addr(), func(c *rawclient.Conn) error { return c.DeleteAll(path) }); err != nil {
			t.Logf("zktest: removing chroot %s: %v", path, err)
		}
	})
	return s.Addr() + path
}

// createChroot creates the node path, a chroot for a connection string.
func (s *Server) createChroot(path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := withRaw(ctx, s.Addr(), func(c *rawclient.Conn) error {
		_, err := c.Create(path, nil, proto.FlagPersistent)
		return err
	}); err != nil {
		return fmt.Errorf("zktest: creating chroot %s on %s: %w", path, s.Addr(), err)
	}
	return nil
}

// withRaw runs f on a fresh raw session to addr, then closes the session.
func withRaw(ctx context.Context, addr string, f func(*rawclient.Conn) error) error {
	c, err := rawclient.Dial(ctx, addr, 10*time.Second)
	if err != nil {
		return err
	}
	err = f(c)
	if cerr := c.CloseSession(); err == nil {
		err = cerr
	}
	return err
}
