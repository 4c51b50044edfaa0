package hostlist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func servers(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("10.0.0.%d:2181", i+1)
	}
	return s
}

// spread simulates clients evenly connected to the old servers, applies the
// change, and returns how many clients end on each server.
func spread(t *testing.T, clients int, old, next []string) map[string]int {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	count := map[string]int{}
	for i := range clients {
		cur := old[i%len(old)]
		to := Rebalance(old, next, cur, r.Float64)
		if to == nil {
			count[cur]++
			continue
		}
		count[to[0]]++
	}
	return count
}

func TestRebalanceSpreadsEvenly(t *testing.T) {
	const clients = 30000
	for _, c := range []struct {
		name      string
		old, next []string
	}{
		{"3 to 5", servers(3), servers(5)},
		{"5 to 3", servers(5), servers(3)},
		{"3 to 3 with one replaced", servers(3), append(servers(2), "10.0.0.9:2181")},
		{"5 to 7 with two replaced", servers(5), append(servers(7)[2:], "10.0.1.1:2181", "10.0.1.2:2181")},
		{"1 to 3", servers(1), servers(3)},
	} {
		t.Run(c.name, func(t *testing.T) {
			count := spread(t, clients, c.old, c.next)
			want := float64(clients) / float64(len(c.next))
			total := 0
			for _, s := range c.next {
				got := float64(count[s])
				total += count[s]
				if math.Abs(got-want)/want > 0.05 {
					t.Errorf("%s has %v clients, want %v ±5%% (all: %v)", s, got, want, count)
				}
			}
			if total != clients {
				t.Errorf("%d clients on servers of the new list, want all %d (all: %v)", total, clients, count)
			}
		})
	}
}

func TestRebalanceMovesOnlyWhenNeeded(t *testing.T) {
	old := servers(3)
	if to := Rebalance(old, old, old[0], nil); to != nil {
		t.Errorf("same list: move to %v, want stay", to)
	}
	if to := Rebalance(old, old[:2], old[0], nil); to != nil {
		t.Errorf("a server removed, ours kept: move to %v, want stay", to)
	}
	to := Rebalance(old, old[1:], old[0], nil)
	if len(to) != 2 {
		t.Fatalf("our server removed: try %v, want both remaining", to)
	}
	for _, a := range to {
		if a == old[0] {
			t.Errorf("candidates %v include the removed server", to)
		}
	}
}
