// Package goclients runs the benchmark workloads on the Go clients: kazoo
// for Go through its synchronous and its asynchronous API, go-zookeeper/zk,
// and the minimal pipelined client (internal/rawclient) that marks the
// ceiling of what one connection to the server can do. The hand-off client
// (Gets only) is that minimal client with a reader goroutine: the CPU floor
// of any client that reads its socket from a goroutine of its own.
//
// Clients without an asynchronous API keep N requests in flight with N
// goroutines, each running synchronous calls in a loop; that is how their
// users do it.
package goclients

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kazoo-go/kazoo/bench/internal/workload"
)

// Names of the Go clients, as the driver and the results know them.
const (
	OursSync  = "ours-sync"
	OursAsync = "ours-async"
	GoZK      = "gozk"
	Raw       = "raw"
)

// Dialers maps each Go client's name to its dialer.
var Dialers = map[string]workload.Dialer{
	OursSync:  dialOursSync,
	OursAsync: dialOursAsync,
	GoZK:      dialGoZK,
	Raw:       dialRaw,
}

// sessionTimeout is what every client asks for.
const sessionTimeout = 10 * time.Second

// eventWait bounds how long FireWatches waits for the events.
const eventWait = 2 * time.Minute

// parallel runs op(i) for i in [0, n) on workers goroutines, each taking the
// next i when done with the last, until n is reached, the budget expires or
// an op fails. It returns how many ops completed and the first error.
func parallel(b *workload.Budget, n, workers int, op func(i int) error) (int, error) {
	var next, done atomic.Int64
	var failed atomic.Bool
	var errOnce sync.Once
	var firstErr error
	var wg sync.WaitGroup
	// One closure for every worker: a closure made per go statement would
	// be counted as the client's allocations in the watches workload.
	worker := func() {
		defer wg.Done()
		for !failed.Load() && !b.Expired() {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			if err := op(i); err != nil {
				errOnce.Do(func() { firstErr = err })
				failed.Store(true)
				return
			}
			done.Add(1)
		}
	}
	for range min(max(workers, 1), max(n, 1)) {
		wg.Add(1)
		go worker()
	}
	wg.Wait()
	return int(done.Load()), firstErr
}

// timer returns a channel that fires after d, and its stop function.
func timer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

var errEventTimeout = fmt.Errorf("watch events did not all arrive within %v", eventWait)
