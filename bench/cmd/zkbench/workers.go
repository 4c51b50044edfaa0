package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kazoo-go/kazoo/bench/clients"
	"github.com/kazoo-go/kazoo/bench/internal/goclients"
	"github.com/kazoo-go/kazoo/bench/internal/workload"
)

// Names of the clients in other languages.
const (
	PyKazoo = "pykazoo"
	CZK     = "czk"
	JavaZK  = "javazk"
)

// allClients is every client, in the order of the tables.
var allClients = []string{goclients.OursSync, goclients.OursAsync, goclients.GoZK, PyKazoo, CZK, JavaZK, goclients.Raw}

// clientInfo describes each client for the report.
var clientInfo = map[string]string{
	goclients.OursSync:  "kazoo for Go, synchronous API (N goroutines for N in flight)",
	goclients.OursAsync: "kazoo for Go, futures from one goroutine",
	goclients.GoZK:      "github.com/go-zookeeper/zk (N goroutines for N in flight)",
	PyKazoo:             "kazoo (Python, Debian python3-kazoo), async API with callbacks",
	CZK:                 "ZooKeeper C client (libzookeeper_mt), async API with completions",
	JavaZK:              "ZooKeeper Java client (libzookeeper-java), async API with callbacks",
	goclients.Raw:       "minimal pipelined client (internal/rawclient): the ceiling",
}

// spec is how to start one client's worker.
type spec struct {
	name string
	argv []string
}

// toolchain finds or builds what the non-Go workers need.
type toolchain struct {
	cacheDir string
	cc       string
	python   string
	java     string
	javac    string
	zkJar    string
	verbose  bool
}

// workerSpecs returns how to start each requested client's worker,
// building the C and Java workers as needed.
func (tc *toolchain) workerSpecs(names []string, addr string) ([]spec, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var specs []spec
	for _, n := range names {
		var argv []string
		switch n {
		case goclients.OursSync, goclients.OursAsync, goclients.GoZK, goclients.Raw:
			argv = []string{self, "-worker", n, "-addr", addr}
		case PyKazoo:
			argv, err = tc.pythonWorker(addr)
		case CZK:
			argv, err = tc.cWorker(addr)
		case JavaZK:
			argv, err = tc.javaWorker(addr)
		default:
			err = fmt.Errorf("unknown client %q (known: %s)", n, strings.Join(allClients, ", "))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		specs = append(specs, spec{n, argv})
	}
	return specs, nil
}

// cached returns a directory of the cache named after a digest of the
// inputs, and whether it already holds a finished build.
func (tc *toolchain) cached(kind string, inputs ...[]byte) (dir string, ok bool, err error) {
	h := sha256.New()
	for _, in := range inputs {
		h.Write(in)
		h.Write([]byte{0})
	}
	dir = filepath.Join(tc.cacheDir, kind+"-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, ".done")); err == nil {
		return dir, true, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", false, err
	}
	return dir, false, os.MkdirAll(dir, 0o755)
}

func (tc *toolchain) run(dir string, argv ...string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	if tc.verbose && len(out) > 0 {
		log.Printf("%s:\n%s", strings.Join(argv, " "), out)
	}
	return nil
}

func markDone(dir string) error { return os.WriteFile(filepath.Join(dir, ".done"), nil, 0o644) }

// cWorker compiles the C worker against libzookeeper_mt.
func (tc *toolchain) cWorker(addr string) ([]string, error) {
	flags := []string{"-O2", "-DTHREADED", "-o", "zkbench-c", "zkbench.c", "-lzookeeper_mt", "-lpthread", "-lm"}
	dir, ok, err := tc.cached("c", clients.CSource, []byte(tc.cc), []byte(strings.Join(flags, " ")))
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := os.WriteFile(filepath.Join(dir, "zkbench.c"), clients.CSource, 0o644); err != nil {
			return nil, err
		}
		log.Printf("building the C worker in %s", dir)
		if err := tc.run(dir, append([]string{tc.cc}, flags...)...); err != nil {
			return nil, fmt.Errorf("%w (is libzookeeper-mt-dev installed?)", err)
		}
		if err := markDone(dir); err != nil {
			return nil, err
		}
	}
	return []string{filepath.Join(dir, "zkbench-c"), addr}, nil
}

// javaClasspath is the Java client's class path: the jar (whose manifest
// names its dependencies) and, when present, slf4j's no-op binding so that
// the client's logging stays quiet.
func (tc *toolchain) javaClasspath() []string {
	cp := []string{tc.zkJar}
	if nop := filepath.Join(filepath.Dir(tc.zkJar), "slf4j-nop.jar"); fileExists(nop) {
		cp = append(cp, nop)
	}
	return cp
}

// javaWorker compiles the Java worker against the client jar.
func (tc *toolchain) javaWorker(addr string) ([]string, error) {
	if !fileExists(tc.zkJar) {
		return nil, fmt.Errorf("no %s (install libzookeeper-java, or set -zk-jar)", tc.zkJar)
	}
	st, err := os.Stat(tc.zkJar)
	if err != nil {
		return nil, err
	}
	cp := tc.javaClasspath()
	dir, ok, err := tc.cached("java", clients.JavaSource, []byte(strings.Join(cp, ":")), []byte(st.ModTime().String()))
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := os.WriteFile(filepath.Join(dir, "ZkBench.java"), clients.JavaSource, 0o644); err != nil {
			return nil, err
		}
		log.Printf("building the Java worker in %s", dir)
		// -implicit:none: some jars of the class path carry sources
		// that javac would otherwise compile too.
		if err := tc.run(dir, tc.javac, "-implicit:none", "-nowarn", "-cp", strings.Join(cp, ":"), "-d", ".", "ZkBench.java"); err != nil {
			return nil, err
		}
		if err := markDone(dir); err != nil {
			return nil, err
		}
	}
	return []string{tc.java, "-cp", strings.Join(append(cp, dir), ":"), "ZkBench", addr}, nil
}

// pythonWorker writes the Python worker out and picks an interpreter that
// can import kazoo.
func (tc *toolchain) pythonWorker(addr string) ([]string, error) {
	candidates := []string{tc.python}
	if tc.python == "" {
		// Debian's interpreter first: python3-kazoo is installed for it,
		// and a python3 earlier in $PATH (pyenv, a venv) may lack it.
		candidates = []string{"/usr/bin/python3", "python3"}
	}
	py := ""
	for _, c := range candidates {
		if exec.Command(c, "-c", "import kazoo").Run() == nil {
			py = c
			break
		}
	}
	if py == "" {
		return nil, fmt.Errorf("no Python interpreter among %v can import kazoo (apt-get install python3-kazoo, or set -python)", candidates)
	}
	dir, ok, err := tc.cached("python", clients.PythonSource)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := os.WriteFile(filepath.Join(dir, "zkbench.py"), clients.PythonSource, 0o644); err != nil {
			return nil, err
		}
		if err := markDone(dir); err != nil {
			return nil, err
		}
	}
	return []string{py, filepath.Join(dir, "zkbench.py"), addr}, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// worker is one running worker process.
type worker struct {
	spec    spec
	verbose bool

	cmd      *exec.Cmd
	stdin    io.WriteCloser
	lines    chan string // stdout, line by line; closed at EOF
	stderr   *tail
	version  string
	restarts int
}

// helloTimeout bounds a worker's start (a JVM on a loaded machine is slow).
const helloTimeout = 2 * time.Minute

func (w *worker) start() error {
	cmd := exec.Command(w.spec.argv[0], w.spec.argv[1:]...)
	w.stderr = &tail{max: 16 << 10}
	if w.verbose {
		cmd.Stderr = io.MultiWriter(w.stderr, prefixWriter(os.Stderr, w.spec.name+": "))
	} else {
		cmd.Stderr = w.stderr
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	w.cmd, w.stdin = cmd, stdin
	w.lines = make(chan string, 1)
	go func() {
		defer close(w.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
	}()
	line, err := w.readLine(helloTimeout)
	if err != nil {
		w.kill()
		return fmt.Errorf("starting: %w", err)
	}
	var hello struct {
		Hello   bool   `json:"hello"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(line), &hello); err != nil || !hello.Hello {
		w.kill()
		return fmt.Errorf("starting: unexpected first line %q", line)
	}
	w.version = hello.Version
	return nil
}

func (w *worker) readLine(timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line, ok := <-w.lines:
		if !ok {
			err := w.cmd.Wait()
			w.cmd = nil
			return "", fmt.Errorf("worker exited (%v); its stderr ends with:\n%s", err, w.stderr.String())
		}
		return line, nil
	case <-t.C:
		return "", fmt.Errorf("no answer within %v; its stderr ends with:\n%s", timeout, w.stderr.String())
	}
}

// do runs one command and returns the worker's result. A worker that died
// or hung is killed; the next command restarts it (a few times at most).
func (w *worker) do(c *workload.Command, timeout time.Duration) (workload.Result, error) {
	var res workload.Result
	if w.cmd == nil {
		if w.restarts >= 3 {
			return res, errors.New("worker failed too often; not restarted")
		}
		w.restarts++
		if err := w.start(); err != nil {
			return res, err
		}
	}
	if _, err := io.WriteString(w.stdin, c.Encode()+"\n"); err != nil {
		w.kill()
		return res, fmt.Errorf("writing command: %w", err)
	}
	line, err := w.readLine(timeout)
	if err != nil {
		w.kill()
		return res, err
	}
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		return res, fmt.Errorf("bad result %q: %w", line, err)
	}
	res.Client = w.spec.name
	return res, nil
}

// stop asks the worker to quit and waits a little before killing it.
func (w *worker) stop() {
	if w.cmd == nil {
		return
	}
	io.WriteString(w.stdin, "cmd=quit\n")
	w.stdin.Close()
	done := make(chan struct{})
	go func() {
		for range w.lines {
		}
		close(done)
	}()
	select {
	case <-done:
		w.cmd.Wait()
	case <-time.After(10 * time.Second):
		w.kill()
	}
	w.cmd = nil
}

func (w *worker) kill() {
	if w.cmd == nil {
		return
	}
	w.cmd.Process.Kill()
	w.stdin.Close()
	go func() {
		for range w.lines {
		}
	}()
	w.cmd.Wait()
	w.cmd = nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// prefixWriter prefixes each line written through it.
func prefixWriter(w io.Writer, prefix string) io.Writer {
	return &prefixed{w: w, prefix: []byte(prefix), bol: true}
}

type prefixed struct {
	mu     sync.Mutex
	w      io.Writer
	prefix []byte
	bol    bool
}

func (p *prefixed) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if p.bol {
			out = append(out, p.prefix...)
		}
		out = append(out, line...)
		p.bol = line[len(line)-1] == '\n'
	}
	_, err := p.w.Write(out)
	return len(b), err
}
