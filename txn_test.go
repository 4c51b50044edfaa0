package kazoo_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
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

// A transaction of thousands of operations (more than one of the blocks
// the builder keeps them in) is sent in order, and each result answers its
// own operation.
func TestTxnLarge(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	const n = 3000
	create, set := c.Txn(), c.Txn()
	for i := range n {
		p := fmt.Sprintf("/n%04d", i)
		create.Create(p, nil)
		set.Set(p, []byte(p), 0)
	}
	res, err := create.Commit(ctx)
	if err != nil || len(res) != n {
		t.Fatalf("create: %d results, %v", len(res), err)
	}
	for i, r := range res {
		if want := fmt.Sprintf("/n%04d", i); r.Op != "create" || r.Path != want || r.Err != nil {
			t.Fatalf("create result %d: %+v, want %s", i, r, want)
		}
	}
	if res, err = set.Commit(ctx); err != nil || len(res) != n {
		t.Fatalf("set: %d results, %v", len(res), err)
	}
	for i, r := range res {
		if want := fmt.Sprintf("/n%04d", i); r.Op != "setData" || r.Path != want || r.Stat.Version != 1 || r.Stat.DataLength != int32(len(want)) {
			t.Fatalf("set result %d: %+v, want %s at version 1", i, r, want)
		}
	}
	if zktest.Shared(t).Version().Less(proto.Version{Major: 3, Minor: 6}) {
		return // no multiRead
	}
	reads := []kazoo.ReadOp{kazoo.GetDataOp("/n2999"), kazoo.GetChildrenOp("/"), kazoo.GetDataOp("/missing")}
	got, err := c.MultiRead(ctx, reads...)
	if err != nil || len(got) != 3 || string(got[0].Data) != "/n2999" || len(got[1].Children) != n || !errors.Is(got[2].Err, kazoo.ErrNoNode) {
		t.Fatalf("MultiRead = %+v, %v", got, err)
	}
}

// A transaction's cost does not grow with an allocation per operation: its
// operations are kept in blocks and its results decoded straight into the
// slice returned.
func TestTxnAllocationsDoNotGrowPerOperation(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations of large transactions")
	}
	// Without a chroot: joining one to each path costs an allocation.
	servers := zktest.Shared(t).Chroot(t)
	addr, root, _ := strings.Cut(servers, "/")
	c, ctx := zktest.Connect(t, addr), testCtx(t)
	const n = 2000
	paths := make([]string, n)
	create := c.Txn()
	for i := range paths {
		paths[i] = fmt.Sprintf("/%s/n%04d", root, i)
		create.Create(paths[i], nil)
	}
	if _, err := create.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	data := []byte("x")
	commit := func() {
		tx := c.Txn()
		for _, p := range paths {
			tx.Set(p, data, kazoo.AnyVersion)
		}
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	commit() // the connection's buffers grow to a transaction's size once
	const runs = 5
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		commit()
	}
	runtime.ReadMemStats(&after)
	allocs := float64(after.Mallocs-before.Mallocs) / runs
	bytes := float64(after.TotalAlloc-before.TotalAlloc) / runs / n
	// About 20 allocations: the operations' blocks, the request, the
	// results. The bytes: an operation (56 B, and the blocks' spare room)
	// and its result (168 B). Kept in a slice grown by doubling, and
	// decoded into results of proto's before those returned, it was twice
	// that.
	if allocs > 60 || bytes > 320 {
		t.Errorf("a transaction of %d sets allocates %v times and %.0f B per operation, want a few dozen times and at most 320 B", n, allocs, bytes)
	}
}
