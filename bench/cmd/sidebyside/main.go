// Command sidebyside compares the Go clients in one process, in short
// alternating bursts, so that the machine's noise (other tenants of a
// shared machine move throughput by tens of percent from one second to the
// next) falls on every client alike. zkbench compares clients run after one
// another in processes of their own; this is its sharper, narrower
// counterpart for the three targets that compare kazoo for Go with the
// minimal client and with go-zookeeper:
//
//   - the sequential Get round trip: every client's Gets interleave, one
//     call each in turn, and the medians are compared;
//   - pipelined Gets at 16 and 256 in flight: each burst runs every client
//     once, in an order that rotates, and the medians of the per-burst
//     ratios of operations per second and of CPU per operation (the
//     process's user + system time over the burst; one client runs at a
//     time) are reported, with the context switches per operation (the
//     threads put to sleep and woken: a goroutine hand-off's price).
//
// A fifth client, handoff, is the minimal client with a reader goroutine
// that hands each reply to the caller: the CPU floor of any client whose
// socket is read by a goroutine of its own (as a client that serves
// several goroutines, watches and pings must), reported beside the targets.
//
// The throughput target compares ours-async with each other client, and
// judges against the one it does worst against. It does not divide by the
// faster of the others in each burst: with bursts this noisy (single-burst
// ratios range over a factor of two on a shared machine) the faster of two
// samples is a phantom client, faster than either real one, and a client
// exactly as fast as both would score about 0.9 against it. The report
// prints that biased figure too, for comparison.
//
// Run it from the bench directory:
//
//	go run ./cmd/sidebyside            # starts ZooKeeper through zktest
//	go run ./cmd/sidebyside -addr HOST:PORT
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"maps"
	"slices"
	"syscall"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/bench/internal/goclients"
	"github.com/kazoo-go/kazoo/bench/internal/workload"
	"github.com/kazoo-go/kazoo/zktest"
)

const path = "/sidebyside"

func main() {
	addr := flag.String("addr", "", "a running server (default: start one through zktest)")
	seq := flag.Int("seq", 10000, "sequential Gets per client")
	bursts := flag.Int("bursts", 15, "bursts per pipelined workload")
	ops := flag.Int("ops", 4000, "Gets per client and burst")
	flag.Parse()
	log.SetFlags(0)
	if *addr == "" {
		srv, err := zktest.Start()
		if err != nil {
			log.Fatal(err)
		}
		defer srv.Close()
		*addr = srv.Addr()
	}
	if err := setup(*addr); err != nil {
		log.Fatal(err)
	}

	names := []string{goclients.OursSync, goclients.OursAsync, goclients.GoZK, goclients.Raw, goclients.Handoff}
	dialers := maps.Clone(goclients.Dialers)
	dialers[goclients.Handoff] = goclients.DialHandoff
	runners := map[string]workload.Runner{}
	for _, n := range names {
		r, err := dialers[n](*addr)
		if err != nil {
			log.Fatalf("%s: %v", n, err)
		}
		defer r.Close()
		runners[n] = r
	}
	budget := workload.NewBudget(time.Hour)

	// Warm up every client and the server.
	for _, n := range names {
		if _, err := runners[n].Read(budget, path, 2000, 16); err != nil {
			log.Fatalf("%s: %v", n, err)
		}
	}

	fmt.Printf("## Side by side in one process (sidebyside, %s)\n\n", *addr)
	seqClients := []string{goclients.OursSync, goclients.GoZK, goclients.Raw, goclients.Handoff}
	p50 := sequential(budget, runners, seqClients, *seq)
	fmt.Printf("Sequential Get, %d calls per client, interleaved one by one:\n\n", *seq)
	fmt.Println("| client | median µs | ÷ ours-sync |")
	fmt.Println("|---|---:|---:|")
	for _, n := range seqClients {
		fmt.Printf("| %s | %.1f | %.2f× |\n", n, us(p50[n]), float64(p50[n])/float64(p50[goclients.OursSync]))
	}
	best := min(p50[goclients.GoZK], p50[goclients.Raw])
	seqX := float64(p50[goclients.OursSync]) / float64(best)
	var verdicts []string
	verdicts = append(verdicts, verdict(seqX <= 1.05, "sequential Get round trip <= 1.05x the best other client's: ours-sync %.2f×", seqX))

	pipeClients := []string{goclients.OursAsync, goclients.OursSync, goclients.GoZK, goclients.Raw, goclients.Handoff}
	others := []string{goclients.GoZK, goclients.Raw}
	for _, inflight := range []int{16, 256} {
		res := pipelined(budget, runners, pipeClients, inflight, *bursts, *ops)
		fmt.Printf("\nGets with %d in flight, %d bursts of %d Gets per client; medians over the bursts, ratios taken within each burst:\n\n", inflight, *bursts, *ops)
		fmt.Println("| client | ops/s | ÷ ours-async | CPU µs/op | CPU ÷ ours-async | context switches/op |")
		fmt.Println("|---|---:|---:|---:|---:|---:|")
		for _, n := range pipeClients {
			r := res[n]
			fmt.Printf("| %s | %.0f | %.2f× | %.1f | %.2f× | %.2f |\n", n, median(r.opsPerSec), median(r.opsRatio), median(r.cpuPerOp), median(r.cpuRatio), median(r.cswPerOp))
		}
		// Within each burst: ours-async against each other client, and its
		// CPU against the minimal client's. The best other client is the one
		// whose median ratio is the lowest. (Dividing by the faster of the
		// two others in each burst instead would judge against a phantom
		// client: the maximum of two noisy samples exceeds each client's
		// typical burst, so a client exactly as fast as both would score
		// well below 1.0.)
		ratios := map[string][]float64{}
		var cpuVsRaw, cpuVsHandoff, handoffVsRaw []float64
		o, h, raw := res[goclients.OursAsync], res[goclients.Handoff], res[goclients.Raw]
		for i := range o.opsPerSec {
			for _, n := range others {
				ratios[n] = append(ratios[n], o.opsPerSec[i]/res[n].opsPerSec[i])
			}
			cpuVsRaw = append(cpuVsRaw, o.cpuPerOp[i]/raw.cpuPerOp[i])
			cpuVsHandoff = append(cpuVsHandoff, o.cpuPerOp[i]/h.cpuPerOp[i])
			handoffVsRaw = append(handoffVsRaw, h.cpuPerOp[i]/raw.cpuPerOp[i])
		}
		best := others[0]
		for _, n := range others[1:] {
			if median(ratios[n]) < median(ratios[best]) {
				best = n
			}
		}
		vsBest := ratios[best]
		var vsFaster []float64
		for i := range o.opsPerSec {
			vsFaster = append(vsFaster, o.opsPerSec[i]/max(res[goclients.GoZK].opsPerSec[i], res[goclients.Raw].opsPerSec[i]))
		}
		fmt.Printf("\nours-async ÷ gozk %.2f×, ÷ raw %.2f× (medians of the bursts' ratios); ÷ the faster of the two in each burst %.2f× (biased low: see the package doc)\n",
			median(ratios[goclients.GoZK]), median(ratios[goclients.Raw]), median(vsFaster))
		fmt.Printf("\nCPU per read (medians of the bursts' ratios): ours-async ÷ raw %.2f×, ÷ handoff %.2f×; handoff ÷ raw %.2f× (the hand-off alone)\n",
			median(cpuVsRaw), median(cpuVsHandoff), median(handoffVsRaw))
		verdicts = append(verdicts,
			verdict(median(vsBest) >= 1.0, "%d in flight: ours-async throughput >= 1.0x the best other client's (%s; median of the bursts' ratios): %.2f× (bursts %.2f–%.2f)", inflight, best, median(vsBest), slices.Min(vsBest), slices.Max(vsBest)),
			verdict(median(cpuVsRaw) <= 1.1, "%d in flight: ours-async CPU per read <= 1.1x the minimal client's: %.2f× (bursts %.2f–%.2f)", inflight, median(cpuVsRaw), slices.Min(cpuVsRaw), slices.Max(cpuVsRaw)))
	}
	fmt.Printf("\n### Targets\n\n")
	for _, v := range verdicts {
		fmt.Println(v)
	}
}

// verdict formats one target's line.
func verdict(pass bool, format string, args ...any) string {
	v := "MISS"
	if pass {
		v = "PASS"
	}
	return fmt.Sprintf("- **%s** "+format, append([]any{v}, args...)...)
}

// setup creates the node every client reads.
func setup(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kazoo.Connect(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, _, err := c.Create(ctx, path, make([]byte, 100)); err != nil && !errors.Is(err, kazoo.ErrNodeExists) {
		return err
	}
	return nil
}

// sequential interleaves the clients' Gets one call at a time and returns
// each client's median latency.
func sequential(b *workload.Budget, runners map[string]workload.Runner, names []string, n int) map[string]time.Duration {
	lat := map[string][]time.Duration{}
	one := make([]time.Duration, 1)
	for range n {
		for _, name := range names {
			if _, err := runners[name].SeqGet(b, path, one); err != nil {
				log.Fatalf("%s: %v", name, err)
			}
			lat[name] = append(lat[name], one[0])
		}
	}
	p50 := map[string]time.Duration{}
	for name, l := range lat {
		slices.Sort(l)
		p50[name] = l[len(l)/2]
	}
	return p50
}

type pipeResult struct {
	opsPerSec, cpuPerOp, opsRatio, cpuRatio, cswPerOp []float64
}

// pipelined runs bursts in which every client reads ops Gets with inflight
// in flight, in a rotating order, and collects per-burst numbers and ratios
// to the first client.
func pipelined(b *workload.Budget, runners map[string]workload.Runner, names []string, inflight, bursts, ops int) map[string]*pipeResult {
	res := map[string]*pipeResult{}
	for _, n := range names {
		res[n] = &pipeResult{}
	}
	for i := range bursts {
		rate, cpu, csw := map[string]float64{}, map[string]float64{}, map[string]float64{}
		for j := range names {
			name := names[(i+j)%len(names)]
			c0, s0 := usage()
			t0 := time.Now()
			if _, err := runners[name].Read(b, path, ops, inflight); err != nil {
				log.Fatalf("%s: %v", name, err)
			}
			rate[name] = float64(ops) / time.Since(t0).Seconds()
			c1, s1 := usage()
			cpu[name] = float64((c1 - c0).Microseconds()) / float64(ops)
			csw[name] = float64(s1-s0) / float64(ops)
		}
		base := names[0]
		for _, n := range names {
			r := res[n]
			r.opsPerSec = append(r.opsPerSec, rate[n])
			r.cpuPerOp = append(r.cpuPerOp, cpu[n])
			r.cswPerOp = append(r.cswPerOp, csw[n])
			r.opsRatio = append(r.opsRatio, rate[n]/rate[base])
			r.cpuRatio = append(r.cpuRatio, cpu[n]/cpu[base])
		}
	}
	return res
}

// usage returns the process's CPU time (user + system) and its context
// switches (voluntary + involuntary, every thread): a voluntary one is a
// thread that went to sleep, which is what a goroutine hand-off between
// threads costs.
func usage() (time.Duration, int64) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Nvcsw + ru.Nivcsw
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
