package kazoo_test

import (
	"context"
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
		get = testing.AllocsPerRun(500, func() {
			if _, _, err := c.Get(ctx, path); err != nil {
				t.Fatal(err)
			}
		})
		set = testing.AllocsPerRun(500, func() {
			if _, err := c.Set(ctx, path, []byte("x"), kazoo.AnyVersion); err != nil {
				t.Fatal(err)
			}
		})
		getw = testing.AllocsPerRun(500, func() {
			if _, _, _, err := c.GetW(ctx, path); err != nil {
				t.Fatal(err)
			}
		})
		fired = testing.AllocsPerRun(200, func() { // a watch set, fired and delivered
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
	if g1 > g0 || s1 > s0 || w1 > w0 || f1 > f0 {
		t.Errorf("chrooted client: Get %v, Set %v, GetW %v, a fired watch %v allocations; unchrooted: %v, %v, %v, %v", g1, s1, w1, f1, g0, s0, w0, f0)
	}
}
