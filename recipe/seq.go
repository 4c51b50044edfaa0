package recipe

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/kazoo-go/kazoo"
)

// ZooKeeper appends the parent's child version to a sequential node's name,
// formatted "%010d": a signed 32-bit counter that wraps from 2147483647 to
// -2147483648. Both kazoo and Curator compare these suffixes as strings,
// which misorders nodes across the wrap (kazoo #606, #730). We compare them
// as serial numbers instead: a comes before b when b-a, computed modulo 2^32,
// is positive. That order is exact as long as the contenders alive at once
// were created less than 2^31 sequence numbers apart, which always holds.

// seqBefore reports whether sequence a was issued before sequence b.
func seqBefore(a, b int32) bool { return int32(uint32(b)-uint32(a)) > 0 }

// compareSeq orders sequence numbers by issue order (see seqBefore).
func compareSeq(a, b int32) int {
	switch {
	case a == b:
		return 0
	case seqBefore(a, b):
		return -1
	}
	return 1
}

// parseSeq parses a sequence suffix as ZooKeeper writes it ("%010d"):
// ten digits, or a minus sign and nine or ten digits.
func parseSeq(suffix string) (seq int32, ok bool) {
	digits := strings.TrimPrefix(suffix, "-")
	if len(digits) != 10 && (len(digits) != 9 || digits == suffix) {
		return 0, false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(suffix, 10, 32)
	return int32(v), err == nil
}

// ZooKeeper 3.4 wraps; 3.8 and 3.9 do not: once the counter reaches
// 2147483647, every later sequential child gets 2147483647 too (the tree
// keeps the larger child version; TestLockOrderAtSequenceLimit checks both
// behaviours on real servers). Names then no longer tell the order,
// and sorting ties by name would let a newcomer sort ahead of the holder.
// orderTies orders such ties by creation zxid, which only grows.

// member is one contender of a sequential recipe: a child of the recipe's
// node, its kind (the marker found in its name, e.g. "__lock__") and its
// sequence number.
type member struct {
	Name  string
	Kind  string
	Seq   int32
	Czxid int64 // set by orderTies for tied members only
}

// members parses children into the contenders whose names carry one of the
// markers in kinds (e.g. "__lock__") right before the sequence suffix, in issue order. Any
// other child (a foreign node, a lease, a leftover of another recipe) is
// ignored, so it can never break the ordering.
func members(children []string, kinds ...string) []member {
	ms := make([]member, 0, len(children))
	for _, c := range children {
		for _, k := range kinds {
			// The last marker, as Curator does: a Curator lock name is
			// "_c_<uuid>-lock-<seq>", and a negative <seq> starts with "-".
			i := strings.LastIndex(c, k)
			if i < 0 {
				continue
			}
			if seq, ok := parseSeq(c[i+len(k):]); ok {
				ms = append(ms, member{Name: c, Kind: k, Seq: seq})
				break
			}
		}
	}
	slices.SortFunc(ms, func(a, b member) int {
		return cmp.Or(compareSeq(a.Seq, b.Seq), strings.Compare(a.Name, b.Name))
	})
	return ms
}

// indexOf returns the position of the member named name, or -1.
func indexOf(ms []member, name string) int {
	return slices.IndexFunc(ms, func(m member) bool { return m.Name == name })
}

// orderTies reorders members that share a sequence number by their
// creation zxid, read from the server (children of dir), and drops the ones
// that vanished meanwhile. Without ties it returns ms at once.
func orderTies(ctx context.Context, c *kazoo.Client, dir string, ms []member) ([]member, error) {
	tied := false
	for i := 1; i < len(ms) && !tied; i++ {
		tied = ms[i].Seq == ms[i-1].Seq
	}
	if !tied {
		return ms, nil
	}
	futures := make([]*kazoo.Future[kazoo.ExistsResult], len(ms))
	for i, m := range ms {
		futures[i] = c.ExistsAsync(ctx, kazoo.JoinPath(dir, m.Name))
	}
	out := ms[:0:0]
	for i, f := range futures {
		r, err := f.Result()
		if err != nil {
			return nil, err
		}
		if r.Exists {
			m := ms[i]
			m.Czxid = r.Stat.Czxid
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b member) int {
		return cmp.Or(compareSeq(a.Seq, b.Seq), cmp.Compare(a.Czxid, b.Czxid))
	})
	return out, nil
}
