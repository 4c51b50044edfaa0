package hostlist

import (
	"math/rand/v2"
	"slices"
)

// Rebalance decides whether a client connected to current should move when
// the server list changes from old to next, and where, so that the clients
// of an ensemble spread evenly over its new members without every client
// reconnecting (the scheme of ZOOKEEPER-1355, which the Java client uses):
//
//   - the list grew and current is in it: move with probability
//     1 - len(old)/len(next), to one of the added servers;
//   - the list grew and current left it: move to an added server;
//   - the list shrank or kept its size and current is in it: stay;
//   - current left a list that did not grow: move to an added server with
//     probability 1-p and to a remaining one with p, where p keeps every
//     remaining server's expected share equal.
//
// It returns the addresses to try in order (the chosen group first, the
// other after, as fallbacks), or nil when the client should stay. rnd
// returns numbers in [0, 1); nil means math/rand.
func Rebalance(old, next []string, current string, rnd func() float64) []string {
	if rnd == nil {
		rnd = rand.Float64
	}
	var kept, added []string
	for _, a := range next {
		if slices.Contains(old, a) {
			kept = append(kept, a)
		} else {
			added = append(added, a)
		}
	}
	shuffle(kept, rnd)
	shuffle(added, rnd)
	stays := current != "" && slices.Contains(next, current)
	n, o := float64(len(next)), float64(len(old))
	probNew := 1.0
	switch {
	case len(next) > len(old) && stays:
		if rnd() >= 1-o/n {
			return nil
		}
	case len(next) > len(old):
	case stays:
		return nil
	default:
		k := float64(len(kept))
		if o > k { // some of the old servers left: their clients spread
			probNew = 1 - k*(o-n)/(n*(o-k))
		}
	}
	if rnd() < probNew {
		return append(added, kept...)
	}
	return append(kept, added...)
}

func shuffle(s []string, rnd func() float64) {
	for i := len(s) - 1; i > 0; i-- {
		j := int(rnd() * float64(i+1))
		s[i], s[j] = s[j], s[i]
	}
}
