package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/cache"
)

// The worker protocol, the same for every client (one process each):
//
//	argv: the connection string and the cached path
//	->  ready HEAP RSS                connected, nothing cached yet
//	<-  start                         start the cache
//	->  init NODES MS HEAP RSS        initialized: nodes cached, time taken, memory after it
//	<-  expect N                      count NodeUpdated events from now on
//	->  expecting
//	->  done UNIX_MS                  the Nth update event arrived (wall clock)
//
// HEAP is the language's live heap after a full collection (Go: with the
// goroutine stacks; -1 where there is none to ask: Python), RSS the
// process's resident memory.

// runWorker is this program as the Go worker ("-worker ours|ours-oneshot").
func runWorker(kind, servers, path string) error {
	ctx := context.Background()
	c, err := kazoo.Connect(ctx, servers, kazoo.WithSessionTimeout(30*time.Second))
	if err != nil {
		return err
	}
	defer c.Close()
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	say("ready %d %d", heap(), rss())
	mode := cache.Auto
	if kind == "ours-oneshot" {
		mode = cache.OneShot
	}
	var seen, want atomic.Int64
	want.Store(-1)
	done := make(chan int64, 1)
	listener := func(e cache.Event) {
		if e.Type == cache.NodeUpdated && seen.Add(1) == want.Load() {
			done <- time.Now().UnixMilli()
		}
	}
	var tc *cache.TreeCache
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		words := strings.Fields(in.Text())
		switch {
		case len(words) == 1 && words[0] == "start":
			t0 := time.Now()
			tc, err = cache.NewTreeCache(ctx, c, path, cache.WithMode(mode), cache.WithListener(listener))
			if err != nil {
				return err
			}
			defer tc.Close()
			if err := tc.WaitInitialized(ctx); err != nil {
				return err
			}
			ms := time.Since(t0).Milliseconds()
			nodes := 0
			for range tc.Walk() {
				nodes++
			}
			say("init %d %d %d %d", nodes, ms, heap(), rss())
		case len(words) == 2 && words[0] == "expect":
			n, err := strconv.ParseInt(words[1], 10, 64)
			if err != nil {
				return err
			}
			seen.Store(0)
			want.Store(n)
			say("expecting")
			go func() { say("done %d", <-done) }()
		}
	}
	return in.Err()
}

// heap is the live heap and goroutine stacks after a full collection, with
// freed memory given back to the system so that the RSS beside it is live
// memory too (Go shrinks the stacks grown while loading only at collections).
func heap() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}

func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
