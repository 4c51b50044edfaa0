package kazoo_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
)

// readers keeps clients reading while an ensemble changes under them: a
// Get every few milliseconds on each.
type readers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	reads  int
	errs   []error
}

// startReaders starts a reader on each client, reading path(i) on the
// i-th.
func startReaders(ctx context.Context, clients []*kazoo.Client, path func(i int) string) *readers {
	ctx, cancel := context.WithCancel(ctx)
	r := &readers{cancel: cancel}
	for i, c := range clients {
		p := path(i)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for ctx.Err() == nil {
				_, _, err := c.Get(ctx, p)
				r.mu.Lock()
				if err != nil && ctx.Err() == nil {
					r.errs = append(r.errs, err)
				}
				r.reads++
				r.mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	return r
}

// stop stops the readers and fails the test unless they read and no read
// failed.
func (r *readers) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	r.wg.Wait()
	if r.reads == 0 || len(r.errs) > 0 {
		t.Fatalf("%d reads, %d failed: %v", r.reads, len(r.errs), errors.Join(r.errs...))
	}
}

// awaitCounts waits until every client is connected to one of members and
// settled(i) holds for the i-th, and counts the clients per member.
func awaitCounts(t *testing.T, ctx context.Context, clients []*kazoo.Client, members []string, settled func(i int) bool) map[string]int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		counts := map[string]int{}
		for i, c := range clients {
			s := c.ConnectedServer()
			if c.State() != kazoo.Connected || !slices.Contains(members, s) || !settled(i) {
				break
			}
			counts[s]++
		}
		if n := sum(counts); n == len(clients) {
			return counts
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("clients not all settled on %v within 30s: %v", members, counts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sum(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}
