package recipe_test

import (
	"context"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// testCtx is a context that ends with the test, or after d.
func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// expire expires c's session for real and waits until c saw it.
func expire(t testing.TB, c *kazoo.Client) {
	t.Helper()
	if err := zktest.ExpireSession(testCtx(t, 30*time.Second), c); err != nil {
		t.Fatal(err)
	}
}

// env is what an interop test starts from: a client in a fresh chroot of
// the shared server, the server's address (for workers) and the chroot
// (workers prefix their paths with it).
type env struct {
	c       *kazoo.Client
	ctx     context.Context
	addr    string
	chroot  string
	servers string
}

func newEnv(t *testing.T, d time.Duration) env {
	srv := zktest.Shared(t)
	servers := srv.Chroot(t)
	return env{c: zktest.Connect(t, servers), ctx: testCtx(t, d), addr: srv.Addr(),
		chroot: servers[len(srv.Addr()):], servers: servers}
}

// requireCurator skips interop tests with Curator 5 on servers it does not
// support (it needs 3.5: create2, containers).
func requireCurator(t *testing.T) {
	t.Helper()
	zktest.RequireVersion(t, zktest.Shared(t), proto.Version{Major: 3, Minor: 5})
}

// requireOp skips a test on servers without op.
func requireOp(t *testing.T, op proto.Op) {
	t.Helper()
	zktest.RequireOp(t, zktest.Shared(t), op)
}
