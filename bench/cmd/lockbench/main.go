// Command lockbench measures distributed lock hand-off, ours against kazoo
// (Python) and Curator (Java), side by side against one ZooKeeper server.
//
// Each library runs in its own process with the same number of contenders
// (default 8), each contender with its own session, all looping lock and
// unlock on one path with nothing in between. From the monotonic times
// each worker records (a lock call's return, the following unlock call) it
// reports:
//
//   - acquisitions per second over the measured window;
//   - hand-off latency: from one holder's unlock call to the next holder's
//     lock return, median and p99. With contenders always waiting this is
//     the release round trip, the watch notification, and the next
//     holder's getChildren round trip.
//
// The libraries take turns, one at a time, for several rounds, in an order
// that rotates every round; the report shows medians over the rounds.
//
//	go -C bench run ./cmd/lockbench                  # starts ZooKeeper; about a minute
//	go -C bench run ./cmd/lockbench -rounds 5 -seconds 10
//
// It needs what the tests need: ZooKeeper, python3-kazoo, Curator
// (libcurator-recipes-java) and a JDK.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/internal/interop"
	"github.com/kazoo-go/kazoo/recipe"
	"github.com/kazoo-go/kazoo/zktest"
)

//go:embed lockbench.py
var pythonSource []byte

//go:embed LockBench.java
var javaSource []byte

var (
	addr       = flag.String("addr", "", "use a running server (host:port) instead of starting one")
	contenders = flag.Int("contenders", 8, "contenders per library, each with its own session")
	seconds    = flag.Float64("seconds", 5, "measured seconds per run")
	warmup     = flag.Float64("warmup", 2, "unmeasured seconds before each run")
	rounds     = flag.Int("rounds", 3, "runs per library")
	libs       = flag.String("libs", "ours,kazoo,curator", "libraries to compare")
	worker     = flag.Bool("worker", false, "internal: run our worker (argv as lockbench.py's)")
)

func main() {
	log.SetFlags(0)
	flag.Parse()
	if *worker {
		if err := runWorker(flag.Args()); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

// events are the (lock return, unlock call) monotonic times, in ns, of
// every measured acquisition of one run.
type events struct {
	Events [][2]int64 `json:"events"`
}

// result is one run's measurements.
type result struct {
	rate         float64 // acquisitions per second
	median, p99  time.Duration
	acquisitions int
}

func measure(ev events, secs float64) result {
	slices.SortFunc(ev.Events, func(a, b [2]int64) int { return int(a[0] - b[0]) })
	var handoffs []time.Duration
	for i := 1; i < len(ev.Events); i++ {
		handoffs = append(handoffs, time.Duration(ev.Events[i][0]-ev.Events[i-1][1]))
	}
	slices.Sort(handoffs)
	r := result{rate: float64(len(ev.Events)) / secs, acquisitions: len(ev.Events)}
	if n := len(handoffs); n > 0 {
		r.median, r.p99 = handoffs[n/2], handoffs[min(n-1, (n*99+99)/100-1)]
	}
	return r
}

func run() error {
	server := *addr
	if server == "" {
		srv, err := zktest.Start(zktest.WithJVMFlag("-XX:TieredStopAtLevel=4", "-Xmx1g"))
		if err != nil {
			return err
		}
		defer srv.Close()
		server = srv.Addr()
	}
	names := strings.Split(*libs, ",")
	results := map[string][]result{}
	for r := range *rounds {
		for i := range names {
			lib := names[(i+r)%len(names)]
			argv, err := workerArgv(lib)
			if err != nil {
				return err
			}
			path := fmt.Sprintf("/lockbench/%s-%d", lib, r)
			ev, err := runOnce(append(argv, server, path, fmt.Sprint(*contenders), fmt.Sprint(*warmup), fmt.Sprint(*seconds)))
			if err != nil {
				return fmt.Errorf("%s: %w", lib, err)
			}
			res := measure(ev, *seconds)
			fmt.Fprintf(os.Stderr, "round %d %-8s %7.0f acquisitions/s, hand-off median %v p99 %v\n", r+1, lib, res.rate, res.median, res.p99)
			results[lib] = append(results[lib], res)
		}
	}
	fmt.Printf("Lock hand-off, %d contenders (own sessions) per library, %d rounds of %gs (+%gs warm-up), medians over rounds\n", *contenders, *rounds, *seconds, *warmup)
	fmt.Printf("CPU: %s\n\n", cpuModel())
	fmt.Println("| library | acquisitions/s | hand-off median | hand-off p99 |")
	fmt.Println("|---|---|---|---|")
	for _, lib := range names {
		rs := results[lib]
		med := func(f func(result) float64) float64 {
			v := make([]float64, len(rs))
			for i, r := range rs {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		fmt.Printf("| %s | %.0f | %v | %v |\n", label(lib), med(func(r result) float64 { return r.rate }),
			time.Duration(med(func(r result) float64 { return float64(r.median) })).Round(time.Microsecond),
			time.Duration(med(func(r result) float64 { return float64(r.p99) })).Round(time.Microsecond))
	}
	return nil
}

func label(lib string) string {
	switch lib {
	case "ours":
		return "ours (recipe.Lock)"
	case "kazoo":
		return "kazoo Lock (Python)"
	case "curator":
		return "Curator InterProcessMutex (Java)"
	}
	return lib
}

// runOnce starts a worker, waits until its sessions are up, starts it and
// returns its events.
func runOnce(argv []string) (events, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return events{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return events{}, err
	}
	if err := cmd.Start(); err != nil {
		return events{}, err
	}
	defer cmd.Wait()
	defer stdin.Close()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	var ev events
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "ready":
			io.WriteString(stdin, "go\n")
		case strings.HasPrefix(line, "{"):
			return ev, json.Unmarshal([]byte(line), &ev)
		}
	}
	return ev, fmt.Errorf("worker exited without a result: %v", sc.Err())
}

// workerArgv returns the command that starts lib's worker (without its
// arguments), compiling the Java one on first use.
func workerArgv(lib string) ([]string, error) {
	switch lib {
	case "ours":
		self, err := os.Executable()
		return []string{self, "-worker"}, err
	case "kazoo":
		dir, err := cacheDir("py", pythonSource)
		if err != nil {
			return nil, err
		}
		script := filepath.Join(dir, "lockbench.py")
		if err := os.WriteFile(script, pythonSource, 0o644); err != nil {
			return nil, err
		}
		return []string{"/usr/bin/python3", "-u", script}, nil
	case "curator":
		cp, err := interop.CuratorClasspath()
		if err != nil {
			return nil, err
		}
		dir, err := cacheDir("java", append(javaSource, cp...))
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(filepath.Join(dir, "LockBench.class")); err != nil {
			if err := os.WriteFile(filepath.Join(dir, "LockBench.java"), javaSource, 0o644); err != nil {
				return nil, err
			}
			c := exec.Command("javac", "-implicit:none", "-nowarn", "-cp", cp, "-d", ".", "LockBench.java")
			c.Dir = dir
			if out, err := c.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("compiling LockBench.java: %v\n%s", err, out)
			}
		}
		return []string{"java", "-cp", cp + ":" + dir, "LockBench"}, nil
	}
	return nil, fmt.Errorf("unknown library %q (ours, kazoo, curator)", lib)
}

// cacheDir returns a directory named by a digest of key.
func cacheDir(kind string, key []byte) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256(key)
	dir := filepath.Join(base, "kazoo-go", "lockbench", kind+"-"+hex.EncodeToString(sum[:8]))
	return dir, os.MkdirAll(dir, 0o755)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// runWorker is our worker: argv as lockbench.py's.
func runWorker(args []string) error {
	if len(args) != 5 {
		return fmt.Errorf("worker: want HOST:PORT PATH CONTENDERS WARMUP_S SECONDS, got %q", args)
	}
	var n int
	var warm, secs float64
	fmt.Sscan(args[2], &n)
	fmt.Sscan(args[3], &warm)
	fmt.Sscan(args[4], &secs)
	ctx := context.Background()
	locks := make([]*recipe.Lock, n)
	for i := range locks {
		c, err := kazoo.Connect(ctx, args[0])
		if err != nil {
			return err
		}
		defer c.Close()
		if locks[i], err = recipe.NewLock(c, args[1], recipe.WithIdentifier(fmt.Sprint(i))); err != nil {
			return err
		}
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	start := time.Now()
	from, stop := start.Add(time.Duration(warm*1e9)), start.Add(time.Duration((warm+secs)*1e9))
	var mu sync.Mutex
	var ev events
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, l := range locks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine [][2]int64
			for time.Now().Before(stop) {
				if err := l.Lock(ctx); err != nil {
					errs <- err
					return
				}
				acq := time.Now()
				rel := time.Now()
				if err := l.Unlock(ctx); err != nil {
					errs <- err
					return
				}
				if !acq.Before(from) {
					mine = append(mine, [2]int64{int64(acq.Sub(start)), int64(rel.Sub(start))})
				}
			}
			mu.Lock()
			ev.Events = append(ev.Events, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(ev)
}
