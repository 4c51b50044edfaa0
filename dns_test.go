package kazoo_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// movingResolver answers one name with an address the test changes, as a
// DNS record updated when a server moves.
type movingResolver struct {
	name string
	mu   sync.Mutex
	ip   string
	asks map[string]int // lookups per answer given
}

func (r *movingResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if host != r.name {
		return nil, fmt.Errorf("no such host %q", host)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asks[r.ip]++
	return []string{r.ip}, nil
}

func (r *movingResolver) set(ip string) {
	r.mu.Lock()
	r.ip = ip
	r.mu.Unlock()
}

// TestReconnectResolvesAMovedServer moves a server, data and all, to
// another loopback address while a client connected by name is
// disconnected; once the name resolves to the new address, the client
// reconnects there by itself, and its session (and ephemeral node)
// survived.
func TestReconnectResolvesAMovedServer(t *testing.T) {
	srv := zktest.StartServer(t)
	r := &movingResolver{name: "zk.kazoo.test", ip: "127.0.0.1", asks: map[string]int{}}
	servers := net.JoinHostPort(r.name, strconv.Itoa(srv.Port()))
	c := zktest.Connect(t, servers, kazoo.WithResolver(r), kazoo.WithSessionTimeout(30*time.Second))
	ctx := testCtx(t)
	if _, _, err := c.Create(ctx, "/here", nil, kazoo.WithMode(kazoo.ModeEphemeral)); err != nil {
		t.Fatal(err)
	}
	id := c.SessionID()
	sub := c.SubscribeStates()
	defer sub.Stop()

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	waitState(t, sub, kazoo.Suspended, 20*time.Second)
	// A reconnect looks the name up again, and gets the old address while
	// the resolver still gives it: wait for one before the move (the
	// first may come after a backoff).
	waitFor(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.asks["127.0.0.1"] >= 2
	})
	if err := srv.MoveTo("127.0.0.2"); err != nil {
		t.Fatal(err)
	}
	r.set("127.0.0.2")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	waitState(t, sub, kazoo.Connected, 30*time.Second)
	if got, want := c.ConnectedServer(), srv.Addr(); got != want || want != net.JoinHostPort("127.0.0.2", strconv.Itoa(srv.Port())) {
		t.Fatalf("connected to %s, want the moved server at %s", got, want)
	}
	if c.SessionID() != id {
		t.Errorf("session %x after the move, want %x resumed", c.SessionID(), id)
	}
	if ok, _, err := c.Exists(ctx, "/here"); err != nil || !ok {
		t.Errorf("the session's ephemeral node after the move: exists %v, %v", ok, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.asks["127.0.0.2"] < 1 {
		t.Errorf("lookups per answer: %v; want the name resolved on each connection", r.asks)
	}
}
