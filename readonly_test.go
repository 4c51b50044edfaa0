package kazoo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestReadOnlyMode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-member ensemble")
	}
	// A read-only server can only open local sessions.
	cl := zktest.StartCluster(t, 3, zktest.WithJVMFlag("-Dreadonlymode.enabled=true"),
		zktest.WithProperty("localSessionsEnabled", "true"), zktest.WithProperty("localSessionsUpgradingEnabled", "true"))
	ctx := testCtx(t)
	setup := connectTo(t, cl.ConnString())
	if _, _, err := setup.Create(ctx, "/ro", []byte("data")); err != nil {
		t.Fatal(err)
	}
	setup.Close()

	// Two members down: the last one has no quorum and serves reads only.
	for i := 1; i < 3; i++ {
		if err := cl.Member(i).Stop(); err != nil {
			t.Fatal(err)
		}
	}
	survivor := cl.Member(0)
	// It serves read-only only once it gave up on the quorum: wait for it,
	// or the client meets it still leading or between roles.
	for deadline := time.Now().Add(60 * time.Second); ; {
		if ans, err := kazoo.FourLetterWord(ctx, survivor.Addr(), "isro"); err == nil && ans == "ro" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the surviving member did not serve read-only within 60s")
		}
		time.Sleep(100 * time.Millisecond) // polling the server's own answer, with a deadline
	}
	c := connectTo(t, survivor.Addr()+","+cl.Member(1).Addr(), kazoo.WithReadOnly(true), kazoo.WithSessionTimeout(4*time.Second))
	if c.State() != kazoo.ReadOnly {
		t.Fatalf("state %v, want ReadOnly", c.State())
	}
	if data, _, err := c.Get(ctx, "/ro"); err != nil || string(data) != "data" {
		t.Fatalf("read in read-only mode: %q, %v", data, err)
	}
	if _, err := c.Set(ctx, "/ro", []byte("x"), kazoo.AnyVersion); !errors.Is(err, kazoo.ErrNotReadOnly) {
		t.Errorf("write in read-only mode: %v, want ErrNotReadOnly", err)
	}

	// Quorum back: the client finds a read-write server by itself. Its
	// read-only session was local to that server, so the move may cost a
	// new session (Lost, then Connected), as with the reference client.
	sub := c.SubscribeStates()
	defer sub.Stop()
	if err := cl.Member(1).Start(); err != nil {
		t.Fatal(err)
	}
	waitState(t, sub, kazoo.Connected, 60*time.Second)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err := c.Retry(wctx, func(ctx context.Context) error {
		_, err := c.Set(ctx, "/ro", []byte("x"), kazoo.AnyVersion)
		return err
	})
	if err != nil {
		t.Errorf("write after quorum returned: %v", err)
	}
}
