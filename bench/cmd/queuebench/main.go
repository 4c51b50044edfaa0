// Command queuebench measures the Recipes II queue and counter against
// kazoo (Python) and Curator (Java), side by side, on one real ZooKeeper
// server:
//
//   - queue: 4 producers put and 4 consumers get, concurrently, until every
//     item was consumed (ours: recipe.Queue with its blocking Get and
//     recipe.SimpleDistributedQueue; kazoo: Queue, whose get does not
//     block; Curator: SimpleDistributedQueue);
//   - counter: 8 concurrent incrementers of one counter (ours:
//     recipe.Counter and recipe.AtomicLong; kazoo: Counter; Curator:
//     DistributedAtomicLong).
//
// Each client runs in a process of its own (ours is this binary, re-invoked
// with -worker), with one connection shared by its producers, consumers or
// incrementers; the clients take turns, in an order that rotates each
// round, and the report gives the median over the rounds.
//
//	cd bench && go run ./cmd/queuebench            # about a minute
//	cd bench && go run ./cmd/queuebench -rounds 1 -items 400 -incs 400
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/recipe"
	"github.com/kazoo-go/kazoo/zktest"
)

//go:embed worker.py
var pythonSource []byte

//go:embed Worker.java
var javaSource []byte

func main() {
	var (
		worker    = flag.Bool("worker", false, "run as our worker (internal)")
		rounds    = flag.Int("rounds", 3, "rounds; the report gives medians")
		items     = flag.Int("items", 2000, "queue items per run")
		incs      = flag.Int("incs", 2000, "counter increments per run")
		producers = flag.Int("producers", 4, "queue producers")
		consumers = flag.Int("consumers", 4, "queue consumers")
		threads   = flag.Int("threads", 8, "concurrent counter incrementers")
		addr      = flag.String("addr", "", "use a running server instead of starting one")
	)
	flag.Parse()
	if *worker {
		if err := runWorker(flag.Args()); err != nil {
			log.Fatal(err)
		}
		return
	}
	log.SetFlags(0)
	if *addr == "" {
		srv, err := zktest.Start(zktest.WithJVMFlag("-XX:TieredStopAtLevel=4", "-Xmx1g"))
		if err != nil {
			log.Fatal(err)
		}
		defer srv.Close()
		*addr = srv.Addr()
	}
	py, err := pythonWorker()
	if err != nil {
		log.Fatal(err)
	}
	java, err := javaWorker()
	if err != nil {
		log.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	type client struct {
		name     string
		workload string
		argv     []string
	}
	clients := []client{
		{"ours (Queue, kazoo layout)", "queue", []string{self, "-worker", "queue"}},
		{"ours (SimpleDistributedQueue)", "queue", []string{self, "-worker", "squeue"}},
		{"kazoo (Queue)", "queue", py},
		{"Curator (SimpleDistributedQueue)", "queue", java},
		{"ours (Counter, kazoo layout)", "counter", []string{self, "-worker", "counter"}},
		{"ours (AtomicLong)", "counter", []string{self, "-worker", "atomiclong"}},
		{"kazoo (Counter)", "counter", py},
		{"Curator (DistributedAtomicLong)", "counter", java},
	}
	// Warm the server's JIT up first, unmeasured, so that whoever runs
	// first does not pay for it.
	for i, w := range []string{"queue", "counter"} {
		argv := []string{self, "-worker", w, *addr, w, fmt.Sprintf("/queuebench/warm-%d", i), strconv.Itoa(*items), strconv.Itoa(*producers), strconv.Itoa(*consumers)}
		if w == "counter" {
			argv[len(argv)-2], argv[len(argv)-1] = strconv.Itoa(*threads), "0"
		}
		if _, err := runOne(argv); err != nil {
			log.Fatalf("warm-up: %v", err)
		}
	}
	rates := map[string][]float64{}
	for r := range *rounds {
		for i := range clients {
			c := clients[(i+r)%len(clients)]
			path := fmt.Sprintf("/queuebench/r%d-%d", r, i)
			total, a, b := *items, *producers, *consumers
			if c.workload == "counter" {
				total, a, b = *incs, *threads, 0
			}
			argv := append(slices.Clone(c.argv), *addr, c.workload, path, strconv.Itoa(total), strconv.Itoa(a), strconv.Itoa(b))
			d, err := runOne(argv)
			if err != nil {
				log.Fatalf("%s: %v", c.name, err)
			}
			rate := float64(total) / d.Seconds()
			log.Printf("round %d: %-34s %8.0f /s", r+1, c.name, rate)
			rates[c.name] = append(rates[c.name], rate)
		}
	}
	fmt.Printf("queuebench: median of %d rounds; queue: %d items, %d producers + %d consumers; counter: %d increments, %d-way\n\n",
		*rounds, *items, *producers, *consumers, *incs, *threads)
	fmt.Println("| workload | client | ops/s |")
	fmt.Println("|---|---|---:|")
	for _, c := range clients {
		fmt.Printf("| %s | %s | %.0f |\n", c.workload, c.name, median(rates[c.name]))
	}
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}

// runOne starts a worker, waits until it is connected, starts it, and
// returns the time it measured.
func runOne(argv []string) (time.Duration, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	expect := func(prefix string) (string, error) {
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, prefix) {
				return l, nil
			}
		}
		return "", fmt.Errorf("worker %v ended before %q", argv, prefix)
	}
	if _, err := expect("ready"); err != nil {
		return 0, err
	}
	fmt.Fprintln(in, "go")
	l, err := expect("done ")
	if err != nil {
		return 0, err
	}
	ns, err := strconv.ParseInt(strings.TrimPrefix(l, "done "), 10, 64)
	return time.Duration(ns), err
}

// runWorker is our side: kind (queue, squeue, counter, atomiclong), then
// the arguments the other workers take.
func runWorker(args []string) error {
	kind, addr, path := args[0], args[1], args[3]
	total, _ := strconv.Atoi(args[4])
	a, _ := strconv.Atoi(args[5])
	b, _ := strconv.Atoi(args[6])
	ctx := context.Background()
	c, err := kazoo.Connect(ctx, addr, kazoo.WithSessionTimeout(30*time.Second))
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.EnsurePath(ctx, path); err != nil {
		return err
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	var (
		wg   sync.WaitGroup
		errs = make(chan error, a+b)
	)
	run := func(n int, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if err := f(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	start := time.Now()
	switch kind {
	case "queue", "squeue":
		put, get, err := queueOps(c, kind, path)
		if err != nil {
			return err
		}
		item := []byte("item")
		for range a {
			run(total/a, func() error { return put(ctx, item) })
		}
		// Consumers take until all items are gone; the last ones are
		// cancelled once the count is reached.
		var taken atomic.Int64
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for range b {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if _, err := get(cctx); err != nil {
						if cctx.Err() == nil {
							errs <- err
						}
						return
					}
					if taken.Add(1) == int64(total) {
						cancel()
					}
				}
			}()
		}
	case "counter":
		ctr := recipe.NewCounter(c, path, int64(0))
		for range a {
			run(total/a, func() error { _, _, err := ctr.Add(ctx, 1); return err })
		}
	case "atomiclong":
		l, err := recipe.NewAtomicLong(c, path, recipe.WithOptimisticTries(100000))
		if err != nil {
			return err
		}
		for range a {
			run(total/a, func() error { _, err := l.Increment(ctx); return err })
		}
	default:
		return fmt.Errorf("unknown worker kind %q", kind)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Println("done", elapsed.Nanoseconds())
	return nil
}

func queueOps(c *kazoo.Client, kind, path string) (put func(context.Context, []byte) error, get func(context.Context) ([]byte, error), err error) {
	if kind == "queue" {
		q, err := recipe.NewQueue(c, path)
		return q.Put, q.Get, err
	}
	q, err := recipe.NewSimpleDistributedQueue(c, path)
	return q.Offer, q.Take, err
}

// pythonWorker writes the kazoo worker into the cache and returns its argv.
func pythonWorker() ([]string, error) {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import kazoo").Run() == nil {
			dir, err := cacheDir("py", pythonSource)
			if err != nil {
				return nil, err
			}
			p := filepath.Join(dir, "worker.py")
			if err := os.WriteFile(p, pythonSource, 0o644); err != nil {
				return nil, err
			}
			return []string{py, "-u", p}, nil
		}
	}
	return nil, fmt.Errorf("no Python can import kazoo (apt-get install python3-kazoo)")
}

// javaWorker compiles the Curator worker once into the cache and returns
// its argv.
func javaWorker() ([]string, error) {
	var cp []string
	for _, jar := range []string{"curator-recipes.jar", "slf4j-nop.jar"} {
		p := filepath.Join("/usr/share/java", jar)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("no %s (apt-get install libcurator-recipes-java libslf4j-java)", p)
		}
		cp = append(cp, p)
	}
	dir, err := cacheDir("java", append(slices.Clone(javaSource), strings.Join(cp, ":")...))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "Worker.class")); err != nil {
		if err := os.WriteFile(filepath.Join(dir, "Worker.java"), javaSource, 0o644); err != nil {
			return nil, err
		}
		c := exec.Command("javac", "-implicit:none", "-nowarn", "-cp", strings.Join(cp, ":"), "-d", ".", "Worker.java")
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("compiling the Curator worker: %v\n%s", err, out)
		}
	}
	return []string{"java", "-cp", strings.Join(append(cp, dir), ":"), "Worker"}, nil
}

func cacheDir(kind string, content []byte) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256(content)
	dir := filepath.Join(base, "kazoo-go", "queuebench", kind+"-"+hex.EncodeToString(sum[:8]))
	return dir, os.MkdirAll(dir, 0o755)
}
