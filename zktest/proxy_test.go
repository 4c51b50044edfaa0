package zktest

import (
	"context"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/internal/rawclient"
	"github.com/kazoo-go/kazoo/proto"
)

func TestProxyPass(t *testing.T) {
	srv := Shared(t)
	p := NewProxy(t, srv.Addr())
	if p.Target() != srv.Addr() {
		t.Errorf("Target = %s", p.Target())
	}
	c := dial(t, p.Addr())
	if _, _, err := c.Get("/"); err != nil {
		t.Fatal(err)
	}
	if n := p.Conns(); n != 1 {
		t.Errorf("Conns = %d, want 1", n)
	}
	// An orderly close passes through: four-letter words read to EOF.
	if out, err := FourLetter(ctxTimeout(t, 5*time.Second), p.Addr(), "ruok"); err != nil || out != "imok" {
		t.Errorf("ruok through the proxy = %q, %v", out, err)
	}
}

func TestProxyDelay(t *testing.T) {
	srv := Shared(t)
	p := NewProxy(t, srv.Addr())
	c := dial(t, p.Addr())
	timed := func() time.Duration {
		t.Helper()
		start := time.Now()
		if _, _, err := c.Get("/"); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	// Upper bounds take the best of a few round trips: one alone may
	// wait for a busy machine's scheduler.
	best := func() time.Duration {
		t.Helper()
		return min(timed(), timed(), timed())
	}
	const d = 150 * time.Millisecond
	p.SetDelay(d)
	if got := timed(); got < 2*d {
		t.Errorf("round trip with %v each way took %v", d, got)
	}
	p.SetDelay(0)
	p.SetDelay(d, Downstream)
	if got := timed(); got < d {
		t.Errorf("round trip with %v downstream took %v", d, got)
	}
	if got := best(); got >= 2*d {
		t.Errorf("round trips with %v downstream took %v at best", d, got)
	}
	p.Heal()
	if got := best(); got >= d {
		t.Errorf("round trips after Heal took %v at best", got)
	}
}

func TestProxyBlackhole(t *testing.T) {
	srv := Shared(t)
	p := NewProxy(t, srv.Addr())
	c := dial(t, p.Addr(), rawclient.WithCallTimeout(300*time.Millisecond))
	p.Blackhole()
	if _, _, err := c.Get("/"); !isTimeout(err) {
		t.Fatalf("Get through a blackhole: %v, want a timeout", err)
	}
	// New connections are accepted and held: the handshake gets no answer.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if c2, err := rawclient.Dial(ctx, p.Addr(), 10*time.Second); err == nil {
		c2.Close()
		t.Fatal("handshake through a blackhole succeeded")
	}
	p.Heal()
	c3 := dial(t, p.Addr())
	if _, _, err := c3.Get("/"); err != nil {
		t.Fatalf("Get on a new connection after Heal: %v", err)
	}
	// The held request of the first connection is delivered after the
	// partition heals, as TCP would.
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if h, _, err := c.Recv(); err != nil || h.Err != proto.CodeOK {
		t.Fatalf("held reply after Heal: %+v, %v", h, err)
	}
}

func TestProxyResetAll(t *testing.T) {
	srv := Shared(t)
	p := NewProxy(t, srv.Addr())
	c := dial(t, p.Addr())
	p.ResetAll()
	if _, _, err := c.Get("/"); err == nil || isTimeout(err) {
		t.Fatalf("Get after ResetAll: %v, want a broken connection", err)
	}
	waitFor(t, 10*time.Second, "the proxy to drop the connection", func() bool { return p.Conns() == 0 })
	c2 := dial(t, p.Addr())
	if _, _, err := c2.Get("/"); err != nil {
		t.Fatalf("Get on a new connection: %v", err)
	}
}

func TestProxyCut(t *testing.T) {
	srv := Shared(t)
	root := srv.Chroot(t)[len(srv.Addr()):]
	direct := dial(t, srv.Addr())
	p := NewProxy(t, srv.Addr())

	t.Run("downstream", func(t *testing.T) {
		c := dial(t, p.Addr(), rawclient.WithCallTimeout(300*time.Millisecond))
		p.CutDownstream()
		defer p.Heal()
		// The request reaches the server; its answer does not come back.
		if _, err := c.Create(root+"/down", nil, proto.FlagPersistent); !isTimeout(err) {
			t.Fatalf("Create with the downstream cut: %v, want a timeout", err)
		}
		waitFor(t, 10*time.Second, "the node to be created", func() bool {
			_, _, err := direct.Get(root + "/down")
			return err == nil
		})
	})

	t.Run("upstream", func(t *testing.T) {
		c := dial(t, p.Addr(), rawclient.WithCallTimeout(300*time.Millisecond))
		p.CutUpstream()
		if _, err := c.Create(root+"/up", nil, proto.FlagPersistent); !isTimeout(err) {
			t.Fatalf("Create with the upstream cut: %v, want a timeout", err)
		}
		p.Heal()
		// The create was dropped, not held: a later request on the same
		// connection is the first the server gets.
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Call(proto.OpSync, &proto.PathRequest{Path: "/"}, nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Get(root + "/up"); !rawclient.IsCode(err, proto.CodeNoNode) {
			t.Errorf("Get of the dropped create: %v, want NoNode", err)
		}
	})
}
