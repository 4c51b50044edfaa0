package zktest

import (
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/internal/rawclient"
	"github.com/kazoo-go/kazoo/proto"
)

// TestCluster3 kills the leader of a 3-member ensemble: the other two elect
// a new one and keep serving, and the old leader rejoins as a follower with
// the writes it missed.
func TestCluster3(t *testing.T) {
	c := StartCluster(t, 3)
	if n := len(strings.Split(c.ConnString(), ",")); n != 3 {
		t.Fatalf("ConnString %q", c.ConnString())
	}
	leader, err := c.Leader()
	if err != nil {
		t.Fatal(err)
	}
	follower := (leader + 1) % 3
	w := dial(t, c.Member(follower).Addr())
	if _, err := w.Create("/before", []byte("1"), proto.FlagPersistent); err != nil {
		t.Fatal(err)
	}

	if err := c.Member(leader).Kill(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 60*time.Second)
	newLeader, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if newLeader == leader {
		t.Fatalf("killed member %d is still leader", leader)
	}
	if err := c.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	// Any survivor serves the old data and takes new writes (2 of 3 are
	// a quorum).
	other := 3 - leader - follower
	r := dial(t, c.Member(other).Addr())
	if data, _, err := r.Get("/before"); err != nil || string(data) != "1" {
		t.Fatalf("Get after the leader died = %q, %v", data, err)
	}
	if _, err := r.Create("/after", []byte("2"), proto.FlagPersistent); err != nil {
		t.Fatal(err)
	}

	if err := c.Member(leader).Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.Member(leader).WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	back := dial(t, c.Member(leader).Addr())
	// A sync makes the rejoined member catch up before the read.
	if _, err := back.Call(proto.OpSync, &proto.PathRequest{Path: "/"}, nil); err != nil {
		t.Fatal(err)
	}
	if data, _, err := back.Get("/after"); err != nil || string(data) != "2" {
		t.Fatalf("Get on the rejoined member = %q, %v", data, err)
	}
	if mode, err := c.Member(leader).Mode(ctx); err != nil || mode != "follower" {
		t.Errorf("rejoined member is %q (%v), want follower", mode, err)
	}
}

// TestCluster5 checks that a 5-member ensemble starts, survives two members
// lost (one killed, one paused), and that a paused member comes back.
func TestCluster5(t *testing.T) {
	if testing.Short() {
		t.Skip("5 JVMs: skipped in -short mode")
	}
	c := StartCluster(t, 5)
	leader, err := c.Leader()
	if err != nil {
		t.Fatal(err)
	}
	a, b, live := (leader+1)%5, (leader+2)%5, (leader+3)%5
	if err := c.Member(a).Kill(); err != nil {
		t.Fatal(err)
	}
	if err := c.Member(b).Pause(); err != nil {
		t.Fatal(err)
	}
	w := dial(t, c.Member(live).Addr(), rawclient.WithCallTimeout(20*time.Second))
	if _, err := w.Create("/three-of-five", nil, proto.FlagPersistent); err != nil {
		t.Fatal(err)
	}
	if err := c.Member(b).Resume(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 60*time.Second)
	if err := c.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
}
