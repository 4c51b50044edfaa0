package recipe

import (
	"bytes"
	"math"
	"testing"
)

func FuzzCounterValue(f *testing.F) {
	for _, s := range []string{"", "5", "-3", "3.5", "1e+16", "abc", "0.1", "inf", "9223372036854775808"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if i, err := parseNumber(data, int64(0)); err == nil && len(data) > 0 {
			if back, err := parseNumber(formatNumber(i), int64(0)); err != nil || back != i {
				t.Fatalf("int %d: wrote %q, read %d %v", i, formatNumber(i), back, err)
			}
		}
		if x, err := parseNumber(data, 0.0); err == nil && !math.IsNaN(x) {
			if back, err := parseNumber(formatNumber(x), 0.0); err != nil || back != x {
				t.Fatalf("float %v: wrote %q, read %v %v", x, formatNumber(x), back, err)
			}
		}
	})
}

func TestFormatNumberAsPython(t *testing.T) {
	for v, want := range map[float64]string{5: "5.0", 0.1: "0.1", 1e16: "1e+16", 1e-5: "1e-05", -2.5: "-2.5", 123456.789: "123456.789"} {
		if got := string(formatNumber(v)); got != want {
			t.Errorf("%v: %q, want %q", v, got, want)
		}
	}
	if got := string(formatNumber(int64(-42))); got != "-42" {
		t.Errorf("int: %q", got)
	}
}

func FuzzQueueItemFraming(f *testing.F) {
	f.Add(encodeMultiItem([][]byte{[]byte("a"), nil, []byte("bcd")}))
	f.Add([]byte{0, 1, 0, 1, 1, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := decodeMultiItem(data)
		if err != nil {
			return
		}
		again, err := decodeMultiItem(encodeMultiItem(items))
		if err != nil || len(again) != len(items) {
			t.Fatalf("round trip: %d items, then %d %v", len(items), len(again), err)
		}
		for i := range items {
			if !bytes.Equal(items[i], again[i]) {
				t.Fatalf("item %d changed", i)
			}
		}
	})
}

func FuzzQueueEntryName(f *testing.F) {
	for _, s := range []string{"entry-100-0000000001", "entry-007--000000005", "entry-1000-0000000001", "foreign", "qn-0000000003"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		k, ok := parseEntry(name)
		if ok && (k.prio < 0 || k.prio > 999) {
			t.Fatalf("%q: priority %d", name, k.prio)
		}
		_, _ = seqOnly("qn-")(name)
	})
}

func TestQueueOrderAcrossWrap(t *testing.T) {
	q := seqQueue{parse: parseEntry, foreign: map[string]bool{}}
	got := q.entries([]string{"entry-100--2147483647", "entry-100-2147483646", "entry-001-0000000009", "entry-100-2147483647"})
	// Priority first; then issue order across the signed wrap.
	want := []string{"entry-001-0000000009", "entry-100-2147483646", "entry-100-2147483647", "entry-100--2147483647"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}
