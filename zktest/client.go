package zktest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
)

// Connect connects a kazoo client to servers (a connection string, such as
// one from [Server.Chroot]) with opts, and closes it when the test ends. It
// fails the test, naming servers and the error, when no session is
// established within 30 seconds.
func Connect(t testing.TB, servers string, opts ...kazoo.Option) *kazoo.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kazoo.Connect(ctx, servers, opts...)
	if err != nil {
		t.Fatalf("zktest: connecting to %s: %v", servers, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// ExampleServers returns a connection string for a testable example (which
// has no testing.TB for [Shared]), rooted in a fresh node named after name,
// e.g. "127.0.0.1:41234/example-lock-3". The node is on the package's shared
// server, started on first use and stopped by [Main] after the examples; the
// counter in its name gives an example run again by -count a fresh one. It
// panics when the server cannot be started or the node created, since an
// example has no other way to fail:
//
//	func ExampleLock() {
//		client, err := kazoo.Connect(ctx, zktest.ExampleServers("lock"))
//		...
//	}
func ExampleServers(name string) string {
	srv, err := sharedServer()
	if err != nil {
		panic(err)
	}
	path := fmt.Sprintf("/example-%s-%d", unsafeChars.ReplaceAllString(name, "_"), chrootSeq.Add(1))
	if err := srv.createChroot(path); err != nil {
		panic(err)
	}
	return srv.Addr() + path
}
