package recipe

import (
	"errors"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestEncodeLeaseAsPython(t *testing.T) {
	end := time.Date(2026, 11, 28, 20, 37, 12, 999, time.UTC)
	got := string(encodeLease("a\"b\\é😀<\x01\x7f", end))
	want := `{"version": 1, "holder": "a\"b\\\u00e9\ud83d\ude00<\u0001` + "\x7f" + `", "end": "2026-11-28T20:37:12"}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// A lease excludes other holders until it ends, its holder renews it, and
// MultiNonBlockingLease finds a free one among count.
func TestNonBlockingLease(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 30*time.Second)
	c := zktest.Connect(t, servers)
	for _, step := range []struct {
		id   string
		d    time.Duration
		want bool
	}{
		{"a", time.Hour, true},
		{"b", time.Hour, false},
		{"a", time.Second, true}, // renewed, ending sooner
	} {
		if ok, err := NonBlockingLease(ctx, c, "/lease", step.d, step.id); ok != step.want || err != nil {
			t.Fatalf("lease for %s: %v, %v; want %v", step.id, ok, err, step.want)
		}
	}
	waitFor(t, 5*time.Second, "the lease to end", func() bool {
		ok, err := NonBlockingLease(ctx, c, "/lease", time.Hour, "b")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	})
	data, _, err := c.Get(ctx, "/lease/lease_holder")
	if err != nil || len(data) != len(`{"version": 1, "holder": "b", "end": "2026-11-28T20:37:12"}`) {
		t.Fatalf("lease_holder %q, %v", data, err)
	}
	if got := children(t, c, "/lease"); len(got) != 1 {
		t.Fatalf("children %v, want only lease_holder", got)
	}
	for i, want := range []bool{true, true, false} {
		if ok, err := MultiNonBlockingLease(ctx, c, 2, "/multi", time.Hour, string(rune('x'+i))); ok != want || err != nil {
			t.Fatalf("multi lease %d: %v, %v", i, ok, err)
		}
	}
	if _, err := MultiNonBlockingLease(ctx, c, 0, "/multi", time.Hour, "x"); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Fatalf("count 0: %v", err)
	}
	if _, err := NonBlockingLease(ctx, c, "/lease", -time.Second, "x"); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Fatalf("negative duration: %v", err)
	}
}
