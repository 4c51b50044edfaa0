package kazoo_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestConfigIsReadOutsideTheChroot(t *testing.T) {
	c := connect(t) // chrooted
	ctx := testCtx(t)
	if !supported(t, proto.OpReconfig) {
		if _, _, err := c.Config(ctx); !errors.Is(err, kazoo.ErrNoNode) {
			t.Fatalf("Config on a server before 3.5: %v, want ErrNoNode", err)
		}
		return
	}
	root := zktest.Connect(t, zktest.Shared(t).Addr())
	want, wantStat, err := root.Get(ctx, kazoo.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	got, stat, ch, err := c.ConfigW(ctx)
	if err != nil || !slices.Equal(got, want) || stat != wantStat || ch == nil {
		t.Fatalf("ConfigW = %q, %+v, %v, %v; want %q, %+v as read unchrooted", got, stat, ch, err, want, wantStat)
	}
	if _, _, err := c.Get(ctx, kazoo.ConfigPath); !errors.Is(err, kazoo.ErrNoNode) {
		t.Errorf("Get %s in the chroot: %v, want ErrNoNode", kazoo.ConfigPath, err)
	}
}

// TestSetServersRefusesBadLists: an empty or unparsable list is refused
// with a clear error, and the client keeps its servers and its connection.
func TestSetServersRefusesBadLists(t *testing.T) {
	c := connect(t)
	ctx := testCtx(t)
	servers, connected, id := c.Servers(), c.ConnectedServer(), c.SessionID()
	for _, bad := range []string{"", " , ", "h:0", "h:70000", "h:port", "[::1", ":2181", "/chroot-only"} {
		err := c.SetServers(ctx, bad)
		if !errors.Is(err, kazoo.ErrInvalidArgument) {
			t.Errorf("SetServers(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
	if !slices.Equal(c.Servers(), servers) || c.ConnectedServer() != connected || c.SessionID() != id {
		t.Fatalf("after bad lists: servers %v on %s session %x, want %v on %s session %x",
			c.Servers(), c.ConnectedServer(), c.SessionID(), servers, connected, id)
	}
	if _, _, err := c.Exists(ctx, "/"); err != nil {
		t.Fatalf("the client no longer serves: %v", err)
	}
}
