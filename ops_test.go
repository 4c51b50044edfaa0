package kazoo_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestCreateGetSetDelete(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	p, st, err := c.Create(ctx, "/a", []byte("one"))
	if err != nil || p != "/a" {
		t.Fatalf("Create = %q, %v", p, err)
	}
	if create2(t) && (st.Czxid == 0 || st.DataLength != 3) {
		t.Errorf("Create stat = %+v, want czxid set and length 3", st)
	}
	data, st, err := c.Get(ctx, "/a")
	if err != nil || string(data) != "one" || st.Version != 0 {
		t.Fatalf("Get = %q, %+v, %v", data, st, err)
	}
	if _, _, err := c.Create(ctx, "/a", nil); !errors.Is(err, kazoo.ErrNodeExists) {
		t.Errorf("Create existing: %v, want ErrNodeExists", err)
	}
	st, err = c.Set(ctx, "/a", []byte("two"), 0)
	if err != nil || st.Version != 1 {
		t.Fatalf("Set = %+v, %v", st, err)
	}
	if _, err := c.Set(ctx, "/a", []byte("three"), 0); !errors.Is(err, kazoo.ErrBadVersion) {
		t.Errorf("Set stale version: %v, want ErrBadVersion", err)
	}
	if _, err := c.Set(ctx, "/missing", nil, kazoo.AnyVersion); !errors.Is(err, kazoo.ErrNoNode) {
		t.Errorf("Set missing: %v, want ErrNoNode", err)
	}
	if _, _, err := c.Get(ctx, "/missing"); !errors.Is(err, kazoo.ErrNoNode) {
		t.Errorf("Get missing: %v, want ErrNoNode", err)
	}
	var kerr *kazoo.Error
	if _, _, err := c.Get(ctx, "/missing"); !errors.As(err, &kerr) || kerr.Op != "getData" || kerr.Path != "/missing" {
		t.Errorf("Get missing error = %#v, want op getData, path /missing", err)
	}
	if err := c.Delete(ctx, "/a", 0); !errors.Is(err, kazoo.ErrBadVersion) {
		t.Errorf("Delete stale version: %v, want ErrBadVersion", err)
	}
	if err := c.Delete(ctx, "/a", 1); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if ok, _, err := c.Exists(ctx, "/a"); ok || err != nil {
		t.Errorf("Exists after delete = %v, %v", ok, err)
	}
	if err := c.Delete(ctx, "/a", kazoo.AnyVersion); !errors.Is(err, kazoo.ErrNoNode) {
		t.Errorf("Delete missing: %v, want ErrNoNode", err)
	}
}

func TestEmptyAndNilData(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	if _, _, err := c.Create(ctx, "/nil", nil); err != nil {
		t.Fatal(err)
	}
	data, st, err := c.Get(ctx, "/nil")
	if err != nil || len(data) != 0 || st.DataLength != 0 {
		t.Fatalf("Get = %q, %+v, %v", data, st, err)
	}
}

func TestCreateModes(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	p1, _, err := c.Create(ctx, "/seq-", nil, kazoo.WithMode(kazoo.ModePersistentSequential))
	if err != nil {
		t.Fatal(err)
	}
	p2, _, err := c.Create(ctx, "/seq-", nil, kazoo.WithMode(kazoo.ModePersistentSequential))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p1, "/seq-") || len(p1) != len("/seq-")+10 || p2 <= p1 {
		t.Errorf("sequential paths %q, %q", p1, p2)
	}
	p, st, err := c.Create(ctx, "/eph", nil, kazoo.WithMode(kazoo.ModeEphemeral))
	if err != nil || p != "/eph" || (create2(t) && st.EphemeralOwner != c.SessionID()) {
		t.Fatalf("ephemeral: %q %+v %v (session %x)", p, st, err, c.SessionID())
	}
	if _, _, err := c.Create(ctx, "/eph/child", nil); !errors.Is(err, kazoo.ErrNoChildrenForEphemerals) {
		t.Errorf("child of ephemeral: %v", err)
	}
	if eph, err := c.GetEphemerals(ctx, "/"); supported(t, proto.OpGetEphemerals) && (err != nil || !slices.Equal(eph, []string{"/eph"})) {
		t.Errorf("GetEphemerals = %v, %v", eph, err)
	}
	// Parents.
	if _, _, err := c.Create(ctx, "/x/y/z", []byte("d")); !errors.Is(err, kazoo.ErrNoNode) {
		t.Errorf("create without parents: %v", err)
	}
	if p, _, err := c.Create(ctx, "/x/y/z", []byte("d"), kazoo.WithParents()); err != nil || p != "/x/y/z" {
		t.Fatalf("create with parents: %q %v", p, err)
	}
	if n, err := c.GetAllChildrenNumber(ctx, "/x"); supported(t, proto.OpGetAllChildrenNumber) && (err != nil || n != 2) {
		t.Errorf("GetAllChildrenNumber = %d, %v; want 2", n, err)
	}
}

func TestContainerAndTTL(t *testing.T) {
	requireOp(t, proto.OpCreateTTL)
	c, ctx := connect(t), testCtx(t)
	if _, _, err := c.Create(ctx, "/box", nil, kazoo.WithMode(kazoo.ModeContainer)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Create(ctx, "/box/item", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "/box/item", kazoo.AnyVersion); err != nil {
		t.Fatal(err)
	}
	// The shared server checks containers every 100ms.
	waitGone(t, c, "/box")

	if _, _, err := c.Create(ctx, "/ttl", nil, kazoo.WithMode(kazoo.ModePersistentTTL), kazoo.WithTTL(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c, "/ttl")
}

func waitGone(t *testing.T, c *kazoo.Client, path string) {
	t.Helper()
	ctx := testCtx(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, _, ch, err := c.ExistsW(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return
		}
		select {
		case <-ch:
		case <-time.After(time.Until(deadline)):
			t.Fatalf("%s still exists", path)
		}
	}
}

func TestInvalidArguments(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	for _, p := range []string{"", "a", "/a/", "//", "/a//b", "/a/./b", "/a/../b", "/a\x00b", "/a\x01", "/\U0001F600"} {
		if _, _, err := c.Get(ctx, p); !errors.Is(err, kazoo.ErrInvalidPath) {
			t.Errorf("Get(%q) = %v, want ErrInvalidPath", p, err)
		}
		if _, _, err := c.Create(ctx, p, nil); !errors.Is(err, kazoo.ErrInvalidPath) {
			t.Errorf("Create(%q) = %v, want ErrInvalidPath", p, err)
		}
	}
	// A sequential create may end in "/": the server appends the digits.
	if p, _, err := c.Create(ctx, "/", nil, kazoo.WithMode(kazoo.ModePersistentSequential)); err != nil || len(p) != 11 {
		t.Errorf("sequential create of / = %q, %v", p, err)
	}
	cases := []struct {
		name string
		opts []kazoo.CreateOption
	}{
		{"ttl without ttl mode", []kazoo.CreateOption{kazoo.WithTTL(time.Second)}},
		{"ttl mode without ttl", []kazoo.CreateOption{kazoo.WithMode(kazoo.ModePersistentTTL)}},
		{"ttl too large", []kazoo.CreateOption{kazoo.WithMode(kazoo.ModePersistentTTL), kazoo.WithTTL(1 << 62)}},
		{"unknown mode", []kazoo.CreateOption{kazoo.WithMode(42)}},
		{"empty acl", []kazoo.CreateOption{kazoo.WithACL()}},
	}
	for _, tc := range cases {
		if _, _, err := c.Create(ctx, "/bad", nil, tc.opts...); !errors.Is(err, kazoo.ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", tc.name, err)
		}
	}
	if _, err := c.Set(ctx, "/bad", nil, -2); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("Set version -2: %v", err)
	}
	if err := c.Delete(ctx, "/", kazoo.AnyVersion); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("Delete /: %v", err)
	}
	// Nothing of the above reached the server.
	if kids, _, err := c.Children(ctx, "/"); err != nil || len(kids) != 1 {
		t.Errorf("children after invalid calls = %v, %v; want only the sequential node", kids, err)
	}
}

func TestDataTooLarge(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	big := make([]byte, 1<<20)
	if _, _, err := c.Create(ctx, "/big", big); !errors.Is(err, kazoo.ErrDataTooLarge) {
		t.Fatalf("Create 1 MiB: %v, want ErrDataTooLarge", err)
	}
	// The connection is intact and nothing was created.
	if ok, _, err := c.Exists(ctx, "/big"); ok || err != nil {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
	// Just under the limit works.
	okData := bytes.Repeat([]byte("x"), 1000000)
	if _, _, err := c.Create(ctx, "/big", okData); err != nil {
		t.Fatalf("Create 1e6 bytes: %v", err)
	}
	data, _, err := c.Get(ctx, "/big")
	if err != nil || !bytes.Equal(data, okData) {
		t.Fatalf("Get big: len %d, %v", len(data), err)
	}
}

func TestChildren(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	for _, n := range []string{"a", "b", "c"} {
		if _, _, err := c.Create(ctx, "/"+n, nil); err != nil {
			t.Fatal(err)
		}
	}
	kids, st, err := c.Children(ctx, "/")
	slices.Sort(kids)
	if err != nil || !slices.Equal(kids, []string{"a", "b", "c"}) || st.NumChildren != 3 {
		t.Fatalf("Children = %v, %+v, %v", kids, st, err)
	}
	if _, _, err := c.Children(ctx, "/missing"); !errors.Is(err, kazoo.ErrNoNode) {
		t.Errorf("Children missing: %v", err)
	}
	if err := c.Delete(ctx, "/", kazoo.AnyVersion); err == nil {
		t.Error("Delete of chroot root with children succeeded")
	}
	if _, _, err := c.Create(ctx, "/a/deep/er", nil, kazoo.WithParents()); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "/a", kazoo.AnyVersion); !errors.Is(err, kazoo.ErrNotEmpty) {
		t.Errorf("Delete non-empty: %v, want ErrNotEmpty", err)
	}
	if err := c.DeleteRecursive(ctx, "/a"); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := c.Exists(ctx, "/a"); ok {
		t.Error("/a survived DeleteRecursive")
	}
	if err := c.DeleteRecursive(ctx, "/a"); err != nil {
		t.Errorf("DeleteRecursive of missing node: %v", err)
	}
}

func TestEnsurePathAndSync(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	if err := c.EnsurePath(ctx, "/p/q/r"); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsurePath(ctx, "/p/q/r"); err != nil {
		t.Fatalf("second EnsurePath: %v", err)
	}
	if err := c.Sync(ctx, "/p"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := c.Exists(ctx, "/p/q/r"); !ok || err != nil {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
}

func TestACL(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	if _, _, err := c.Create(ctx, "/open", nil); err != nil {
		t.Fatal(err)
	}
	acl, st, err := c.GetACL(ctx, "/open")
	if err != nil || !slices.Equal(acl, kazoo.OpenACLUnsafe) || st.Aversion != 0 {
		t.Fatalf("GetACL = %v, %+v, %v", acl, st, err)
	}
	if _, err := c.SetACL(ctx, "/open", kazoo.ReadACLUnsafe, 5); !errors.Is(err, kazoo.ErrBadVersion) {
		t.Errorf("SetACL stale: %v", err)
	}
	if _, err := c.SetACL(ctx, "/open", kazoo.ReadACLUnsafe, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set(ctx, "/open", []byte("x"), kazoo.AnyVersion); !errors.Is(err, kazoo.ErrNoAuth) {
		t.Errorf("Set on read-only ACL: %v, want ErrNoAuth", err)
	}

	// Digest auth: only the owner may read.
	if err := c.AddAuth(ctx, "digest", []byte("alice:secret")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Create(ctx, "/private", []byte("s"), kazoo.WithACL(kazoo.DigestACL(kazoo.PermAll, "alice", "secret"))); err != nil {
		t.Fatal(err)
	}
	// The harness cannot list a node it may not read: leave none behind.
	t.Cleanup(func() { c.Delete(context.Background(), "/private", kazoo.AnyVersion) })
	if _, _, err := c.Get(ctx, "/private"); err != nil {
		t.Fatalf("owner Get: %v", err)
	}
	who, err := c.WhoAmI(ctx)
	if supported(t, proto.OpWhoAmI) && (err != nil || !slices.ContainsFunc(who, func(ci kazoo.ClientInfo) bool { return ci.AuthScheme == "digest" && ci.User == "alice" })) {
		t.Errorf("WhoAmI = %v, %v", who, err)
	}
	stranger := zktest.Connect(t, zktest.Shared(t).Addr()+c.Chroot())
	if _, _, err := stranger.Get(ctx, "/private"); !errors.Is(err, kazoo.ErrNoAuth) {
		t.Errorf("stranger Get: %v, want ErrNoAuth", err)
	}
	friend := zktest.Connect(t, zktest.Shared(t).Addr()+c.Chroot(), kazoo.WithAuth("digest", []byte("alice:secret")))
	if data, _, err := friend.Get(ctx, "/private"); err != nil || string(data) != "s" {
		t.Errorf("WithAuth Get = %q, %v", data, err)
	}
}

func TestAuthFailedIsTerminal(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	sub := c.SubscribeStates()
	defer sub.Stop()
	err := c.AddAuth(ctx, "no-such-scheme", []byte("x"))
	if !errors.Is(err, kazoo.ErrAuthFailed) {
		t.Fatalf("AddAuth bogus scheme: %v, want ErrAuthFailed", err)
	}
	waitState(t, sub, kazoo.Closed, 10*time.Second)
	if _, _, err := c.Get(ctx, "/"); !errors.Is(err, kazoo.ErrAuthFailed) {
		t.Errorf("Get after auth failure: %v, want ErrAuthFailed", err)
	}
}

func TestServerVersionAndFourLetterWords(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	v, err := c.ServerVersion(ctx)
	if err != nil || v.Major != 3 {
		t.Fatalf("ServerVersion = %v, %v", v, err)
	}
	if want := zktest.Shared(t).Version(); v != want {
		t.Errorf("ServerVersion = %v, zktest says %v", v, want)
	}
	ans, err := kazoo.FourLetterWord(ctx, zktest.Shared(t).Addr(), "ruok")
	if err != nil || ans != "imok" {
		t.Errorf("ruok = %q, %v", ans, err)
	}
	mntr, err := kazoo.FourLetterWord(ctx, zktest.Shared(t).Addr(), "mntr")
	if err != nil || !strings.Contains(mntr, "zk_version") || !strings.Contains(mntr, "zk_znode_count") {
		t.Errorf("mntr = %q, %v", mntr, err)
	}
	if _, err := kazoo.FourLetterWord(ctx, zktest.Shared(t).Addr(), "toolong"); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("bad word: %v", err)
	}
}
