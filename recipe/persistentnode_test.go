package recipe_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/recipe"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestPersistentNodeSurvivesSessionLossWithNewData(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	c, obs := zktest.Connect(t, servers), zktest.Connect(t, servers)
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
	c := zktest.Connect(t, servers)
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
	requireOp(t, proto.OpCreateTTL)
	servers := zktest.Shared(t).Chroot(t) // the shared server enables TTL nodes
	c := zktest.Connect(t, servers)
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

// A reconnect within the session keeps the very same node: no re-creation,
// no window in which the member is missing.
func TestPartyMembershipSurvivesReconnect(t *testing.T) {
	srv := zktest.Shared(t)
	servers := srv.Chroot(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, proxy.Addr()+servers[len(srv.Addr()):])
	obs := zktest.Connect(t, servers)
	ctx := testCtx(t, 30*time.Second)
	p, _ := recipe.NewParty(c, "/party", "me")
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	kids, _, err := obs.Children(ctx, "/party")
	if err != nil || len(kids) != 1 {
		t.Fatalf("party: %v %v", kids, err)
	}
	_, before, _ := obs.Get(ctx, "/party/"+kids[0])
	session := c.SessionID()
	states := c.SubscribeStates()
	defer states.Stop()
	proxy.ResetAll()
	for sawSuspended := false; ; {
		var s kazoo.State
		select {
		case s = <-states.C():
		case <-ctx.Done():
			t.Fatal("no reconnect after the proxy reset the connection")
		}
		sawSuspended = sawSuspended || s == kazoo.Suspended
		if sawSuspended && s == kazoo.Connected {
			break
		}
	}
	if c.SessionID() != session {
		t.Fatal("the session changed: this test wants a reconnect within it")
	}
	if m, err := p.Members(ctx); err != nil || len(m) != 1 {
		t.Fatalf("members after reconnect: %v %v", m, err)
	}
	_, after, err := obs.Get(ctx, "/party/"+kids[0])
	if err != nil || after.Czxid != before.Czxid {
		t.Fatalf("node re-created on reconnect: czxid %d -> %d (%v)", before.Czxid, after.Czxid, err)
	}
}

// Background loops end with their client even if never closed (goleak, in
// TestMain, checks): a PersistentNode, a Party member, a discovery-style
// group member.
func TestBackgroundLoopsEndWithClient(t *testing.T) {
	requireOp(t, proto.OpAddWatch) // GroupMember
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 30*time.Second)
	c, err := kazoo.Connect(ctx, servers)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := recipe.NewPersistentNode(c, "/n", nil)
	p, _ := recipe.NewParty(c, "/party", "x")
	g, _ := recipe.NewGroupMember(c, "/group", "x", nil)
	if err := errors.Join(n.WaitCreated(ctx), p.Join(ctx), g.WaitJoined(ctx)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := n.WaitCreated(ctx); err != nil { // still answers: it was created
		t.Fatal(err)
	}
}
