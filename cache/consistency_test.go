package cache_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/cache"
	"github.com/kazoo-go/kazoo/zktest"
)

// consistencySize is the size of TestConsistency: CI's by default (3
// members, 15 s of writes), the full one with KAZOO_CACHE_FULL=1 (5 members,
// 2 minutes of writes).
func consistencySize() (members int, writes time.Duration, writers int) {
	if os.Getenv("KAZOO_CACHE_FULL") != "" {
		return 5, 2 * time.Minute, 6
	}
	return 3, 15 * time.Second, 3
}

// TestConsistency is the proof that the caches converge: writers change a
// subtree at random while ensemble members are killed, the caching clients'
// connections are reset and their sessions expire; afterwards every cache
// equals the server's tree, and replaying each cache's events gives it.
func TestConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("an ensemble and faults for half a minute: not with -short")
	}
	members, writes, writers := consistencySize()
	cl := zktest.StartCluster(t, members)
	ctx := ctxFor(t, writes+3*time.Minute)
	var proxies []*zktest.Proxy
	var addrs []string
	for _, m := range cl.Members() {
		p := zktest.NewProxy(t, m.Addr())
		proxies = append(proxies, p)
		addrs = append(addrs, p.Addr())
	}
	viaProxies := strings.Join(addrs, ",")
	admin := zktest.Connect(t, cl.ConnString())
	const root = "/tree"
	mustCreate(t, admin, root+"/a/a", "")

	// Client one holds one-shot watches: a TreeCache, NodeCaches and
	// ChildrenWatches. Client two holds the persistent-watch cache (the
	// two kinds on one path of one session replace each other on servers
	// before 3.9: ZOOKEEPER-4466).
	one := zktest.Connect(t, viaProxies, kazoo.WithSessionTimeout(8*time.Second))
	two := zktest.Connect(t, viaProxies, kazoo.WithSessionTimeout(8*time.Second))
	treeRec, autoRec := &recorder{}, &recorder{}
	oneShot := startCache(t, ctx, one, root, cache.WithMode(cache.OneShot), cache.WithListener(treeRec.listen))
	auto := startCache(t, ctx, two, root, cache.WithListener(autoRec.listen))
	t.Logf("server %v; the auto cache uses mode %v", cl.Version(), modeName(auto.Mode()))
	watched := []string{root + "/a", root + "/b", root + "/a/a", root + "/c/d", root + "/quiet"}
	type nodeCache struct {
		nc  *cache.NodeCache
		rec *recorder
	}
	var nodeCaches []nodeCache
	childLast := make([]atomic.Pointer[cache.Children], len(watched))
	for i, p := range watched {
		rec := &recorder{}
		nc, err := cache.NewNodeCache(one, p, cache.WithListener(rec.listen))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nodeCaches = append(nodeCaches, nodeCache{nc, rec})
		w, err := cache.ChildrenWatch(one, p, func(ch cache.Children) bool {
			childLast[i].Store(&ch)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
	}

	// Writers.
	var ops, fails atomic.Int64
	begin := time.Now()
	writeCtx, stopWrites := context.WithTimeout(ctx, writes)
	defer stopWrites()
	var wg sync.WaitGroup
	for i := range writers {
		c := zktest.Connect(t, cl.ConnString())
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			for writeCtx.Err() == nil {
				if err := randomOp(writeCtx, c, rng, root); err != nil {
					fails.Add(1)
				}
				ops.Add(1)
			}
		}()
	}

	// Faults, spread over the writes.
	step := writes / 8
	at := func(n int) {
		select {
		case <-time.After(time.Until(begin.Add(time.Duration(n) * step))):
		case <-ctx.Done():
		}
	}
	faults := func() error {
		at(1)
		victim := (mustLeader(ctx, cl) + 1) % members // a follower
		t.Logf("killing member %d (follower)", victim)
		if err := cl.Member(victim).Kill(); err != nil {
			return err
		}
		at(2)
		if err := restart(ctx, cl.Member(victim)); err != nil {
			return err
		}
		at(3)
		t.Log("resetting the caching clients' connections")
		for _, p := range proxies {
			p.ResetAll()
		}
		at(4)
		t.Log("expiring both caching clients' sessions")
		for _, c := range []*kazoo.Client{one, two} {
			// ExpireSession needs the client connected: it may still be
			// reconnecting after the reset.
			eventually(t, 30*time.Second, "the caching client connected", func() error {
				if s := c.State(); s != kazoo.Connected {
					return fmt.Errorf("state %v", s)
				}
				return nil
			})
			if err := zktest.ExpireSession(ctx, c); err != nil {
				return err
			}
		}
		at(5)
		if err := cl.WaitServing(ctx); err != nil {
			return err
		}
		leader := mustLeader(ctx, cl)
		t.Logf("killing member %d (leader)", leader)
		if err := cl.Member(leader).Kill(); err != nil {
			return err
		}
		at(6)
		if err := restart(ctx, cl.Member(leader)); err != nil {
			return err
		}
		at(7)
		for _, p := range proxies {
			p.ResetAll()
		}
		return nil
	}
	if err := faults(); err != nil {
		t.Fatalf("faults: %v", err)
	}
	wg.Wait()
	if err := cl.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d writes, %d failed", ops.Load(), fails.Load())
	quietChanges(t, ctx, admin, root+"/quiet", proxies, one, two)
	if ops.Load()-fails.Load() < 100 {
		t.Fatalf("only %d writes succeeded: the test proves nothing", ops.Load()-fails.Load())
	}

	// Every cache equals the server's tree, now that writes stopped.
	if err := admin.Sync(ctx, root); err != nil {
		t.Fatal(err)
	}
	want, err := serverTree(ctx, admin, root)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("final tree: %d nodes", len(want))
	for _, rec := range []*recorder{treeRec, autoRec} {
		for _, typ := range []cache.EventType{cache.ConnectionSuspended, cache.ConnectionLost, cache.ConnectionReconnected} {
			if rec.count(typ) == 0 {
				t.Errorf("no %v event: the faults missed the caching clients", typ)
			}
		}
	}
	for name, tc := range map[string]*cache.TreeCache{"one-shot TreeCache": oneShot, "auto TreeCache": auto} {
		rec := treeRec
		if tc == auto {
			rec = autoRec
		}
		eventually(t, 30*time.Second, name+" equal to the server's tree", func() error {
			if err := diff(want, cacheTree(tc)); err != nil {
				return err
			}
			got, err := rec.replay()
			if err != nil {
				return err
			}
			return diff(want, got)
		})
	}
	for i, p := range watched {
		nc := nodeCaches[i]
		eventually(t, 30*time.Second, "NodeCache "+p+" equal to the server's node", func() error {
			wantNode := map[string]string{}
			if v, ok := want[p]; ok {
				wantNode[p] = v
			}
			got := map[string]string{}
			if n, ok := nc.nc.Get(); ok {
				got[p] = value(n.Data, n.Stat)
			}
			if err := diff(wantNode, got); err != nil {
				return err
			}
			replayed, err := nc.rec.replay()
			if err != nil {
				return err
			}
			return diff(wantNode, replayed)
		})
		eventually(t, 30*time.Second, "ChildrenWatch "+p+" equal to the server's children", func() error {
			var wantKids []string
			for q := range want {
				if parentPath(q) == p {
					wantKids = append(wantKids, q[len(p)+1:])
				}
			}
			slices.Sort(wantKids)
			last := childLast[i].Load()
			if last == nil {
				return fmt.Errorf("no call")
			}
			_, exists := want[p]
			if last.Exists != exists || !slices.Equal(last.Names, wantKids) {
				return fmt.Errorf("last call %v (exists %v), want %v (exists %v)", last.Names, last.Exists, wantKids, exists)
			}
			return nil
		})
	}
}

// quietChanges changes a subtree no writer touches while the caching
// clients are cut off (a blackhole: the server's notifications are lost),
// and lets them reconnect to the same session. Nothing changes there later,
// so only the caches' re-reads after the reconnect can catch these changes.
func quietChanges(t *testing.T, ctx context.Context, admin *kazoo.Client, sub string, proxies []*zktest.Proxy, clients ...*kazoo.Client) {
	t.Helper()
	for _, p := range proxies {
		p.Blackhole()
	}
	mustCreate(t, admin, sub+"/gone", "")
	for i := range 5 {
		mustCreate(t, admin, fmt.Sprintf("%s/k%d", sub, i), "")
		if _, err := admin.Set(ctx, fmt.Sprintf("%s/k%d", sub, i), []byte("changed"), -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := admin.Delete(ctx, sub+"/gone", -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the caching clients suspended", func() error {
		for _, c := range clients {
			if s := c.State(); s != kazoo.Suspended {
				return fmt.Errorf("state %v", s)
			}
		}
		return nil
	})
	t.Log("the caching clients are cut off; healing")
	for _, p := range proxies {
		p.Heal()
	}
}

// randomOp makes one random change in a small namespace below root (three
// levels of four names), so that creates, deletes and re-creates of the
// same paths are frequent.
func randomOp(ctx context.Context, c *kazoo.Client, rng *rand.Rand, root string) error {
	p := root
	for range 1 + rng.IntN(3) {
		p += "/" + string(rune('a'+rng.IntN(4)))
	}
	data := []byte(fmt.Sprint(rng.IntN(1000)))
	opCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var err error
	switch r := rng.IntN(10); {
	case r < 4:
		_, _, err = c.Create(opCtx, p, data, kazoo.WithParents())
	case r < 8:
		_, err = c.Set(opCtx, p, data, -1)
	case r < 9:
		err = c.Delete(opCtx, p, -1)
	default:
		err = c.DeleteRecursive(opCtx, p)
	}
	return err
}

func parentPath(p string) string { return p[:strings.LastIndexByte(p, '/')] }

func mustLeader(ctx context.Context, cl *zktest.Cluster) int {
	l, err := cl.WaitLeader(ctx)
	if err != nil {
		return 0
	}
	return l
}

// restart starts a killed member again. A member restarted at once may find
// its quorum port not yet free (exit 14): try again, briefly.
func restart(ctx context.Context, m *zktest.Server) error {
	var err error
	for range 10 {
		if err = m.Start(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
	return err
}
