package zktest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/internal/rawclient"
	"github.com/kazoo-go/kazoo/proto"
)

// TestServerLifecycle stops, kills, pauses and restarts a dedicated server
// and checks what a raw client sees each time.
func TestServerLifecycle(t *testing.T) {
	srv := StartServer(t, WithTickTime(200*time.Millisecond))
	if srv.Version() == (proto.Version{}) {
		t.Error("server version unknown")
	}
	addr := srv.Addr()
	c := dial(t, addr, rawclient.WithCallTimeout(time.Second))
	if _, err := c.Create("/kept", []byte("v1"), proto.FlagPersistent); err != nil {
		t.Fatal(err)
	}

	t.Run("pause", func(t *testing.T) {
		if err := srv.Pause(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, _, err := c.Get("/kept")
		if !isTimeout(err) {
			t.Fatalf("Get on a paused server: err = %v, want a timeout", err)
		}
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Errorf("timed out after %v, before the 1 s call timeout", d)
		}
		if _, err := FourLetter(ctxTimeout(t, 300*time.Millisecond), addr, "ruok"); err == nil {
			t.Error("a paused server answered ruok")
		}
		if err := srv.Resume(); err != nil {
			t.Fatal(err)
		}
		// The request sent during the pause is answered now, on the
		// same connection and session.
		c.SetDeadline(time.Now().Add(10 * time.Second))
		h, _, err := c.Recv()
		if err != nil || h.Err != proto.CodeOK {
			t.Fatalf("late reply after resume: %+v, %v", h, err)
		}
		if data, _, err := c.Get("/kept"); err != nil || string(data) != "v1" {
			t.Fatalf("Get after resume = %q, %v", data, err)
		}
	})

	t.Run("stop", func(t *testing.T) {
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		if srv.Running() {
			t.Error("Running after Stop")
		}
		if _, _, err := c.Get("/kept"); err == nil || isTimeout(err) {
			t.Errorf("Get on a stopped server: err = %v, want a closed connection", err)
		}
		if _, err := FourLetter(ctxTimeout(t, time.Second), addr, "ruok"); err == nil {
			t.Error("a stopped server answered ruok")
		}
		if err := srv.Pause(); !errors.Is(err, ErrNotRunning) {
			t.Errorf("Pause on a stopped server: %v", err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		if srv.Addr() != addr {
			t.Errorf("restarted on %s, want %s", srv.Addr(), addr)
		}
		// Same data, and the session outlived the restart.
		c2 := dial(t, addr, rawclient.WithSession(c.SessionID(), c.Password()))
		if c2.SessionID() != c.SessionID() {
			t.Errorf("resumed session 0x%x, want 0x%x", c2.SessionID(), c.SessionID())
		}
		if data, _, err := c2.Get("/kept"); err != nil || string(data) != "v1" {
			t.Fatalf("Get after restart = %q, %v", data, err)
		}
	})

	t.Run("kill", func(t *testing.T) {
		c := dial(t, addr)
		if _, err := c.Create("/after-restart", nil, proto.FlagPersistent); err != nil {
			t.Fatal(err)
		}
		if err := srv.Kill(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Get("/kept"); err == nil || isTimeout(err) {
			t.Errorf("Get on a killed server: err = %v, want a closed connection", err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		c3 := dial(t, addr)
		for _, p := range []string{"/kept", "/after-restart"} {
			if _, _, err := c3.Get(p); err != nil {
				t.Errorf("Get(%s) after kill and restart: %v", p, err)
			}
		}
	})
}

// TestSharedServer checks the shared server and its options: TTL nodes and a
// fast container check (Shared's defaults), and the super user of Main.
func TestSharedServer(t *testing.T) {
	srv := Shared(t)
	if Shared(t) != srv {
		t.Fatal("Shared returned two servers")
	}
	out, err := srv.FourLetter(ctxTimeout(t, 5*time.Second), "ruok")
	if err != nil || out != "imok" {
		t.Fatalf("ruok = %q, %v", out, err)
	}
	if _, err := FourLetter(ctxTimeout(t, time.Second), srv.Addr(), "toolong"); err == nil {
		t.Error("FourLetter accepted a five-letter word")
	}

	t.Run("super", func(t *testing.T) {
		root := srv.Chroot(t)[len(srv.Addr()):]
		c := dial(t, srv.Addr())
		secret := root + "/secret"
		acl := []proto.ACL{{Perms: proto.PermAll, Scheme: "digest", ID: Digest("bob", "pw")}}
		var resp proto.PathResponse
		if _, err := c.Call(proto.OpCreate, &proto.CreateRequest{Path: secret, Data: []byte("s"), ACL: acl}, &resp); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Get(secret); !rawclient.IsCode(err, proto.CodeNoAuth) {
			t.Fatalf("Get without auth: %v, want NoAuth", err)
		}
		su := dial(t, srv.Addr())
		if err := su.Auth("digest", []byte(superUser+":"+superPassword)); err != nil {
			t.Fatal(err)
		}
		if data, _, err := su.Get(secret); err != nil || string(data) != "s" {
			t.Fatalf("Get as super = %q, %v", data, err)
		}
		if err := su.Delete(secret, -1); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ttl", func(t *testing.T) {
		RequireOp(t, srv, proto.OpCreateTTL)
		root := srv.Chroot(t)[len(srv.Addr()):]
		c := dial(t, srv.Addr())
		node := root + "/ttl"
		req := proto.CreateRequest{Path: node, ACL: rawclient.OpenACL, Flags: proto.FlagPersistentWithTTL, TTL: 50}
		if _, err := c.Call(proto.OpCreateTTL, &req, nil); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "the TTL node to be deleted", func() bool {
			_, _, err := c.Get(node)
			return rawclient.IsCode(err, proto.CodeNoNode)
		})
	})
}

// TestChroot checks that chroots are fresh, named after the test, and
// removed with everything in them.
func TestChroot(t *testing.T) {
	srv := Shared(t)
	c := dial(t, srv.Addr())
	var inner string
	t.Run("sub test/with spaces", func(t *testing.T) {
		conn := srv.Chroot(t)
		if !bytes.HasPrefix([]byte(conn), []byte(srv.Addr()+"/zktest-TestChroot_sub_test_with_spaces-")) {
			t.Fatalf("chroot connection string %q", conn)
		}
		inner = conn[len(srv.Addr()):]
		if other := srv.Chroot(t); other == conn {
			t.Fatalf("two chroots share %s", conn)
		}
		if _, err := c.Create(inner+"/child", nil, proto.FlagPersistent); err != nil {
			t.Fatal(err)
		}
	})
	if _, _, err := c.Get(inner); !rawclient.IsCode(err, proto.CodeNoNode) {
		t.Errorf("chroot %s after its test: %v, want NoNode", inner, err)
	}
}
