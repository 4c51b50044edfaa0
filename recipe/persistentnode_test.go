package recipe_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/recipe"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestPersistentNodeSurvivesSessionLossWithNewData(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	c, obs := connect(t, servers), connect(t, servers)
	ctx := testCtx(t, 60*time.Second)
	n, err := recipe.NewPersistentNode(c, "/svc/member", []byte("v1"))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	if err := n.WaitCreated(ctx); err != nil {
		t.Fatal(err)
	}
	data, st, err := obs.Get(ctx, "/svc/member")
	if err != nil || string(data) != "v1" || st.EphemeralOwner != c.SessionID() {
		t.Fatalf("node: %q %v owner %x (client %x)", data, err, st.EphemeralOwner, c.SessionID())
	}
	lost := n.Lost()
	old := c.SessionID()
	expire(t, c)
	if err := n.SetData(ctx, []byte("v2")); err != nil { // while the node is gone
		t.Fatal(err)
	}
	<-lost
	eventually(t, 20*time.Second, "the node re-created by the new session with v2", func() bool {
		data, st, err := obs.Get(ctx, "/svc/member")
		return err == nil && string(data) == "v2" && st.EphemeralOwner == c.SessionID() && st.EphemeralOwner != old
	})
	// Someone deletes it: it comes back.
	if err := obs.Delete(ctx, "/svc/member", kazoo.AnyVersion); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the node re-created after a delete", func() bool {
		data, _, err := obs.Get(ctx, "/svc/member")
		return err == nil && string(data) == "v2"
	})
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := obs.Exists(ctx, "/svc/member"); ok {
		t.Fatal("node still there after Close")
	}
}

func TestPersistentNodeSequentialProtected(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	c := connect(t, servers)
	ctx := testCtx(t, 60*time.Second)
	n, err := recipe.NewPersistentNode(c, "/g/m-", []byte("x"), recipe.WithNodeMode(kazoo.ModeEphemeralSequential))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	if err := n.WaitCreated(ctx); err != nil {
		t.Fatal(err)
	}
	first := n.Path()
	kids, _, _ := c.Children(ctx, "/g")
	if len(kids) != 1 || !bytes.HasPrefix([]byte(kids[0]), []byte("_c_")) || "/g/"+kids[0] != first {
		t.Fatalf("children %v, path %q", kids, first)
	}
	expire(t, c)
	eventually(t, 20*time.Second, "a new sequential node", func() bool {
		p := n.Path()
		kids, _, err := c.Children(ctx, "/g")
		return err == nil && p != "" && p != first && len(kids) == 1 && "/g/"+kids[0] == p
	})
}

func TestPersistentNodeOptions(t *testing.T) {
	if _, err := recipe.NewPersistentNode(nil, "bad", nil); !errors.Is(err, kazoo.ErrInvalidPath) {
		t.Fatalf("relative path: %v", err)
	}
	if _, err := recipe.NewPersistentNode(nil, "/a", nil, recipe.WithNodeTTL(0)); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Fatalf("zero TTL: %v", err)
	}
}

func TestPersistentTTLNodeRecreated(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t) // the shared server enables TTL nodes
	c := connect(t, servers)
	ctx := testCtx(t, 30*time.Second)
	n, err := recipe.NewPersistentNode(c, "/ttl/node", []byte("t"), recipe.WithNodeTTL(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	if err := n.WaitCreated(ctx); err != nil {
		t.Fatal(err)
	}
	_, st, err := c.Get(ctx, "/ttl/node")
	if err != nil || st.EphemeralOwner == c.SessionID() {
		t.Fatalf("TTL node: %v, owner %x", err, st.EphemeralOwner)
	}
	if err := c.Delete(ctx, "/ttl/node", kazoo.AnyVersion); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the TTL node back", func() bool {
		data, _, err := c.Get(ctx, "/ttl/node")
		return err == nil && string(data) == "t"
	})
}
