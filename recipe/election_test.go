package recipe

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/zktest"
)

// One leader at a time, in the order the candidates joined; Leader and
// Contenders tell who; a candidate cancelled while waiting leaves nothing.
func TestElection(t *testing.T) {
	for _, kind := range []string{"election", "selector"} {
		t.Run(kind, func(t *testing.T) {
			servers := zktest.Shared(t).Chroot(t)
			ctx := testCtx(t, 30*time.Second)
			observer := zktest.Connect(t, servers)
			var leaders atomic.Int32
			resign := make(chan struct{})
			elected := make(chan string, 10)
			done := make(chan error, 3)
			var elections []*Election
			for i := range 3 {
				id := fmt.Sprint("c", i)
				c := zktest.Connect(t, servers)
				fn := func(ctx context.Context) error {
					if n := leaders.Add(1); n != 1 {
						return fmt.Errorf("%d leaders", n)
					}
					defer leaders.Add(-1)
					elected <- id
					select {
					case <-resign:
					case <-ctx.Done():
					}
					return nil
				}
				if kind == "election" {
					e, err := NewElection(c, "/e", WithIdentifier(id))
					if err != nil {
						t.Fatal(err)
					}
					elections = append(elections, e)
					go func() { done <- e.Run(ctx, fn) }()
				} else {
					s, err := NewLeaderSelector(c, "/e", WithIdentifier(id))
					if err != nil {
						t.Fatal(err)
					}
					elections = append(elections, s.e)
					sctx, cancel := context.WithCancel(ctx)
					t.Cleanup(cancel)
					go func() { done <- s.Run(sctx, fn) }()
					defer cancel()
				}
				waitFor(t, 10*time.Second, "the candidate's node", func() bool { return len(children(t, observer, "/e")) == i+1 })
			}
			for i := range 3 {
				if got := <-elected; got != fmt.Sprint("c", i) {
					t.Fatalf("leader %s, want c%d", got, i)
				}
				lead, err := elections[0].Leader(ctx)
				if err != nil || lead != fmt.Sprint("c", i) {
					t.Fatalf("Leader() = %q, %v; want c%d", lead, err, i)
				}
				if kind == "selector" && i == 0 {
					ids, _ := elections[0].Contenders(ctx)
					if fmt.Sprint(ids) != "[c0 c1 c2]" {
						t.Fatalf("Contenders() = %v", ids)
					}
				}
				resign <- struct{}{}
			}
			if kind == "selector" { // requeued: c0 leads again
				if got := <-elected; got != "c0" {
					t.Fatalf("after requeue leader %s, want c0", got)
				}
				return // the deferred cancels end the selectors
			}
			for range 3 {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			if _, err := elections[0].Leader(ctx); !errors.Is(err, ErrNoLeader) {
				t.Fatalf("Leader with nobody: %v", err)
			}
		})
	}
}
