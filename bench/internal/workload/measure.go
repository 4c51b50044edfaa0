package workload

import (
	"math"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"time"
)

// Budget bounds a measured run in time: once it expires, loops stop issuing
// new requests and finish the ones in flight.
type Budget struct {
	expired atomic.Bool
	timer   *time.Timer
}

// NewBudget returns a budget that expires after d (never when d <= 0).
func NewBudget(d time.Duration) *Budget {
	b := &Budget{}
	if d > 0 {
		b.timer = time.AfterFunc(d, func() { b.expired.Store(true) })
	}
	return b
}

// Expired reports whether the budget is spent.
func (b *Budget) Expired() bool { return b.expired.Load() }

// Stop releases the budget's timer.
func (b *Budget) Stop() {
	if b.timer != nil {
		b.timer.Stop()
	}
}

// Snapshot is the state of the process at one instant: wall clock, CPU
// charged by the OS, and the Go heap's allocation counters.
type Snapshot struct {
	Wall    time.Time
	User    time.Duration
	Sys     time.Duration
	Mallocs uint64
	Bytes   uint64
	CSW     int64 // context switches, voluntary and involuntary, of every thread
}

// Take records a Snapshot. With mem set it also reads runtime.MemStats,
// which stops the world briefly: do it only outside the measured window's
// hot loop, as here (before the first and after the last operation).
func Take(mem bool) Snapshot {
	var s Snapshot
	if mem {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.Mallocs, s.Bytes = ms.Mallocs, ms.TotalAlloc
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.User = time.Duration(ru.Utime.Nano())
		s.Sys = time.Duration(ru.Stime.Nano())
		s.CSW = ru.Nvcsw + ru.Nivcsw
	}
	s.Wall = time.Now()
	return s
}

// Fill sets r's time, throughput, CPU and allocation fields from two
// snapshots around a run of r.Ops operations. Allocations are left negative
// when mem is false.
func (r *Result) Fill(before, after Snapshot, mem bool) {
	elapsed := after.Wall.Sub(before.Wall)
	r.Seconds = elapsed.Seconds()
	if r.Seconds > 0 {
		r.OpsPerSec = float64(r.Ops) / r.Seconds
	}
	r.CPUUser = (after.User - before.User).Seconds()
	r.CPUSys = (after.Sys - before.Sys).Seconds()
	if r.Ops > 0 {
		r.CSWPerOp = float64(after.CSW-before.CSW) / float64(r.Ops)
	}
	r.AllocsPerOp, r.BytesPerOp = -1, -1
	if mem && r.Ops > 0 {
		r.AllocsPerOp = float64(after.Mallocs-before.Mallocs) / float64(r.Ops)
		r.BytesPerOp = float64(after.Bytes-before.Bytes) / float64(r.Ops)
	}
}

// Latencies sets the percentile fields of r from per-operation latencies
// (which it sorts in place).
func (r *Result) Latencies(lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	r.P50Us = us(Percentile(lat, 0.50))
	r.P99Us = us(Percentile(lat, 0.99))
	r.MeanUs = us(sum / time.Duration(len(lat)))
}

// Percentile returns the q-quantile (0 <= q <= 1) of sorted values, by the
// nearest-rank method: the smallest value with at least q of the values at
// or below it. Every worker computes it the same way.
func Percentile[T any](sorted []T, q float64) T {
	n := len(sorted)
	rank := min(max(int(math.Ceil(q*float64(n))), 1), n)
	return sorted[rank-1]
}
