package kazoo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// TestSetServersSpreadsClientsOverAReconfiguredEnsemble grows a 3-member
// ensemble to 5 by dynamic reconfiguration, then removes a member, while
// clients keep reading. After each change every client is given the new
// list: the clients spread evenly over the members, the removed member
// loses its clients, and no read fails.
func TestSetServersSpreadsClientsOverAReconfiguredEnsemble(t *testing.T) {
	inst, err := zktest.FindInstallation()
	if err != nil {
		t.Fatal(err)
	}
	if v := inst.Version; v != (proto.Version{}) && v.Less(proto.Version{Major: 3, Minor: 5}) {
		t.Skipf("ZooKeeper %s has no dynamic reconfiguration (3.5+)", v)
	}
	if testing.Short() {
		t.Skip("a 5-member ensemble")
	}
	cl := zktest.StartCluster(t, 3, zktest.WithDynamicReconfig())
	ctx := testCtx(t)
	admin := connectTo(t, cl.Member(1).Addr()) // member 1 stays throughout
	const n = 90
	clients := make([]*kazoo.Client, n)
	for i := range clients {
		clients[i] = connectTo(t, cl.ConnString(), kazoo.WithSessionTimeout(6*time.Second))
	}
	if _, _, err := admin.Create(ctx, "/spread", []byte("x")); err != nil {
		t.Fatal(err)
	}

	// Readers: a Get every few milliseconds on a third of the clients.
	readCtx, stopReads := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var readErrs []error
	reads := 0
	for _, c := range clients[:n/3] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for readCtx.Err() == nil {
				_, _, err := c.Get(readCtx, "/spread")
				mu.Lock()
				if err != nil && readCtx.Err() == nil {
					readErrs = append(readErrs, err)
				}
				reads++
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}

	added := make([]*zktest.Server, 2)
	for i := range added {
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

	stopReads()
	wg.Wait()
	if reads == 0 || len(readErrs) > 0 {
		t.Fatalf("%d reads, %d failed: %v", reads, len(readErrs), errors.Join(readErrs...))
	}

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
	deadline := time.Now().Add(30 * time.Second)
	for {
		counts := map[string]int{}
		settled := true
		for _, c := range clients {
			s := c.ConnectedServer()
			if c.State() != kazoo.Connected || !strings.Contains(","+list+",", ","+s+",") {
				settled = false
				break
			}
			counts[s]++
		}
		if settled {
			return counts
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("clients not all connected to %s within 30s: %v", list, fmt.Sprint(counts))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
