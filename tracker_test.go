package kazoo_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
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
	admin := zktest.Connect(t, cl.Member(1).Addr()) // member 1 stays throughout
	if _, _, err := admin.Create(ctx, "/app", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := admin.Create(ctx, "/app/spread", []byte("x")); err != nil {
		t.Fatal(err)
	}
	first := cl.Member(0)
	failed := &failedConnects{}
	defer func() {
		t.Logf("failed connection attempts (a move falling back to another member): %d", failed.n.Load())
	}()
	const n = 60
	clients := make([]*kazoo.Client, n)
	trackers := make([]*kazoo.EnsembleTracker, n)
	for i := range clients {
		servers := first.Addr()
		if i%3 == 0 {
			servers += "/app"
		}
		clients[i] = zktest.Connect(t, servers, kazoo.WithSessionTimeout(6*time.Second), kazoo.WithHooks(failed))
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

// checkSpread fails unless every member holds a share of n clients and no
// client is elsewhere. The spread is random: 60 clients give a member of 5
// its 12 with a standard deviation of about 3 (4 was seen once in 8 runs),
// so the bounds are wide (a sixth to twice the ideal) to never flake; an
// idle member, the failure that matters, is outside them.
func checkSpread(t *testing.T, counts map[string]int, members []*zktest.Server, n int) {
	t.Helper()
	total := 0
	for _, m := range members {
		c := counts[m.Addr()]
		total += c
		if ideal := n / len(members); c < ideal/6 || c > 2*ideal {
			t.Errorf("member %s has %d clients, want about %d", m.Addr(), c, ideal)
		}
	}
	if total != n {
		t.Errorf("%d clients on the members %v, want %d", total, counts, n)
	}
}

// awaitErr waits until the tracker reports a configuration it did not
// apply, and returns it.
func awaitErr(t *testing.T, tr *kazoo.EnsembleTracker) error {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for tr.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the tracker never reported the configuration it could not apply")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return tr.Err()
}

// TestEnsembleTrackerKeepsServersOnBadConfig feeds a tracker
// configurations it cannot use: a standalone server's (empty), one of an
// unknown format, one whose members are all unreachable. Each is reported
// with ErrBadConfig, and the client keeps its servers and keeps serving;
// a good configuration is then applied.
func TestEnsembleTrackerKeepsServersOnBadConfig(t *testing.T) {
	c := connect(t)
	ctx := testCtx(t)
	servers := c.Servers()
	tr := kazoo.TrackEnsemble(ctx, c)
	defer tr.Close()
	err := awaitErr(t, tr)
	t.Logf("a standalone server's configuration: %v", err)
	if !supported(t, proto.OpReconfig) {
		if !errors.Is(err, kazoo.ErrNoNode) {
			t.Fatalf("tracker on a server before 3.5: %v, want ErrNoNode", err)
		}
		return
	}
	if !errors.Is(err, kazoo.ErrBadConfig) {
		t.Fatalf("tracker on a standalone server: %v, want ErrBadConfig", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	for _, cfg := range []string{
		"hello\n",
		"server.1=127.0.0.1:2888:3888:participant;notaport\nversion=100000001",
		"server.1=127.0.0.1:2888:3888:participant;" + closed + "\nversion=100000002",
	} {
		tr.ApplyConfig(ctx, []byte(cfg))
		err := tr.Err()
		t.Logf("%q: %v", cfg, err)
		if !errors.Is(err, kazoo.ErrBadConfig) || tr.Version() != 0 {
			t.Errorf("%q: tracker error %v, version %x; want ErrBadConfig and nothing applied", cfg, err, tr.Version())
		}
		if !slices.Equal(c.Servers(), servers) {
			t.Fatalf("%q: servers %v, want %v kept", cfg, c.Servers(), servers)
		}
		if _, _, err := c.Exists(ctx, "/"); err != nil {
			t.Fatalf("%q: the client no longer serves: %v", cfg, err)
		}
	}
	own := zktest.Shared(t).Addr()
	tr.ApplyConfig(ctx, []byte("server.1=127.0.0.1:2888:3888:participant;"+own+"\nversion=100000003"))
	if tr.Err() != nil || tr.Version() != 0x100000003 || !slices.Equal(c.Servers(), []string{own}) {
		t.Fatalf("a good configuration: error %v, version %x, servers %v", tr.Err(), tr.Version(), c.Servers())
	}
	tr.ApplyConfig(ctx, []byte("server.1=127.0.0.1:2888:3888:participant;"+closed+"\nversion=100000002"))
	if tr.Version() != 0x100000003 || !slices.Equal(c.Servers(), []string{own}) {
		t.Fatalf("an older configuration was applied: version %x, servers %v", tr.Version(), c.Servers())
	}
}

// failedConnects counts failed connection attempts.
type failedConnects struct{ n atomic.Int32 }

func (f *failedConnects) OnConnect(info kazoo.ConnectInfo) {
	if info.Err != nil {
		f.n.Add(1)
	}
}
func (f *failedConnects) OnDisconnect(string, error) {}

// configReads counts the reads of ConfigPath a client makes.
type configReads struct{ n atomic.Int32 }

func (r *configReads) OnRequest(_ context.Context, info kazoo.RequestInfo) {
	if info.Path == kazoo.ConfigPath && info.Err == nil {
		r.n.Add(1)
	}
}

// TestEnsembleTrackerSurvivesReconnectsAndSessionLoss: the tracker's watch
// is set again on a new connection, it reads the configuration again in a
// new session, and it stops with its context or with the client.
func TestEnsembleTrackerSurvivesReconnectsAndSessionLoss(t *testing.T) {
	requireOp(t, proto.OpCheckWatches)
	srv := zktest.Shared(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	reads := &configReads{}
	c := zktest.Connect(t, proxy.Addr(), kazoo.WithHooks(reads), kazoo.WithSessionTimeout(4*time.Second))
	ctx := testCtx(t)
	tr := kazoo.TrackEnsemble(ctx, c)
	awaitErr(t, tr) // read (a standalone server's configuration is empty)
	watched := func(what string) {
		t.Helper()
		if err := c.CheckWatches(ctx, kazoo.ConfigPath, kazoo.WatchData); err != nil {
			t.Fatalf("%s: the server holds no watch of %s: %v", what, kazoo.ConfigPath, err)
		}
	}
	watched("at first")

	sub := c.SubscribeStates()
	defer sub.Stop()
	proxy.ResetAll()
	waitState(t, sub, kazoo.Suspended, 10*time.Second)
	waitState(t, sub, kazoo.Connected, 10*time.Second)
	watched("after a reconnect")

	before := reads.n.Load()
	if err := zktest.ExpireSession(ctx, c); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for reads.n.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("the tracker did not read the configuration again in the new session")
		}
		time.Sleep(10 * time.Millisecond)
	}
	watched("in the new session")

	trCtx, cancel := context.WithCancel(ctx)
	tr2 := kazoo.TrackEnsemble(trCtx, c)
	cancel()
	<-tr2.Done()
	c.Close()
	<-tr.Done()
}

// TestEnsembleTrackerKeepsServersWhenNoMemberIsReachable: a client reaches
// the ensemble only through proxies (as through a NAT), so the members'
// own addresses in the configuration are unreachable from it. The tracker
// keeps the client's servers at first and after a reconfiguration, says
// why, and the client keeps serving throughout.
func TestEnsembleTrackerKeepsServersWhenNoMemberIsReachable(t *testing.T) {
	requireReconfig(t)
	cl := zktest.StartCluster(t, 3, zktest.WithDynamicReconfig())
	ctx := testCtx(t)
	var proxies []string
	for _, m := range cl.Members() {
		proxies = append(proxies, zktest.NewProxy(t, m.Addr()).Addr())
	}
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if !slices.Contains(proxies, addr) {
			return nil, fmt.Errorf("%s is unreachable from here", addr)
		}
		return d.DialContext(ctx, network, addr)
	}
	c := zktest.Connect(t, strings.Join(proxies, ","), kazoo.WithDialer(dial))
	tr := kazoo.TrackEnsemble(ctx, c)
	defer tr.Close()
	if err := awaitErr(t, tr); !errors.Is(err, kazoo.ErrBadConfig) || !strings.Contains(err.Error(), "reachable") {
		t.Fatalf("tracker of an unreachable configuration: %v, want ErrBadConfig, unreachable", err)
	}
	readers := startReaders(ctx, []*kazoo.Client{c}, func(int) string { return "/" })

	admin := zktest.Connect(t, cl.ConnString())
	added, err := cl.AddMember(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data, _, err := admin.Reconfig(ctx, added.Spec(), "", "", -1)
	if err != nil {
		t.Fatal(err)
	}
	_, version, err := hostlist.ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for err := tr.Err(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("configuration %x", version)); err = tr.Err() {
		if time.Now().After(deadline) {
			t.Fatalf("the tracker never reported configuration %x: %v", version, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("after the reconfiguration: %v", tr.Err())
	if !slices.Equal(c.Servers(), proxies) || tr.Version() != 0 {
		t.Errorf("servers %v (tracker version %x), want the proxies %v kept", c.Servers(), tr.Version(), proxies)
	}
	readers.stop(t)
}
