package kazoo_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// TestUnsupportedOperationsFailClearly checks that every operation the
// server's version lacks fails at once with ErrUnsupported, and sends
// nothing that could hang. It asserts only on servers that lack something.
func TestUnsupportedOperationsFailClearly(t *testing.T) {
	srv := zktest.Shared(t)
	if !srv.Version().Less(proto.Version{Major: 3, Minor: 7}) {
		t.Skipf("zktest: ZooKeeper %s has every operation this test covers", srv.Version())
	}
	c, ctx := connect(t), testCtx(t)
	lacks := func(op proto.Op) bool { since, _ := op.Since(); return srv.Version().Less(since) }
	checks := map[proto.Op]func() error{
		proto.OpWhoAmI:               func() error { _, err := c.WhoAmI(ctx); return err },
		proto.OpAddWatch:             func() error { _, err := c.AddWatch(ctx, "/", true); return err },
		proto.OpMultiRead:            func() error { _, err := c.MultiRead(ctx, kazoo.GetDataOp("/")); return err },
		proto.OpGetEphemerals:        func() error { _, err := c.GetEphemerals(ctx, "/"); return err },
		proto.OpGetAllChildrenNumber: func() error { _, err := c.GetAllChildrenNumber(ctx, "/"); return err },
		proto.OpCreateTTL: func() error {
			_, _, err := c.Create(ctx, "/ttl", nil, kazoo.WithMode(kazoo.ModePersistentTTL), kazoo.WithTTL(time.Second))
			return err
		},
		proto.OpCreateContainer: func() error {
			_, _, err := c.Create(ctx, "/box", nil, kazoo.WithMode(kazoo.ModeContainer))
			return err
		},
		proto.OpRemoveWatches: func() error { return c.RemoveWatches(ctx, "/", kazoo.WatchAny) },
		proto.OpCheckWatches:  func() error { return c.CheckWatches(ctx, "/", kazoo.WatchAny) },
	}
	for op, call := range checks {
		if !lacks(op) {
			continue
		}
		if err := call(); !errors.Is(err, kazoo.ErrUnsupported) {
			t.Errorf("%v on ZooKeeper %s: %v, want ErrUnsupported", op, srv.Version(), err)
		}
	}
	// The connection is still fine.
	if _, _, err := c.Get(ctx, "/"); err != nil {
		t.Fatal(err)
	}
}

// TestReconfigOnStandalone: a standalone server cannot reconfigure; the
// client gets the server's refusal at once, not a hang.
func TestReconfigOnStandalone(t *testing.T) {
	requireOp(t, proto.OpReconfig)
	c, ctx := connect(t), testCtx(t)
	_, _, err := c.Reconfig(ctx, "", "", "server.1=127.0.0.1:2888:3888;2181", -1)
	var kerr *kazoo.Error
	if !errors.As(err, &kerr) || kerr.Code == proto.CodeOK {
		t.Fatalf("Reconfig on a standalone server: %v, want a server error code", err)
	}
	t.Logf("server refused: %v", err)
}
