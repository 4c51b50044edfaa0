package kazoo_test

import (
	"errors"
	"testing"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
)

func TestTxnCommit(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	if _, _, err := c.Create(ctx, "/cfg", []byte("v0")); err != nil {
		t.Fatal(err)
	}
	res, err := c.Txn().
		Create("/a", []byte("1")).
		Create("/seq-", nil, kazoo.WithMode(kazoo.ModePersistentSequential)).
		Set("/cfg", []byte("v1"), 0).
		Check("/cfg", 1).
		Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[0].Path != "/a" || len(res[1].Path) != len("/seq-")+10 || res[2].Stat.Version != 1 {
		t.Fatalf("results %+v", res)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Errorf("op %d: %v", i, r.Err)
		}
	}
	if data, _, _ := c.Get(ctx, "/cfg"); string(data) != "v1" {
		t.Errorf("/cfg = %q", data)
	}
}

func TestTxnFailsHalfwayAndAppliesNothing(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	if _, _, err := c.Create(ctx, "/cfg", []byte("v0")); err != nil {
		t.Fatal(err)
	}
	res, err := c.Txn().
		Create("/new", nil).
		Set("/cfg", []byte("v1"), kazoo.AnyVersion).
		Delete("/missing", kazoo.AnyVersion).
		Create("/other", nil).
		Commit(ctx)
	if !errors.Is(err, kazoo.ErrNoNode) {
		t.Fatalf("Commit = %v, want ErrNoNode from the delete", err)
	}
	var kerr *kazoo.Error
	if !errors.As(err, &kerr) || kerr.Op != "delete" || kerr.Path != "/missing" {
		t.Errorf("error %#v does not name the failing op", err)
	}
	if len(res) != 4 || !errors.Is(res[2].Err, kazoo.ErrNoNode) || !errors.Is(res[3].Err, kazoo.ErrRuntimeInconsistency) {
		t.Errorf("results %+v", res)
	}
	if ok, _, _ := c.Exists(ctx, "/new"); ok {
		t.Error("/new was created by a failed transaction")
	}
	if data, _, _ := c.Get(ctx, "/cfg"); string(data) != "v0" {
		t.Errorf("/cfg = %q after a failed transaction", data)
	}
}

func TestTxnInvalidArguments(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	if _, err := c.Txn().Commit(ctx); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("empty txn: %v", err)
	}
	if _, err := c.Txn().Create("/ok", nil).Delete("bad", -1).Commit(ctx); !errors.Is(err, kazoo.ErrInvalidPath) {
		t.Errorf("invalid path: %v", err)
	}
	if _, err := c.Txn().Create("/p", nil, kazoo.WithParents()).Commit(ctx); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("WithParents in txn: %v", err)
	}
	if ok, _, _ := c.Exists(ctx, "/ok"); ok {
		t.Error("an invalid transaction was sent")
	}
}

func TestMultiRead(t *testing.T) {
	requireOp(t, proto.OpMultiRead)
	c, ctx := connect(t), testCtx(t)
	if _, _, err := c.Create(ctx, "/d", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Create(ctx, "/d/k", nil); err != nil {
		t.Fatal(err)
	}
	res, err := c.MultiRead(ctx, kazoo.GetDataOp("/d"), kazoo.GetChildrenOp("/d"), kazoo.GetDataOp("/missing"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || string(res[0].Data) != "x" || res[0].Stat.NumChildren != 1 ||
		len(res[1].Children) != 1 || res[1].Children[0] != "k" || !errors.Is(res[2].Err, kazoo.ErrNoNode) {
		t.Errorf("MultiRead = %+v", res)
	}
}
