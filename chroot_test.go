package kazoo_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// TestChrootAddsNoAllocation: a chrooted client's requests and watches
// allocate exactly what an unchrooted client's do. The chroot is written
// into each request as it is encoded and watches are kept under the
// client's paths; joining the chroot to the path cost every request an
// allocation, and every watch two.
func TestChrootAddsNoAllocation(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations over 4000 requests")
	}
	ctx := context.Background()
	chrooted := connect(t)
	plain := zktest.Connect(t, zktest.Shared(t).Addr())
	const node = "/a-node-with-a-name-long-enough-to-need-the-heap"
	if _, _, err := chrooted.Create(ctx, node, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	allocs := func(c *kazoo.Client, path string) (get, set, getw, fired float64) {
		get = allocsPerRun(500, func() {
			if _, _, err := c.Get(ctx, path); err != nil {
				t.Fatal(err)
			}
		})
		set = allocsPerRun(500, func() {
			if _, err := c.Set(ctx, path, []byte("x"), kazoo.AnyVersion); err != nil {
				t.Fatal(err)
			}
		})
		getw = allocsPerRun(500, func() {
			if _, _, _, err := c.GetW(ctx, path); err != nil {
				t.Fatal(err)
			}
		})
		fired = allocsPerRun(200, func() { // a watch set, fired and delivered
			_, _, ch, err := c.GetW(ctx, path)
			if err == nil {
				_, err = c.Set(ctx, path, []byte("y"), kazoo.AnyVersion)
			}
			if err != nil {
				t.Fatal(err)
			}
			if e := <-ch; e.Path != path {
				t.Fatalf("event %+v, want path %s", e, path)
			}
		})
		return get, set, getw, fired
	}
	g1, s1, w1, f1 := allocs(chrooted, node)
	g0, s0, w0, f0 := allocs(plain, chrooted.Chroot()+node)
	t.Logf("chrooted client: Get %.2f, Set %.2f, GetW %.2f, a fired watch %.2f allocations; unchrooted: %.2f, %.2f, %.2f, %.2f", g1, s1, w1, f1, g0, s0, w0, f0)
	// A chroot joined to a path costs at least one allocation per
	// request; less than half of one is noise (the race detector's
	// sync.Pool drops a quarter of what is put back).
	if g1 > g0+0.5 || s1 > s0+0.5 || w1 > w0+0.5 || f1 > f0+0.5 {
		t.Error("the chroot costs allocations")
	}
}

// allocsPerRun is testing.AllocsPerRun without its rounding down to a
// whole number, which turns a noise of a tenth into a difference of one.
func allocsPerRun(runs int, f func()) float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // as testing.AllocsPerRun
	f()                                             // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(runs)
}
