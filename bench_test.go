package kazoo_test

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/internal/rawclient"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// The benchmarks run against the real server. Each pair (ours, raw)
// measures the same work; compare them side by side, in one run:
//
//	go test -run '^$' -bench . -benchmem
//
// The raw client (internal/rawclient) is the minimal hand-written pipelined
// client: the server's ceiling on this machine.

const benchWindow = 256

func benchNode(b *testing.B) (*kazoo.Client, string) {
	c := connect(b)
	if _, _, err := c.Create(context.Background(), "/bench", make([]byte, 100)); err != nil {
		b.Fatal(err)
	}
	return c, c.Chroot() + "/bench"
}

func rawConn(b *testing.B) *rawclient.Conn {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rc, err := rawclient.Dial(ctx, zktest.Shared(b).Addr(), 30*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rc.CloseSession() })
	return rc
}

// BenchmarkGet is a synchronous Get of a 100-byte node: one round trip.
func BenchmarkGet(b *testing.B) {
	c, _ := benchNode(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/op") }()
	for i := 0; i < b.N; i++ {
		if _, _, err := c.Get(ctx, "/bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawGet is the minimal client's synchronous Get.
func BenchmarkRawGet(b *testing.B) {
	_, path := benchNode(b)
	rc := rawConn(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/op") }()
	for i := 0; i < b.N; i++ {
		if _, _, err := rc.Get(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetAsync keeps 16 and benchWindow Gets in flight on one
// connection from one goroutine.
func BenchmarkGetAsync(b *testing.B) {
	b.Run("16", func(b *testing.B) { benchGetAsync(b, 16) })
	b.Run(strconv.Itoa(benchWindow), func(b *testing.B) { benchGetAsync(b, benchWindow) })
}

func benchGetAsync(b *testing.B, window int) {
	c, _ := benchNode(b)
	ctx := context.Background()
	ring := make([]*kazoo.Future[kazoo.GetResult], window)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/op") }()
	for i := 0; i < b.N; i++ {
		slot := i % window
		if f := ring[slot]; f != nil {
			if _, err := f.Result(); err != nil {
				b.Fatal(err)
			}
		}
		ring[slot] = c.GetAsync(ctx, "/bench")
	}
	for _, f := range ring {
		if f != nil {
			if _, err := f.Result(); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportRate(b)
}

// BenchmarkRawGetPipelined keeps between benchWindow/2 and benchWindow Gets
// in flight with the minimal client, writing in batches.
func BenchmarkRawGetPipelined(b *testing.B) {
	_, path := benchNode(b)
	rc := rawConn(b)
	req := &proto.PathWatchRequest{Path: path}
	var resp proto.GetDataResponse
	send := func(n int) {
		for j := 0; j < n; j++ {
			if _, err := rc.Send(proto.OpGetData, req); err != nil {
				b.Fatal(err)
			}
		}
		if err := rc.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/op") }()
	sent := min(b.N, benchWindow)
	send(sent)
	for got := 0; got < b.N; {
		for j := 0; j < benchWindow/2 && got < sent; j++ {
			hdr, d, err := rc.Recv()
			if err != nil || hdr.Err != 0 {
				b.Fatal(err, hdr.Err)
			}
			resp.Decode(d)
			got++
		}
		if more := min(b.N-sent, benchWindow/2); more > 0 {
			send(more)
			sent += more
		}
	}
	reportRate(b)
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGetWithTimeout is BenchmarkGet with a cancellable context, as
// most callers pass one.
func BenchmarkGetWithTimeout(b *testing.B) {
	c, _ := benchNode(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := c.Get(ctx, "/bench"); err != nil {
			b.Fatal(err)
		}
	}
}
