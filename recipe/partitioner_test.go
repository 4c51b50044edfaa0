package recipe_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/internal/interop"
	"github.com/kazoo-go/kazoo/recipe"

	"github.com/kazoo-go/kazoo/zktest"
)

// acquired waits until p is Acquired and returns its share, releasing and
// re-allocating as the state machine asks.
func acquired(t *testing.T, ctx context.Context, p *recipe.SetPartitioner) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		switch s := p.State(); s {
		case recipe.PartitionAcquired:
			return p.Partitions()
		case recipe.PartitionRelease:
			if err := p.ReleaseSet(ctx); err != nil {
				t.Fatal(err)
			}
		case recipe.PartitionAllocating:
			if _, err := p.WaitForAcquire(ctx); err != nil {
				t.Fatalf("waiting for the partitioner: %v", err)
			}
		default:
			t.Fatalf("state %v", s)
		}
	}
}

func TestSetPartitionerWithKazoo(t *testing.T) {
	e := newEnv(t, 120*time.Second)
	py := interop.Python(t, "testdata/recipes2_worker.py", e.addr)
	items := []string{"a", "b", "c", "d", "e", "f", "g"}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx := context.Background()
		party, _, _ := e.c.Children(ctx, "/part/party")
		t.Logf("party: %v", party)
		for _, it := range items {
			kids, _, _ := e.c.Children(ctx, "/part/locks/"+it)
			t.Logf("locks of %s: %v", it, kids)
		}
	})
	// Ours first, alone: it takes the whole set.
	p, err := recipe.NewSetPartitioner(e.c, "/part", items, "go", recipe.WithTimeBoundary(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(acquired(t, e.ctx, p), ","); got != strings.Join(items, ",") {
		t.Fatalf("alone, Go's share %q, want everything", got)
	}
	// kazoo joins: ours must release its set (the caller's part, as in
	// kazoo) for the split of two; drive it while waiting for kazoo's share.
	py.Send("partition %s/part py %s", e.chroot, strings.Join(items, " "))
	drive, driving := make(chan struct{}), make(chan struct{})
	stopDriving := sync.OnceFunc(func() { close(drive); <-driving })
	defer stopDriving()
	go func() {
		defer close(driving)
		for {
			changed := p.Changed()
			if p.State() == recipe.PartitionRelease {
				if err := p.ReleaseSet(e.ctx); err != nil {
					t.Errorf("ReleaseSet: %v", err)
					return
				}
				continue
			}
			select {
			case <-changed:
			case <-drive:
				return
			}
		}
	}()
	want := map[string]string{"go": "a,c,e,g", "py": "b,d,f"} // sorted ids: go, py
	eventually(t, 60*time.Second, "kazoo's share of two", func() bool {
		l, err := py.Next(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return l == "acquired "+want["py"]
	})
	stopDriving()
	if got := strings.Join(acquired(t, e.ctx, p), ","); got != want["go"] {
		t.Fatalf("Go's share %q, want %q", got, want["go"])
	}
	// Each lock node of ours is a kazoo lock node.
	for _, it := range strings.Split(want["go"], ",") {
		kids, _, err := e.c.Children(e.ctx, "/part/locks/"+it)
		if err != nil || len(kids) != 1 || !strings.Contains(kids[0], "__lock__") {
			t.Fatalf("lock of %s: %v %v", it, kids, err)
		}
	}
	// Go leaves: kazoo takes everything.
	if err := p.Finish(e.ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "kazoo's whole set", func() bool {
		l, err := py.Next(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("kazoo: %s", l)
		return l == "acquired "+strings.Join(items, ",")
	})
	py.Send("stop")
	py.Expect(30*time.Second, "stopped")
}

func TestSetPartitionerSessionLoss(t *testing.T) {
	e := newEnv(t, 120*time.Second)
	items := []string{"x", "y", "z"}
	other := zktest.Connect(t, e.servers)
	p1, _ := recipe.NewSetPartitioner(e.c, "/part", items, "m1", recipe.WithTimeBoundary(300*time.Millisecond))
	p2, _ := recipe.NewSetPartitioner(other, "/part", items, "m2", recipe.WithTimeBoundary(300*time.Millisecond))
	defer p2.Finish(e.ctx)
	defer p1.Finish(e.ctx)
	check := func() {
		t.Helper()
		for {
			c1, c2 := p1.Changed(), p2.Changed()
			a, b := acquired(t, e.ctx, p1), acquired(t, e.ctx, p2)
			if p1.State() != recipe.PartitionAcquired || p2.State() != recipe.PartitionAcquired {
				continue // one moved on meanwhile
			}
			all := slices.Sorted(slices.Values(append(slices.Clone(a), b...)))
			if !slices.Equal(all, items) {
				t.Fatalf("shares %v and %v: not disjoint and covering", a, b)
			}
			if len(a) == 0 || len(b) == 0 { // one allocated before the other joined
				select {
				case <-c1:
				case <-c2:
				case <-e.ctx.Done():
					t.Fatal("the two members never split the set")
				}
				continue
			}
			return
		}
	}
	check()
	changed := p1.Changed()
	expire(t, e.c)
	<-changed // Release
	check()
}

// A partitioner whose client is closed stops by itself (goleak, in
// TestMain, checks that its goroutine is gone).
func TestSetPartitionerStopsWithClient(t *testing.T) {
	e := newEnv(t, 30*time.Second)
	p, err := recipe.NewSetPartitioner(e.c, "/part", []string{"x"}, "m", recipe.WithTimeBoundary(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if got := acquired(t, e.ctx, p); len(got) != 1 {
		t.Fatalf("share %v", got)
	}
	changed := p.Changed()
	e.c.Close()
	select { // the party watch ends: Release, then nothing more
	case <-changed:
	case <-e.ctx.Done():
		t.Fatal("no state change after the client closed")
	}
}
