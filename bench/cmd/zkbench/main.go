// Command zkbench benchmarks kazoo for Go against the other ZooKeeper
// clients, side by side, on one real ZooKeeper server.
//
// Run it from the bench directory (it is its own module):
//
//	cd bench && go run ./cmd/zkbench            # the full suite, a few minutes
//	cd bench && go run ./cmd/zkbench -quick     # tiny counts: a smoke test
//
// It starts a ZooKeeper server through zktest (Debian's zookeeper package,
// or ZOOKEEPER_CLASSPATH / ZOOKEEPER_HOME), creates the nodes the workloads
// use, warms the server up, then starts one worker process per client and
// runs every workload on every client in rounds. Within a round the clients
// take turns, one at a time, in an order that rotates from round to round and
// workload to workload, so that the machine's noise falls on all of them
// alike. It prints Markdown tables (medians over the rounds, with ratios to
// kazoo for Go) and the verdict on each performance target, and writes every
// measurement to a JSON file (-out).
//
// Each client runs in a process of its own, so that the CPU time the OS
// charges to that process (user + system, over the measured run only) is
// the client's alone. The Go clients run in this same binary, re-invoked
// with -worker; the others are a C program, a Java program and a Python
// script (package clients), built and cached on first use. See
// bench/README.md for the workloads and what each number means.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kazoo-go/kazoo/bench/internal/goclients"
	"github.com/kazoo-go/kazoo/bench/internal/workload"
	"github.com/kazoo-go/kazoo/zktest"
)

// config is the command line.
type config struct {
	clients   []string
	workloads []string
	rounds    int

	seqOps      int
	read1Ops    int
	read16Ops   int
	read256Ops  int
	cdOps       int
	cdInflight  int
	watches     int
	watchFlight int
	watchBatch  int
	warmup      float64
	timeout     time.Duration

	addr          string
	serverJVM     string
	out           string
	md            string
	profileDir    string
	memProfileDir string
	verbose       bool
	tc            toolchain
}

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("zkbench: ")

	var (
		workerName = flag.String("worker", "", "internal: run as the worker of this Go client")
		cfg        config
		clientList = flag.String("clients", strings.Join(allClients, ","), "clients to run, comma-separated")
		wlList     = flag.String("workloads", strings.Join(allJobs, ","), "workloads to run, comma-separated")
		quick      = flag.Bool("quick", false, "tiny counts and one round: a smoke test of every client (timings mean nothing)")
	)
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds: every client runs every workload once per round")
	flag.IntVar(&cfg.seqOps, "seq-ops", 5000, "seqget: sequential Gets per run")
	flag.IntVar(&cfg.read1Ops, "read1-ops", 5000, "read1: Gets per run")
	flag.IntVar(&cfg.read16Ops, "read16-ops", 20000, "read16: Gets per run")
	flag.IntVar(&cfg.read256Ops, "read256-ops", 40000, "read256: Gets per run")
	flag.IntVar(&cfg.cdOps, "cd-ops", 10000, "createdelete: operations (creates + deletes) per run")
	flag.IntVar(&cfg.cdInflight, "cd-inflight", 64, "createdelete: requests in flight")
	flag.IntVar(&cfg.watches, "watches", 10000, "watches: nodes watched per run")
	flag.IntVar(&cfg.watchFlight, "watch-inflight", 256, "watches: watching reads in flight while setting them")
	flag.IntVar(&cfg.watchBatch, "watch-batch", 0, "watches: setData operations per multi (0: all in one multi)")
	flag.Float64Var(&cfg.warmup, "warmup", 0.1, "warm-up before each measured run, as a fraction of its operations")
	flag.DurationVar(&cfg.timeout, "timeout", 60*time.Second, "time limit of one measured run; a run cut short is marked truncated")
	flag.StringVar(&cfg.addr, "addr", "", "use this running ZooKeeper server (host:port) instead of starting one")
	flag.StringVar(&cfg.serverJVM, "server-jvm", "-XX:TieredStopAtLevel=4 -Xmx1g", "extra JVM flags of the server zktest starts")
	flag.StringVar(&cfg.out, "out", filepath.Join("results", "latest.json"), "write every measurement here as JSON (empty: nowhere)")
	flag.StringVar(&cfg.md, "md", "", "also write the report (Markdown) to this file")
	flag.StringVar(&cfg.profileDir, "profile", "", "write CPU profiles of the Go clients' measured runs into this directory (CLIENT.JOB.cpu.pprof, last round)")
	flag.StringVar(&cfg.memProfileDir, "memprofile", "", "write allocation profiles of the Go clients' measured runs into this directory (every allocation is sampled: slows them down)")
	flag.BoolVar(&cfg.verbose, "v", false, "pass the workers' stderr through")
	flag.StringVar(&cfg.tc.cacheDir, "cache", defaultCache(), "where the C and Java workers are built")
	flag.StringVar(&cfg.tc.cc, "cc", envOr("CC", "gcc"), "C compiler for the C worker")
	flag.StringVar(&cfg.tc.python, "python", "", "Python interpreter with kazoo (default: /usr/bin/python3, then python3)")
	flag.StringVar(&cfg.tc.zkJar, "zk-jar", "/usr/share/java/zookeeper.jar", "the Java client's jar (its manifest names its dependencies)")
	flag.Parse()

	if *workerName != "" {
		os.Exit(runWorker(*workerName, cfg.addr))
	}

	cfg.clients = splitList(*clientList)
	cfg.workloads = splitList(*wlList)
	if *quick {
		cfg.rounds = 1
		cfg.seqOps, cfg.read1Ops, cfg.read16Ops, cfg.read256Ops = 200, 200, 500, 1000
		cfg.cdOps, cfg.watches = 200, 200
		cfg.timeout = 20 * time.Second
		cfg.serverJVM = ""
	}
	cfg.tc.verbose = cfg.verbose
	cfg.tc.java = javaTool("java")
	cfg.tc.javac = javaTool("javac")
	os.Exit(drive(&cfg, *quick))
}

// runWorker is the -worker mode: a Go client serving the driver's commands.
func runWorker(name, addr string) int {
	dial, ok := goclients.Dialers[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown Go client %q\n", name)
		return 2
	}
	fmt.Printf("{\"hello\":true,\"version\":%q}\n", goVersion(name))
	if err := workload.Serve(name, addr, dial, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// drive is the driver: it returns the exit code (non-zero when a client
// failed; never because of a timing).
func drive(cfg *config, quick bool) int {
	for _, j := range cfg.workloads {
		if _, ok := jobByName(cfg, j); !ok {
			log.Printf("unknown workload %q (known: %s)", j, strings.Join(allJobs, ", "))
			return 2
		}
	}
	var srv *zktest.Server
	var srvMu sync.Mutex
	closeServer := func() {
		srvMu.Lock()
		defer srvMu.Unlock()
		if srv != nil {
			srv.Close()
			srv = nil
		}
	}
	defer closeServer()
	// Stop the server on ^C too.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		log.Print("interrupted")
		closeServer()
		os.Exit(130)
	}()

	started := time.Now()
	addr, serverVersion := cfg.addr, "external"
	if addr == "" {
		log.Print("starting ZooKeeper through zktest")
		s, err := startServer(cfg.serverJVM)
		if err != nil {
			log.Printf("starting ZooKeeper: %v", err)
			return 1
		}
		srvMu.Lock()
		srv = s
		srvMu.Unlock()
		addr, serverVersion = s.Addr(), s.Version().String()
		log.Printf("ZooKeeper %s on %s", serverVersion, addr)
	}
	if err := setupData(addr, cfg.watches); err != nil {
		log.Printf("creating the benchmark nodes: %v", err)
		return 1
	}
	warmReads, warmWrites := 60000, 10000
	if quick {
		warmReads, warmWrites = 1000, 200
	}
	if err := warmServer(addr, warmReads, warmWrites); err != nil {
		log.Printf("warming the server up: %v", err)
		return 1
	}

	specs, err := cfg.tc.workerSpecs(cfg.clients, addr)
	if err != nil {
		log.Print(err)
		return 1
	}
	workers := make([]*worker, len(specs))
	for i, s := range specs {
		workers[i] = &worker{spec: s, verbose: cfg.verbose}
		if err := workers[i].start(); err != nil {
			log.Printf("%s: %v", s.name, err)
			return 1
		}
		log.Printf("worker %s: %s (%s)", s.name, workers[i].version, strings.Join(s.argv, " "))
	}
	defer func() {
		for _, w := range workers {
			w.stop()
		}
	}()

	rep := runSuite(cfg, workers)
	rep.Started = started
	rep.Server = serverInfo{Addr: addr, Version: serverVersion, JVMFlags: cfg.serverJVM}
	rep.Quick = quick
	rep.summarize(cfg)
	text := rep.markdown(cfg)
	fmt.Print(text)
	if cfg.md != "" {
		if err := os.WriteFile(cfg.md, []byte(text), 0o644); err != nil {
			log.Print(err)
			return 1
		}
	}
	if cfg.out != "" {
		if err := rep.writeJSON(cfg.out); err != nil {
			log.Print(err)
			return 1
		}
		log.Printf("results written to %s", cfg.out)
	}
	if n := rep.failures(); n > 0 {
		log.Printf("%d runs failed", n)
		return 1
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func defaultCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "kazoo-go", "bench")
}

// javaTool finds java or javac in $JAVA_HOME/bin, else $PATH.
func javaTool(name string) string {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		if p := filepath.Join(home, "bin", name); fileExists(p) {
			return p
		}
	}
	return name
}
