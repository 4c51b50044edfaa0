package recipe

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// At most max holders at once; a waiter gets in when a lease is returned.
func TestSemaphoreLimit(t *testing.T) {
	for _, layout := range layouts {
		t.Run(layout.name, func(t *testing.T) {
			servers := zktest.Shared(t).Chroot(t)
			ctx := testCtx(t, 30*time.Second)
			var sems []*Semaphore
			for i := range 3 {
				s, err := NewSemaphore(zktest.Connect(t, servers), "/sem", 2, append(layout.opts, WithIdentifier(fmt.Sprint("s", i)))...)
				if err != nil {
					t.Fatal(err)
				}
				sems = append(sems, s)
			}
			for _, s := range sems[:2] {
				if ok, err := s.TryAcquire(ctx); !ok || err != nil {
					t.Fatalf("TryAcquire below the limit: %v, %v", ok, err)
				}
			}
			if ok, err := sems[2].TryAcquire(ctx); ok || err != nil {
				t.Fatalf("TryAcquire at the limit: %v, %v", ok, err)
			}
			holders, err := sems[0].Holders(ctx)
			if err != nil || len(holders) != 2 {
				t.Fatalf("Holders: %v, %v", holders, err)
			}
			got := make(chan error, 1)
			go func() { got <- sems[2].Acquire(ctx) }()
			if layout.name == "curator" { // its lease node waits in line
				waitFor(t, 10*time.Second, "the waiter's lease", func() bool { h, _ := sems[0].Holders(ctx); return len(h) == 3 })
			}
			select {
			case err := <-got:
				t.Fatalf("a third holder got in (%v)", err)
			case <-time.After(100 * time.Millisecond):
			}
			if err := sems[0].Release(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-got; err != nil {
				t.Fatal(err)
			}
			if sems[0].Context().Err() == nil || sems[2].Context().Err() != nil {
				t.Fatal("ownership contexts do not follow the leases")
			}
			for _, s := range sems {
				if err := s.Release(ctx); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// A limit that disagrees with the stored one, or bad limits, are refused
// and leave nothing behind.
func TestSemaphoreBadInput(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 30*time.Second)
	c := zktest.Connect(t, servers)
	for _, n := range []int{0, -1} {
		if _, err := NewSemaphore(c, "/sem", n); !errors.Is(err, kazoo.ErrInvalidArgument) {
			t.Errorf("NewSemaphore(%d): %v, want ErrInvalidArgument", n, err)
		}
	}
	s2, _ := NewSemaphore(c, "/sem", 2)
	if err := s2.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	s3, _ := NewSemaphore(zktest.Connect(t, servers), "/sem", 3)
	if err := s3.Acquire(ctx); !errors.Is(err, ErrMaxLeases) {
		t.Fatalf("limit 3 on a semaphore of 2: %v, want ErrMaxLeases", err)
	}
	if got := children(t, c, "/sem"); len(got) != 1 {
		t.Fatalf("leases %v: the refused one left something", got)
	}
	if got := children(t, c, "/sem-__lock__"); len(got) != 0 {
		t.Fatalf("lock nodes %v left", got)
	}
	if _, _, err := c.Create(ctx, "/other", []byte("not a number")); err != nil {
		t.Fatal(err)
	}
	s, _ := NewSemaphore(c, "/other", 1)
	if err := s.Acquire(ctx); !errors.Is(err, ErrForeignLayout) {
		t.Fatalf("semaphore on a node with foreign data: %v", err)
	}
	if err := s2.Release(ctx); err != nil {
		t.Fatal(err)
	}
}
