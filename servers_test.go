package kazoo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// TestSetServersSpreadsClientsOverAReconfiguredEnsemble grows a 3-member
// ensemble to 5 by dynamic reconfiguration, then removes a member, while
// clients keep reading. After each change every client is given the new
// list: the clients spread evenly over the members, the removed member
// loses its clients, and no read fails.
func TestSetServersSpreadsClientsOverAReconfiguredEnsemble(t *testing.T) {
	requireReconfig(t)
	cl := zktest.StartCluster(t, 3, zktest.WithDynamicReconfig())
	ctx := testCtx(t)
	admin := zktest.Connect(t, cl.Member(1).Addr()) // member 1 stays throughout
	const n = 90
	clients := make([]*kazoo.Client, n)
	for i := range clients {
		clients[i] = zktest.Connect(t, cl.ConnString(), kazoo.WithSessionTimeout(6*time.Second))
	}
	if _, _, err := admin.Create(ctx, "/spread", []byte("x")); err != nil {
		t.Fatal(err)
	}

	readers := startReaders(ctx, clients[:n/3], func(int) string { return "/spread" })

	added := make([]*zktest.Server, 2)
	for i := range added {
		var err error
		if added[i], err = cl.AddMember(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := admin.Reconfig(ctx, added[0].Spec()+","+added[1].Spec(), "", "", -1); err != nil {
		t.Fatal(err)
	}
	for _, s := range added {
		if err := s.WaitServing(ctx); err != nil {
			t.Fatal(err)
		}
	}
	five := cl.Members()
	counts := setServers(t, ctx, clients, five)
	t.Logf("clients per member after growing from 3 to 5: %v (ideal %d)", counts, n/5)
	for _, m := range five {
		if c := counts[m.Addr()]; c < n/5/3 || c > 2*n/5 {
			t.Errorf("member %s has %d clients, want about %d", m.Addr(), c, n/5)
		}
	}

	if _, _, err := admin.Reconfig(ctx, "", "1", "", -1); err != nil { // member 0 (myid 1) leaves
		t.Fatal(err)
	}
	four := five[1:]
	counts = setServers(t, ctx, clients, four)
	t.Logf("clients per member after member 0 left: %v (ideal %d)", counts, n/4)
	if c := counts[five[0].Addr()]; c != 0 {
		t.Errorf("the removed member keeps %d clients", c)
	}
	for _, m := range four {
		if c := counts[m.Addr()]; c < n/4/3 || c > 2*n/4 {
			t.Errorf("member %s has %d clients, want about %d", m.Addr(), c, n/4)
		}
	}

	readers.stop(t)

	if err := clients[0].SetServers(ctx, ""); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("SetServers(\"\") = %v, want ErrInvalidArgument", err)
	}
	if err := clients[0].SetServers(ctx, cl.ConnString()+"/elsewhere"); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("SetServers with another chroot = %v, want ErrInvalidArgument", err)
	}
}

// setServers gives every client the members' list, waits until each is
// connected to one of them, and counts the clients per member.
func setServers(t *testing.T, ctx context.Context, clients []*kazoo.Client, members []*zktest.Server) map[string]int {
	t.Helper()
	addrs := make([]string, len(members))
	for i, m := range members {
		addrs[i] = m.Addr()
	}
	list := strings.Join(addrs, ",")
	for _, c := range clients {
		if err := c.SetServers(ctx, list); err != nil {
			t.Fatal(err)
		}
	}
	return awaitCounts(t, ctx, clients, addrs, func(int) bool { return true })
}
