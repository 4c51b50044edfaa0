package faults

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// Item 1: a member that lost its quorum serves reads only, and a client
// that allows it connects ReadOnly, then finds a read-write server by itself
// once the quorum is back. The test waits for the member to serve
// read-only before it connects: right after the others stop, the member
// may still be the leader or be between roles.
func TestReadOnlyMember(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-member ensemble")
	}
	// A read-only server can only open local sessions.
	cl := zktest.StartCluster(t, 3, zktest.WithJVMFlag("-Dreadonlymode.enabled=true"),
		zktest.WithProperty("localSessionsEnabled", "true"), zktest.WithProperty("localSessionsUpgradingEnabled", "true"))
	ctx := testCtx(t, 3*time.Minute)
	setup := zktest.Connect(t, cl.ConnString())
	if _, _, err := setup.Create(ctx, "/ro", []byte("data")); err != nil {
		t.Fatal(err)
	}
	setup.Close()

	for i := 1; i < 3; i++ {
		if err := cl.Member(i).Stop(); err != nil {
			t.Fatal(err)
		}
	}
	survivor := cl.Member(0)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ans, err := survivor.FourLetter(ctx, "isro")
		if err == nil && strings.TrimSpace(ans) == "ro" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the survivor does not serve read-only 60s after losing its quorum: isro = %q, %v", ans, err)
		}
		time.Sleep(100 * time.Millisecond) // polling the server's own answer, with a deadline
	}

	c := zktest.Connect(t, survivor.Addr()+","+cl.Member(1).Addr(), kazoo.WithReadOnly(true), kazoo.WithSessionTimeout(4*time.Second))
	if c.State() != kazoo.ReadOnly {
		t.Fatalf("state %v with the only reachable member serving read-only, want ReadOnly", c.State())
	}
	if data, _, err := c.Get(ctx, "/ro"); err != nil || string(data) != "data" {
		t.Fatalf("read in read-only mode: %q, %v", data, err)
	}
	if _, err := c.Set(ctx, "/ro", []byte("x"), kazoo.AnyVersion); !errors.Is(err, kazoo.ErrNotReadOnly) {
		t.Errorf("write in read-only mode: %v, want ErrNotReadOnly", err)
	}

	// Quorum back: the client moves to a read-write server by itself (its
	// read-only session was local, so the move may cost a new session).
	st := watchStates(t, c)
	if err := cl.Member(1).Start(); err != nil {
		t.Fatal(err)
	}
	st.wait(t, kazoo.Connected, 60*time.Second)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := c.Retry(wctx, func(ctx context.Context) error {
		_, err := c.Set(ctx, "/ro", []byte("x"), kazoo.AnyVersion)
		return err
	}); err != nil {
		t.Errorf("write once the quorum is back: %v", err)
	}
}
