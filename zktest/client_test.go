package zktest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
)

// What the real client sees of the harness's faults.

func connectClient(t *testing.T, servers string, timeout time.Duration) (*kazoo.Client, *kazoo.StateSubscription) {
	t.Helper()
	c := Connect(t, servers, kazoo.WithSessionTimeout(timeout))
	sub := c.SubscribeStates()
	t.Cleanup(sub.Stop)
	waitState(t, sub, kazoo.Connected, time.Second)
	return c, sub
}

func waitState(t *testing.T, sub *kazoo.StateSubscription, want kazoo.State, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case s := <-sub.C():
			if s == want {
				return
			}
		case <-timer.C:
			t.Fatalf("client did not reach %v within %v", want, d)
		}
	}
}

func TestProxyPartitionAsSeenByClient(t *testing.T) {
	p := NewProxy(t, Shared(t).Addr())
	c, sub := connectClient(t, p.Addr(), 3*time.Second)
	id := c.SessionID()
	p.Blackhole()
	waitState(t, sub, kazoo.Suspended, 5*time.Second)
	p.Heal()
	waitState(t, sub, kazoo.Connected, 10*time.Second)
	if c.SessionID() != id {
		t.Errorf("session changed across a short partition: %x -> %x", id, c.SessionID())
	}
}

func TestPausedServerAsSeenByClient(t *testing.T) {
	srv := StartServer(t)
	c, sub := connectClient(t, srv.Addr(), 3*time.Second)
	id := c.SessionID()
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	waitState(t, sub, kazoo.Suspended, 5*time.Second)
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	waitState(t, sub, kazoo.Connected, 10*time.Second)
	if c.SessionID() != id {
		t.Errorf("session changed across a pause: %x -> %x", id, c.SessionID())
	}
	// A killed server: the client waits, Suspended, and resumes its session
	// once the server is back with its data.
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	waitState(t, sub, kazoo.Suspended, 5*time.Second)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	waitState(t, sub, kazoo.Connected, 20*time.Second)
}

func TestExpireSessionAsSeenByClient(t *testing.T) {
	c, sub := connectClient(t, Shared(t).Addr(), 10*time.Second)
	old := c.SessionID()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ExpireSession(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c.State() == kazoo.Connected && c.SessionID() == old {
		t.Fatal("ExpireSession returned while the old session was still in use")
	}
	waitState(t, sub, kazoo.Connected, 10*time.Second)
	if c.SessionID() == old {
		t.Error("no new session after expiry")
	}
}

func TestStartForPrograms(t *testing.T) {
	srv, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	dir := srv.Dir()
	c, _ := connectClient(t, srv.Addr(), 5*time.Second)
	if _, _, err := c.Create(context.Background(), "/x", nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s behind: %v", dir, err)
	}
}
