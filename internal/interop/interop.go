// Package interop runs the real kazoo (Python) and the real Curator (Java)
// as separate processes, so that tests can check that our recipes and
// theirs share znodes correctly: a Go lock and a Curator lock on the same
// path exclude each other, a Go queue consumer takes what a kazoo producer
// put, and so on.
//
// A worker is a program kept beside the tests that use it (a .py script or
// a .java source in the package's testdata). It reads commands, one per
// line, on its standard input and writes replies, one per line, on its
// standard output; what it writes to standard error is shown when a test
// fails. The protocol of each worker is its own: this package only starts
// processes and moves lines.
//
// Python workers run under the first interpreter that can import kazoo
// (/usr/bin/python3 first: Debian's python3-kazoo is installed for it).
// Java workers are compiled once per source text against Debian's Curator
// jars (libcurator-recipes-java, libcurator-discovery-java), into a cache
// directory; KAZOO_CURATOR_CLASSPATH overrides the class path. A missing
// interpreter or library fails the test with what to install: interop
// tests never skip silently.
package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proc is a running worker process.
type Proc struct {
	t     testing.TB
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	mu    sync.Mutex
	errb  bytes.Buffer
	done  chan struct{} // closed when the process has exited and its output is read
}

// Python starts script (a path, usually under testdata) with args under an
// interpreter that has kazoo. The process is killed when the test ends.
func Python(t testing.TB, script string, args ...string) *Proc {
	t.Helper()
	py, err := pythonWithKazoo()
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	return start(t, filepath.Base(script), py, append([]string{"-u", abs}, args...)...)
}

// Java compiles source (a path to a .java file whose public class has the
// file's base name) against Curator if it is not compiled yet, and starts
// that class with args. The process is killed when the test ends.
func Java(t testing.TB, source string, args ...string) *Proc {
	t.Helper()
	dir, cp, err := compileJava(source)
	if err != nil {
		t.Fatal(err)
	}
	class := strings.TrimSuffix(filepath.Base(source), ".java")
	argv := append([]string{"-Xss512k", "-XX:TieredStopAtLevel=1", "-cp", cp + ":" + dir, class}, args...)
	return start(t, class, javaTool("java"), argv...)
}

func start(t testing.TB, name, prog string, args ...string) *Proc {
	t.Helper()
	p := &Proc{t: t, name: name, lines: make(chan string, 1024), done: make(chan struct{})}
	p.cmd = exec.Command(prog, args...)
	p.cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.errb.Write(b)
	})
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("interop: starting %s: %v", name, err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		_ = p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("interop: %s's standard error:\n%s", name, p.Stderr())
		}
	})
	return p
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// Send writes one command line to the worker.
func (p *Proc) Send(format string, args ...any) {
	p.t.Helper()
	line := fmt.Sprintf(format, args...)
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatalf("interop: %s: sending %q: %v\nstderr:\n%s", p.name, line, err, p.Stderr())
	}
}

// Next returns the worker's next output line, or an error when ctx ends or
// the worker exits first.
func (p *Proc) Next(ctx context.Context) (string, error) {
	select {
	case l, ok := <-p.lines:
		if !ok {
			return "", fmt.Errorf("interop: %s exited (%v); stderr:\n%s", p.name, p.cmd.ProcessState, p.Stderr())
		}
		return l, nil
	case <-ctx.Done():
		return "", fmt.Errorf("interop: %s: no output line: %w", p.name, ctx.Err())
	}
}

// Expect returns the first output line that starts with prefix, within
// timeout; it fails the test when none comes, or when the worker reports
// an error (a line starting with "error"), skipping other lines.
func (p *Proc) Expect(timeout time.Duration, prefix string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		l, err := p.Next(ctx)
		if err != nil {
			p.t.Fatalf("waiting for %q: %v", prefix, err)
		}
		if strings.HasPrefix(l, prefix) {
			return l
		}
		if strings.HasPrefix(l, "error") {
			p.t.Fatalf("interop: %s: %s (waiting for %q)\nstderr:\n%s", p.name, l, prefix, p.Stderr())
		}
	}
}

// Lines returns the channel of the worker's output lines, closed when it
// exits. Use it, or Next and Expect, not both at once.
func (p *Proc) Lines() <-chan string { return p.lines }

// Stderr returns what the worker wrote to its standard error so far.
func (p *Proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errb.String()
}

// Close closes the worker's standard input (workers exit at its end) and
// waits up to timeout for it to exit, then kills it. It reports whether the
// worker exited by itself.
func (p *Proc) Close(timeout time.Duration) bool {
	_ = p.stdin.Close()
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		p.Kill()
		return false
	}
}

// Kill ends the worker at once (a crash, as far as ZooKeeper is concerned:
// its session lives on until it expires) and waits for it.
func (p *Proc) Kill() {
	_ = p.stdin.Close()
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	go func() {
		for range p.lines { // unblock the reader if nobody reads
		}
	}()
	<-p.done
}

var (
	pyOnce sync.Once
	pyPath string
	pyErr  error
)

// pythonWithKazoo finds an interpreter that can import kazoo.
func pythonWithKazoo() (string, error) {
	pyOnce.Do(func() {
		candidates := []string{"/usr/bin/python3", "python3"}
		if p := os.Getenv("KAZOO_PYTHON"); p != "" {
			candidates = []string{p}
		}
		for _, c := range candidates {
			if exec.Command(c, "-c", "import kazoo").Run() == nil {
				pyPath = c
				return
			}
		}
		pyErr = fmt.Errorf("interop: no Python among %v can import kazoo: run scripts/install-deps.sh (Debian python3-kazoo) or set KAZOO_PYTHON", candidates)
	})
	return pyPath, pyErr
}

// CuratorClasspath returns the class path the Java workers compile and run
// with: Curator's recipes and discovery jars (their manifests name the rest:
// the framework, ZooKeeper's client, Guava, Jackson) and a silent slf4j.
func CuratorClasspath() (string, error) {
	if cp := os.Getenv("KAZOO_CURATOR_CLASSPATH"); cp != "" {
		return cp, nil
	}
	const dir = "/usr/share/java"
	var cp []string
	for _, jar := range []string{"curator-recipes.jar", "curator-x-discovery.jar", "slf4j-nop.jar"} {
		p := filepath.Join(dir, jar)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("interop: no %s: run scripts/install-deps.sh (Debian libcurator-recipes-java, libcurator-discovery-java) or set KAZOO_CURATOR_CLASSPATH", p)
		}
		cp = append(cp, p)
	}
	return strings.Join(cp, ":"), nil
}

var compileMu sync.Mutex

// compileJava compiles source into a cache directory named by a hash of
// its text and the class path, once; it returns the directory and the
// class path.
func compileJava(source string) (dir, cp string, err error) {
	cp, err = CuratorClasspath()
	if err != nil {
		return "", "", err
	}
	text, err := os.ReadFile(source)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(append(append(text, 0), cp...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir = filepath.Join(cache, "kazoo-go", "interop", hex.EncodeToString(sum[:8]))
	compileMu.Lock() // test binaries of one package compile once; others race harmlessly (rename)
	defer compileMu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, ".done")); err == nil {
		return dir, cp, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "build-")
	if err != nil {
		return "", "", err
	}
	defer os.RemoveAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, filepath.Base(source)), text, 0o644); err != nil {
		return "", "", err
	}
	// -implicit:none: some jars on the class path carry sources that javac
	// would otherwise compile too.
	c := exec.Command(javaTool("javac"), "-implicit:none", "-nowarn", "-cp", cp, "-d", ".", filepath.Base(source))
	c.Dir = tmp
	if out, err := c.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("interop: compiling %s: %v\n%s", source, err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".done"), nil, 0o644); err != nil {
		return "", "", err
	}
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, os.ErrExist) {
		if _, serr := os.Stat(filepath.Join(dir, ".done")); serr != nil {
			return "", "", err
		}
	}
	return dir, cp, nil
}

// javaTool finds java or javac in $JAVA_HOME/bin, else on $PATH.
func javaTool(name string) string {
	if h := os.Getenv("JAVA_HOME"); h != "" {
		if p := filepath.Join(h, "bin", name); fileExists(p) {
			return p
		}
	}
	return name
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
