// Command cachebench measures tree caches of a 100,000-node subtree: kazoo
// for Go's TreeCache (persistent recursive watch, and the one-shot fallback),
// kazoo's TreeCache (Python) and Curator's CuratorCache and TreeCache (Java),
// each in a process of its own against one ZooKeeper server.
//
// For each client it reports the time to initialize (from start to the
// Initialized event), the memory the cache added per cached node (live heap
// after a full collection for Go, with its goroutine stacks, and Java;
// resident memory for all), and how
// many data changes per second the cache kept up with: a pipelined writer
// sets -updates leaves as fast as the server takes them, and the rate is
// -updates over the time from the first write to the cache's last update
// event (the writer's own rate is shown beside it: a cache that keeps up
// matches it).
//
//	cd bench && go run ./cmd/cachebench                 # everything, about 5 minutes
//	go run ./cmd/cachebench -nodes 10000 -updates 5000  # a quick run
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/internal/interop"
	"github.com/kazoo-go/kazoo/zktest"
)

var (
	flagNodes   = flag.Int("nodes", 100000, "leaves of the cached tree (under nodes/1000 parents)")
	flagUpdates = flag.Int("updates", 50000, "data changes the caches must follow")
	flagClients = flag.String("clients", "ours,ours-oneshot,pykazoo,curatorcache,curatortreecache", "clients to measure")
	flagAddr    = flag.String("addr", "", "use a running server instead of starting one")
	flagTimeout = flag.Duration("timeout", 5*time.Minute, "give up on a client's step after this long")
	flagWorker  = flag.String("worker", "", "internal: run as the Go worker of this kind")
	flagVerbose = flag.Bool("v", false, "pass the workers' stderr through")
)

const root = "/cachebench"

func main() {
	flag.Parse()
	if *flagWorker != "" {
		if err := runWorker(*flagWorker, flag.Arg(0), flag.Arg(1)); err != nil {
			log.Fatal(err)
		}
		return
	}
	log.SetFlags(0)
	if err := run(); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// run measures every client; it fails when one of them did (for smoke.sh).
func run() error {
	addr := *flagAddr
	if addr == "" {
		srv, err := zktest.Start(zktest.WithJVMFlag("-Xmx2g"))
		if err != nil {
			return err
		}
		defer srv.Close()
		addr = srv.Addr()
	}
	ctx := context.Background()
	c, err := kazoo.Connect(ctx, addr, kazoo.WithSessionTimeout(30*time.Second))
	if err != nil {
		return err
	}
	defer c.Close()
	leaves, err := setup(ctx, c, *flagNodes)
	if err != nil {
		return err
	}
	v, _ := c.ServerVersion(ctx)
	fmt.Printf("cachebench: %d-node tree (%d leaves), %d updates, ZooKeeper %v, CPU %s\n\n",
		len(leaves)+len(leaves)/1000+1, len(leaves), *flagUpdates, v, cpuModel())
	fmt.Println("| client | init (s) | nodes | live heap/node (B) | RSS/node (B) | updates/s followed | writer updates/s |")
	fmt.Println("|---|---|---|---|---|---|---|")
	failed := false
	for _, name := range strings.Split(*flagClients, ",") {
		r, err := measure(ctx, c, name, addr, leaves)
		if err != nil {
			fmt.Printf("| %s | error: %v | | | | | |\n", name, err)
			failed = true
			continue
		}
		fmt.Printf("| %s | %.2f | %d | %s | %.0f | %.0f | %.0f |\n", name, r.init.Seconds(), r.nodes,
			perNode(r.heap, r.nodes), float64(r.rss)/float64(r.nodes), r.followed, r.written)
	}
	if failed {
		return errors.New("cachebench: a client failed")
	}
	return nil
}

type result struct {
	init              time.Duration
	nodes             int64
	heap, rss         int64 // added by the cache; heap -1 when unknown
	followed, written float64
}

func perNode(b, n int64) string {
	if b < 0 || n == 0 {
		return "-"
	}
	return strconv.FormatInt(b/n, 10)
}

// setup creates the tree (if absent) and returns its leaves.
func setup(ctx context.Context, c *kazoo.Client, n int) ([]string, error) {
	if err := c.EnsurePath(ctx, root); err != nil {
		return nil, err
	}
	var leaves []string
	var futs []*kazoo.Future[kazoo.CreateResult]
	wait := func() error {
		for _, f := range futs {
			if _, err := f.Result(); err != nil && !isExists(err) {
				return err
			}
		}
		futs = futs[:0]
		return nil
	}
	data := []byte("0123456789abcdef")
	for p := 0; p*1000 < n; p++ {
		parent := fmt.Sprintf("%s/p%03d", root, p)
		if err := c.EnsurePath(ctx, parent); err != nil {
			return nil, err
		}
		for i := 0; i < 1000 && p*1000+i < n; i++ {
			leaf := fmt.Sprintf("%s/n%03d", parent, i)
			leaves = append(leaves, leaf)
			futs = append(futs, c.CreateAsync(ctx, leaf, data))
		}
		if err := wait(); err != nil {
			return nil, err
		}
	}
	return leaves, nil
}

// measure runs one client's worker through the protocol (see worker.go).
func measure(ctx context.Context, c *kazoo.Client, name, addr string, leaves []string) (result, error) {
	var r result
	w, err := startWorker(name, addr, root)
	if err != nil {
		return r, err
	}
	defer w.close()
	ready, err := w.expect("ready", *flagTimeout)
	if err != nil {
		return r, err
	}
	w.send("start")
	init, err := w.expect("init", *flagTimeout)
	if err != nil {
		return r, err
	}
	r.nodes = num(init[1])
	r.init = time.Duration(num(init[2])) * time.Millisecond
	r.heap, r.rss = num(init[3])-num(ready[1]), num(init[4])-num(ready[2])
	if num(init[3]) < 0 {
		r.heap = -1
	}
	w.send("expect %d", *flagUpdates)
	if _, err := w.expect("expecting", *flagTimeout); err != nil {
		return r, err
	}
	t0 := time.Now()
	if err := write(ctx, c, leaves, *flagUpdates); err != nil {
		return r, err
	}
	r.written = float64(*flagUpdates) / time.Since(t0).Seconds()
	done, err := w.expect("done", *flagTimeout)
	if err != nil {
		return r, err
	}
	r.followed = float64(*flagUpdates) / time.UnixMilli(num(done[1])).Sub(t0).Seconds()
	return r, nil
}

// write sets n leaves, round robin, with up to 1000 sets in flight.
func write(ctx context.Context, c *kazoo.Client, leaves []string, n int) error {
	ring := make([]*kazoo.Future[kazoo.Stat], 1000)
	wait := func(f *kazoo.Future[kazoo.Stat]) error {
		if f == nil {
			return nil
		}
		_, err := f.Result()
		return err
	}
	for i := range n {
		if err := wait(ring[i%len(ring)]); err != nil {
			return err
		}
		ring[i%len(ring)] = c.SetAsync(ctx, leaves[i%len(leaves)], []byte(strconv.Itoa(i)), kazoo.AnyVersion)
	}
	for _, f := range ring {
		if err := wait(f); err != nil {
			return err
		}
	}
	return nil
}

// worker is one client's process.
type worker struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
}

func startWorker(name, addr, path string) (*worker, error) {
	var cmd *exec.Cmd
	switch name {
	case "ours", "ours-oneshot":
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cmd = exec.Command(self, "-worker", name, addr, path)
	case "pykazoo":
		cmd = exec.Command("/usr/bin/python3", sourceFile("python", "cachebench.py"), addr, path)
	case "curatorcache", "curatortreecache":
		dir, cp, err := compileJava()
		if err != nil {
			return nil, err
		}
		cmd = exec.Command("java", "-Xmx2g", "-cp", dir+":"+cp, "CacheBench", strings.TrimPrefix(name, "curator"), addr, path)
	default:
		return nil, fmt.Errorf("unknown client %q", name)
	}
	if *flagVerbose {
		cmd.Stderr = os.Stderr
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, in: in, lines: make(chan string, 16)}
	go func() {
		defer close(w.lines)
		s := bufio.NewScanner(out)
		for s.Scan() {
			w.lines <- s.Text()
		}
	}()
	return w, nil
}

func (w *worker) send(format string, args ...any) { fmt.Fprintf(w.in, format+"\n", args...) }

// expect returns the words of the next line starting with word.
func (w *worker) expect(word string, timeout time.Duration) ([]string, error) {
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-w.lines:
			if !ok {
				return nil, fmt.Errorf("worker exited before %q (run with -v for its stderr)", word)
			}
			if f := strings.Fields(line); len(f) > 0 && f[0] == word {
				return f, nil
			}
		case <-deadline:
			return nil, fmt.Errorf("no %q within %v", word, timeout)
		}
	}
}

func (w *worker) close() {
	w.in.Close()
	done := make(chan struct{})
	go func() { w.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		w.cmd.Process.Kill()
		<-done
	}
}

// compileJava compiles the Curator worker once into a cache directory.
func compileJava() (dir, cp string, err error) {
	cp, err = interop.CuratorClasspath()
	if err != nil {
		return "", "", err
	}
	cacheDir, err := os.UserCacheDir()
	if err != nil {
		return "", "", err
	}
	dir = filepath.Join(cacheDir, "kazoo-go", "cachebench")
	src := sourceFile("java", "CacheBench.java")
	if fi, err := os.Stat(filepath.Join(dir, "CacheBench.class")); err == nil {
		if si, err := os.Stat(src); err == nil && fi.ModTime().After(si.ModTime()) {
			return dir, cp, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	out, err := exec.Command("javac", "-implicit:none", "-nowarn", "-cp", cp, "-d", dir, src).CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("javac: %v\n%s", err, out)
	}
	return dir, cp, nil
}

// sourceFile finds a worker's source in bench/clients, from bench/ or the
// repository root.
func sourceFile(lang, name string) string {
	for _, dir := range []string{"clients", "bench/clients"} {
		p := filepath.Join(dir, lang, name)
		if _, err := os.Stat(p); err == nil {
			abs, _ := filepath.Abs(p)
			return abs
		}
	}
	return filepath.Join("clients", lang, name)
}

func num(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func isExists(err error) bool { return errors.Is(err, kazoo.ErrNodeExists) }

// cpuModel is lscpu's model name.
func cpuModel() string {
	out, err := exec.Command("lscpu").Output()
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "Model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
