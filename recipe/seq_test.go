package recipe

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestParseSeq(t *testing.T) {
	for _, tc := range []struct {
		suffix string
		seq    int32
		ok     bool
	}{
		{"0000000007", 7, true},
		{"2147483647", math.MaxInt32, true},
		{"-2147483648", math.MinInt32, true},
		{"-000000005", -5, true},
		{"1000000000", 1000000000, true},
		{"-1000000000", -1000000000, true},
		{"000000001", 0, false}, // 9 digits
		{"00000a0001", 0, false},
		{"9999999999", 0, false}, // out of int32
		{"00000-0001", 0, false},
		{"+000000001", 0, false},
		{"", 0, false},
	} {
		seq, ok := parseSeq(tc.suffix)
		if ok != tc.ok || (ok && seq != tc.seq) {
			t.Errorf("parseSeq(%q) = %d, %v; want %d, %v", tc.suffix, seq, ok, tc.seq, tc.ok)
		}
	}
}

func TestSeqOrderAcrossWrap(t *testing.T) {
	// Issued in this order: the counter wraps after 2147483647.
	issued := []int32{999999999, 1000000000, 2147483645, 2147483646, math.MaxInt32, math.MinInt32, -2147483647, -2147483646}
	var children []string
	for i, s := range issued {
		children = append(children, fmt.Sprintf("%032x__lock__%010d", len(issued)-i, s))
		children = append(children, fmt.Sprintf("_c_%d-lock-%010d", i, s))
	}
	children = append(children, "foreign", "lease_holder", "junk__rlock__0000000001")
	slices.Reverse(children)
	ms := members(children, "__lock__")
	curator := members(children, "lock-")
	if len(ms) != len(issued) || len(curator) != len(issued) {
		t.Fatalf("got %d members, want %d: %v", len(ms), len(issued), ms)
	}
	for i, m := range ms {
		if m.Seq != issued[i] || curator[i].Seq != issued[i] {
			t.Fatalf("member %d is %d, want %d (order %v)", i, m.Seq, issued[i], ms)
		}
	}
	if !seqBefore(math.MaxInt32, math.MinInt32) || seqBefore(math.MinInt32, math.MaxInt32) || seqBefore(5, 5) {
		t.Fatal("seqBefore does not follow the wrap")
	}
}
