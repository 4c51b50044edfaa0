package workload

import (
	"testing"
	"time"
)

func TestCommandRoundTrip(t *testing.T) {
	in := Command{
		Cmd: "run", Workload: Watches, Ops: 40000, Warmup: 4000, Inflight: 256,
		Path: "/bench/data", Prefix: "/bench/seq/n-", WatchRoot: "/bench/w",
		WatchCount: 10000, WatchBatch: 5000, Timeout: 1500 * time.Millisecond,
		Profile: "/tmp/p.pprof", MemProfile: "/tmp/m.pprof",
	}
	out, err := ParseCommand(in.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("round trip:\n got %+v\nwant %+v", out, in)
	}
}

func TestParseCommandErrors(t *testing.T) {
	for _, line := range []string{"cmd", "ops=x", "timeout=soon"} {
		if _, err := ParseCommand(line); err == nil {
			t.Errorf("ParseCommand(%q) succeeded", line)
		}
	}
	if c, err := ParseCommand("cmd=quit future=1"); err != nil || c.Cmd != "quit" {
		t.Errorf("unknown keys must be ignored: %+v, %v", c, err)
	}
}

func TestPercentile(t *testing.T) {
	xs := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		q    float64
		want int
	}{{0, 1}, {0.5, 5}, {0.99, 10}, {1, 10}, {0.11, 2}} {
		if got := Percentile(xs, c.q); got != c.want {
			t.Errorf("Percentile(%v) = %d, want %d", c.q, got, c.want)
		}
	}
}

func TestWatchName(t *testing.T) {
	if got := WatchName("/bench/w", 42); got != "/bench/w/n00042" {
		t.Errorf("WatchName = %q", got)
	}
}
