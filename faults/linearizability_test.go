package faults

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// casOp is one compare-and-set on the register: Set(data, from) where the
// data names the write (id) and the value it replaces (prev), read at
// version from.
type casOp struct {
	id, prev         string
	from             int32
	invoke, complete time.Time // complete is zero when the outcome is unknown
	outcome          casOutcome
}

type casOutcome int

const (
	casUnknown casOutcome = iota // connection lost, session expired, timed out: applied or not
	casApplied                   // acknowledged: the register went from version from to from+1
	casRefused                   // BadVersion: certainly not applied
)

const initialID = "init"

func casData(id, prev string) []byte { return []byte("id=" + id + " prev=" + prev) }

func parseCAS(data []byte) (id, prev string, ok bool) {
	s, ok := strings.CutPrefix(string(data), "id=")
	if !ok {
		return "", "", false
	}
	id, prev, ok = strings.Cut(s, " prev=")
	return id, prev, ok
}

// checkCAS checks a history of compare-and-set operations on one ZooKeeper
// node against its final value (finalID at version final). Versions order
// the writes, and each value names the one it replaced, so the committed
// history can be read backwards from the final value; it is linearizable
// when:
//   - every value in it was written by one of the operations, none refused;
//   - every acknowledged write is in it, at the version it was acknowledged
//     for (no acknowledged write lost);
//   - no write in it completed before a write earlier in it was invoked;
//   - no write was refused (BadVersion) while the version it expected was
//     certainly current: after the write of that version completed and
//     before the next one was invoked.
//
// It returns the problems found (at most a few of each kind) and the length
// of the committed history.
func checkCAS(ops []casOp, finalID string, final int32) (problems []string, committed int) {
	byID := make(map[string]*casOp, len(ops))
	for i := range ops {
		byID[ops[i].id] = &ops[i]
	}
	report := func(format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	// The committed history, from version 0 to final.
	chain := make([]*casOp, final+1)
	id := finalID
	for v := final; v > 0; v-- {
		op := byID[id]
		switch {
		case op == nil:
			report("version %d holds %q, which no operation wrote", v, id)
			return problems, 0
		case op.from != v-1:
			report("version %d holds %s, a write expecting version %d", v, id, op.from)
		case op.outcome == casRefused:
			report("version %d holds %s, a write refused with BadVersion", v, id)
		}
		chain[v] = op
		id = op.prev
	}
	if id != initialID {
		report("version 0 holds %q, not the initial value", id)
	}
	for i := range ops {
		op := &ops[i]
		if op.outcome == casApplied && (op.from >= final || chain[op.from+1] != op) {
			report("acknowledged write %s (version %d to %d, %v to %v) lost", op.id, op.from, op.from+1,
				op.invoke.Format("15:04:05.000"), op.complete.Format("15:04:05.000"))
		}
	}
	var latestInvoke time.Time // the latest invocation of the writes so far
	for v := int32(1); v <= final; v++ {
		op := chain[v]
		if !op.complete.IsZero() && op.complete.Before(latestInvoke) {
			report("write %s (version %d) completed before an earlier version's write was invoked", op.id, v)
		}
		if op.invoke.After(latestInvoke) {
			latestInvoke = op.invoke
		}
	}
	for i := range ops {
		op := &ops[i]
		if op.outcome != casRefused || op.from > final {
			continue
		}
		var current time.Time // when version from became current for sure
		if w := chain[op.from]; w != nil {
			if current = w.complete; current.IsZero() {
				continue
			}
		}
		stillCurrent := op.from == final || chain[op.from+1].invoke.After(op.complete)
		if !op.invoke.Before(current) && stillCurrent {
			report("write %s refused with BadVersion while version %d was current", op.id, op.from)
		}
	}
	return problems, int(final)
}

// The checker finds what it must: a lost acknowledged write, a value no
// one wrote, a real-time inversion, a wrongly refused write.
func TestCheckCASFindsViolations(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	good := []casOp{
		{id: "a", prev: initialID, from: 0, invoke: at(0), complete: at(10), outcome: casApplied},
		{id: "b", prev: "a", from: 1, invoke: at(20), complete: at(30), outcome: casApplied},
		{id: "x", prev: "a", from: 1, invoke: at(5), complete: at(35), outcome: casRefused},
		{id: "c", prev: "b", from: 2, invoke: at(40), outcome: casUnknown},
	}
	if p, n := checkCAS(good, "c", 3); len(p) > 0 || n != 3 {
		t.Fatalf("a linearizable history: %v (%d committed)", p, n)
	}
	if p, _ := checkCAS(good, "b", 2); len(p) > 0 {
		t.Fatalf("a linearizable history without the unknown write: %v", p)
	}
	for name, tc := range map[string]struct {
		ops      []casOp
		final    string
		version  int32
		contains string
	}{
		"lost write": {append(append([]casOp(nil), good[:2]...),
			casOp{id: "b2", prev: "a", from: 1, invoke: at(20), complete: at(30), outcome: casApplied}), "b", 2, "lost"},
		"unknown value": {good, "zz", 3, "no operation wrote"},
		"inversion": {[]casOp{
			{id: "a", prev: initialID, from: 0, invoke: at(50), complete: at(60), outcome: casApplied},
			{id: "b", prev: "a", from: 1, invoke: at(0), complete: at(10), outcome: casApplied},
		}, "b", 2, "completed before"},
		"wrong refusal": {append(append([]casOp(nil), good[:2]...),
			casOp{id: "r", prev: "b", from: 2, invoke: at(31), complete: at(32), outcome: casRefused}), "b", 2, "refused"},
	} {
		p, _ := checkCAS(tc.ops, tc.final, tc.version)
		if !strings.Contains(strings.Join(p, "\n"), tc.contains) {
			t.Errorf("%s: problems %q, want one saying %q", name, p, tc.contains)
		}
	}
}

// What must keep holding: compare-and-set on one node is linearizable and
// no acknowledged write is lost while the ensemble's leader is killed and
// paused, members are partitioned from the clients and connections reset.
func TestCompareAndSetLinearizable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-member ensemble through faults")
	}
	rounds, workers := size(1, 10), size(3, 5)
	cl := zktest.StartCluster(t, 3)
	proxies := make([]*zktest.Proxy, cl.Len())
	addrs := make([]string, cl.Len())
	for i := range proxies {
		proxies[i] = zktest.NewProxy(t, cl.Member(i).Addr())
		addrs[i] = proxies[i].Addr()
	}
	servers := strings.Join(addrs, ",")
	ctx := testCtx(t, 30*time.Minute)
	setup := zktest.Connect(t, cl.ConnString())
	if _, _, err := setup.Create(ctx, "/reg", casData(initialID, "")); err != nil {
		t.Fatal(err)
	}

	var (
		mu      sync.Mutex
		ops     []casOp
		applied atomic.Int64
		wg      sync.WaitGroup
		clients = make([]*kazoo.Client, workers)
		lastErr = make([]atomic.Value, workers) // each worker's last error, for a stall's report
	)
	wctx, stop := context.WithCancel(ctx)
	for w := range workers {
		c := zktest.Connect(t, servers, kazoo.WithSessionTimeout(4*time.Second))
		clients[w] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; wctx.Err() == nil; seq++ {
				octx, cancel := context.WithTimeout(wctx, 10*time.Second) // past the session timeout: a dead connection is the client's to notice (see defect B)
				data, stat, err := c.Get(octx, "/reg")
				if err != nil {
					lastErr[w].Store(fmt.Sprintf("%v: Get: %v", time.Now().Format("15:04:05.000"), err))
					cancel()
					continue
				}
				current, _, ok := parseCAS(data)
				if !ok {
					t.Errorf("register holds %q", data)
				}
				op := casOp{id: fmt.Sprintf("c%d-%d", w, seq), prev: current, from: stat.Version, invoke: time.Now()}
				_, err = c.Set(octx, "/reg", casData(op.id, op.prev), stat.Version)
				cancel()
				switch {
				case err == nil:
					op.complete, op.outcome = time.Now(), casApplied
					applied.Add(1)
				case errors.Is(err, kazoo.ErrBadVersion):
					op.complete, op.outcome = time.Now(), casRefused
				default:
					lastErr[w].Store(fmt.Sprintf("%v: Set: %v", time.Now().Format("15:04:05.000"), err))
				}
				mu.Lock()
				ops = append(ops, op)
				mu.Unlock()
			}
		}()
	}
	// progress waits until the clients applied k more writes: the
	// ensemble serves again.
	progress := func(what string, k int64) {
		t.Helper()
		target := applied.Load() + k
		deadline := time.Now().Add(60 * time.Second)
		for applied.Load() < target {
			if time.Now().After(deadline) {
				var report []string
				for w, c := range clients {
					report = append(report, fmt.Sprintf("worker %d: %v on %q, last error %v", w, c.State(), c.ConnectedServer(), lastErr[w].Load()))
				}
				for i, m := range cl.Members() {
					mctx, cancel := context.WithTimeout(ctx, 2*time.Second) // a paused member does not answer
					mode, err := m.Mode(mctx)
					cancel()
					report = append(report, fmt.Sprintf("member %d (%s, proxy %s): %q %v", i, m.Addr(), addrs[i], mode, err))
				}
				t.Fatalf("%s: no %d writes applied within 60s (%s):\n%s", what, k, time.Now().Format("15:04:05.000"), strings.Join(report, "\n"))
			}
			time.Sleep(10 * time.Millisecond) // polling a counter, with a deadline
		}
	}
	progress("start", 50)
	for r := range rounds {
		leader, err := cl.WaitLeader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := cl.Member(leader)
		if err := m.Kill(); err != nil {
			t.Fatal(err)
		}
		progress(fmt.Sprintf("round %d: leader %d killed", r, leader), 50)
		if err := m.Start(); err != nil {
			t.Fatal(err)
		}
		if err := m.WaitServing(ctx); err != nil {
			t.Fatal(err)
		}
		if leader, err = cl.WaitLeader(ctx); err != nil {
			t.Fatal(err)
		}
		m = cl.Member(leader)
		if err := m.Pause(); err != nil {
			t.Fatal(err)
		}
		progress(fmt.Sprintf("round %d: leader %d paused", r, leader), 50)
		if err := m.Resume(); err != nil {
			t.Fatal(err)
		}
		if err := m.WaitServing(ctx); err != nil {
			t.Fatal(err)
		}
		p := proxies[r%len(proxies)]
		p.Blackhole()
		progress(fmt.Sprintf("round %d: clients partitioned from member %d", r, r%len(proxies)), 50)
		p.ResetAll()
		p.Heal()
		for _, p := range proxies {
			p.ResetAll()
		}
		progress(fmt.Sprintf("round %d: every connection reset", r), 50)
	}
	stop()
	wg.Wait()

	// The final value, once every member agrees on it.
	var (
		finalID string
		final   int32
	)
	for deadline := time.Now().Add(30 * time.Second); ; {
		seen := make(map[string]bool)
		for i := range cl.Len() {
			c := zktest.Connect(t, cl.Member(i).Addr())
			if err := c.Sync(ctx, "/reg"); err != nil {
				t.Fatal(err)
			}
			data, stat, err := c.Get(ctx, "/reg")
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			id, _, ok := parseCAS(data)
			if !ok {
				t.Fatalf("register holds %q", data)
			}
			finalID, final = id, stat.Version
			seen[fmt.Sprintf("%s at version %d", id, stat.Version)] = true
		}
		if len(seen) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the members disagree on the final value 30s after the faults: %v", seen)
		}
		time.Sleep(100 * time.Millisecond) // polling the members, with a deadline
	}
	problems, committed := checkCAS(ops, finalID, final)
	var unknown int
	for _, op := range ops {
		if op.outcome == casUnknown {
			unknown++
		}
	}
	t.Logf("%d writes attempted, %d acknowledged, %d outcomes unknown, %d committed", len(ops), applied.Load(), unknown, committed)
	for _, p := range problems {
		t.Error(p)
	}
}
