package kazoo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/internal/hostlist"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// requireReconfig skips a test of an ensemble's dynamic reconfiguration
// on releases before 3.5 and in -short runs.
func requireReconfig(t *testing.T) {
	t.Helper()
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
}

// TestEnsembleTrackerFollowsReconfig gives 60 clients a single member of a
// 3-member ensemble and an EnsembleTracker each (a third of them
// chrooted), then grows the ensemble to 5 members and removes the member
// they were given, while a third of them keep reading. The trackers alone
// spread the clients over the members, the removed member loses its
// clients, and no read fails.
func TestEnsembleTrackerFollowsReconfig(t *testing.T) {
	requireReconfig(t)
	cl := zktest.StartCluster(t, 3, zktest.WithDynamicReconfig())
	ctx := testCtx(t)
	admin := connectTo(t, cl.Member(1).Addr()) // member 1 stays throughout
	if _, _, err := admin.Create(ctx, "/app", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := admin.Create(ctx, "/app/spread", []byte("x")); err != nil {
		t.Fatal(err)
	}
	first := cl.Member(0)
	const n = 60
	clients := make([]*kazoo.Client, n)
	trackers := make([]*kazoo.EnsembleTracker, n)
	for i := range clients {
		servers := first.Addr()
		if i%3 == 0 {
			servers += "/app"
		}
		clients[i] = connectTo(t, servers, kazoo.WithSessionTimeout(6*time.Second))
		trackers[i] = kazoo.TrackEnsemble(ctx, clients[i])
		t.Cleanup(trackers[i].Close)
	}
	data, _, err := admin.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts := awaitTracked(t, ctx, clients, trackers, data)
	t.Logf("clients per member after the trackers read the 3-member configuration: %v (ideal %d)", counts, n/3)
	checkSpread(t, counts, cl.Members(), n)

	readers := startReaders(ctx, clients[:n/3], func(i int) string {
		if i%3 == 0 { // chrooted
			return "/spread"
		}
		return "/app/spread"
	})

	added := make([]*zktest.Server, 2)
	for i := range added {
		if added[i], err = cl.AddMember(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if data, _, err = admin.Reconfig(ctx, added[0].Spec()+","+added[1].Spec(), "", "", -1); err != nil {
		t.Fatal(err)
	}
	for _, s := range added {
		if err := s.WaitServing(ctx); err != nil {
			t.Fatal(err)
		}
	}
	counts = awaitTracked(t, ctx, clients, trackers, data)
	t.Logf("clients per member after growing from 3 to 5: %v (ideal %d)", counts, n/5)
	checkSpread(t, counts, cl.Members(), n)

	if data, _, err = admin.Reconfig(ctx, "", fmt.Sprint(first.MyID()), "", -1); err != nil {
		t.Fatal(err)
	}
	four := cl.Members()[1:]
	counts = awaitTracked(t, ctx, clients, trackers, data)
	t.Logf("clients per member after the member they were given left: %v (ideal %d)", counts, n/4)
	checkSpread(t, counts, four, n)

	readers.stop(t)
	for _, tr := range trackers {
		if err := tr.Err(); err != nil {
			t.Errorf("tracker: %v", err)
		}
	}
}

// awaitTracked waits until every tracker applied the configuration data
// and every client is connected to one of its members, and counts the clients per member.
func awaitTracked(t *testing.T, ctx context.Context, clients []*kazoo.Client, trackers []*kazoo.EnsembleTracker, data []byte) map[string]int {
	t.Helper()
	members, version, err := hostlist.ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	return awaitCounts(t, ctx, clients, members, func(i int) bool {
		return trackers[i].Version() == version && slices.Equal(clients[i].Servers(), members)
	})
}

// checkSpread fails unless every member holds a fair share of n clients
// (within a factor of 3 of the ideal, as a random spread of 60 is) and no
// client is elsewhere.
func checkSpread(t *testing.T, counts map[string]int, members []*zktest.Server, n int) {
	t.Helper()
	total := 0
	for _, m := range members {
		c := counts[m.Addr()]
		total += c
		if ideal := n / len(members); c < ideal/3 || c > 2*ideal {
			t.Errorf("member %s has %d clients, want about %d", m.Addr(), c, ideal)
		}
	}
	if total != n {
		t.Errorf("%d clients on the members %v, want %d", total, counts, n)
	}
}
