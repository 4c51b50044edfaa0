package zktest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// Main classes of the server: one for a standalone server, one for an
// ensemble member (which needs myid and the server.N lines).
const (
	standaloneMain = "org.apache.zookeeper.server.ZooKeeperServerMain"
	quorumMain     = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
)

// stopTimeout is how long Stop waits for a graceful exit before SIGKILL.
const stopTimeout = 10 * time.Second

// logTail is how much of a server's log a failed test prints.
const logTail = 256 << 10

// ErrNotRunning is returned by methods of a [Server] that need a running
// process while it is stopped or killed.
var ErrNotRunning = errors.New("zktest: server is not running")

// Server is one ZooKeeper server process: a standalone server from
// [StartServer], a member of a [Cluster], or the package's shared server
// ([Shared]). Its files (zoo.cfg, data/, zookeeper.log) live in its own
// directory, and it keeps its port across [Server.Stop] and [Server.Start].
//
// Its methods may be called from any goroutine.
type Server struct {
	cfg       config
	inst      *Installation
	dir       string
	mainClass string
	myid      int      // 0 for a standalone server
	peers     []string // server.N lines of an ensemble member
	spec      string   // its own server.N line
	port      int
	host      string // the client address's host when not 127.0.0.1 (MoveTo)
	ownsDir   bool   // made by Start: Close removes dir

	securePort  int         // WithTLS: the secure client port (s.port itself with WithTLSOnly)
	harnessTLS  *tls.Config // WithTLS: zktest's own connections
	harnessSASL [2]string   // WithSASLRequired: zktest's own user and password

	mu      sync.Mutex
	proc    *process // nil while stopped
	paused  bool
	version proto.Version
}

// process is one run of the JVM.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // the exit status, valid after done
}

// StartServer starts a standalone ZooKeeper server on a free loopback port,
// with its files in a directory of t.TempDir(), and returns once it serves
// clients. t.Cleanup kills it; its log is printed through t.Log only when the
// test failed. A missing ZooKeeper installation fails the test (it does not
// skip it) with instructions: see [FindInstallation].
func StartServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := newServer(t.TempDir(), 0, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.shutdown()
		if t.Failed() {
			s.logTo(t)
		}
	})
	if err := s.startFirst(); err != nil {
		t.Fatal(err)
	}
	return s
}

// Start starts a standalone server outside of a test, in a new temporary
// directory, for programs (a demo, a benchmark) rather than tests: Close
// stops it and removes the directory. Tests use StartServer.
func Start(opts ...Option) (*Server, error) {
	dir, err := os.MkdirTemp("", "zktest-")
	if err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	s, err := newServer(dir, 0, nil, opts)
	if err == nil {
		err = s.startFirst()
	}
	if err != nil {
		if s != nil {
			s.shutdown()
		}
		os.RemoveAll(dir)
		return nil, err
	}
	s.ownsDir = true
	return s, nil
}

// Close stops a server made by Start (killing it) and removes its
// directory. Servers of StartServer and StartCluster are closed by their
// test's cleanup.
func (s *Server) Close() error {
	s.shutdown()
	if s.ownsDir {
		return os.RemoveAll(s.dir)
	}
	return nil
}

// newServer prepares a server's directory. myid and peers are for ensemble
// members.
func newServer(dir string, myid int, peers []string, opts []Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	inst := cfg.inst
	if inst == nil {
		var err error
		if inst, err = FindInstallation(); err != nil {
			return nil, err
		}
	}
	s := &Server{cfg: cfg, inst: inst, dir: dir, mainClass: standaloneMain, myid: myid, peers: peers}
	if myid > 0 {
		s.mainClass = quorumMain
	}
	if err := os.MkdirAll(s.dataDir(), 0o755); err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	files := map[string]string{"log4j.properties": log4jConfig, "logback.xml": logbackConfig}
	if myid > 0 {
		files[filepath.Join("data", "myid")] = strconv.Itoa(myid) + "\n"
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("zktest: %w", err)
		}
	}
	if cfg.ca != nil {
		if err := s.setUpTLS(); err != nil {
			return nil, err
		}
	}
	if cfg.sasl() {
		s.setUpHarnessSASL()
		if err := s.writeJAAS(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// The server's log goes to its stdout, which is the log file: one file,
// whatever logging backend the installation uses (log4j 1.2 up to 3.7,
// logback from 3.8 upstream, slf4j-simple on Debian).
const log4jConfig = `log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.Target=System.out
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{HH:mm:ss,SSS} %-5p [%t] %c{1}: %m%n
`

const logbackConfig = `<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0}: %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="CONSOLE"/></root>
</configuration>
`

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }
func (s *Server) cfgPath() string { return filepath.Join(s.dir, "zoo.cfg") }

// LogPath returns the path of the server's log file (its stdout and stderr,
// across restarts).
func (s *Server) LogPath() string { return filepath.Join(s.dir, "zookeeper.log") }

// Dir returns the server's directory (zoo.cfg, data/, the log).
func (s *Server) Dir() string { return s.dir }

// Addr returns the client address, "127.0.0.1:port" (or the address given
// to [Server.MoveTo]).
func (s *Server) Addr() string { return s.clientHost() + ":" + strconv.Itoa(s.port) }

func (s *Server) clientHost() string {
	if s.host == "" {
		return "127.0.0.1"
	}
	return s.host
}

// Port returns the client port.
func (s *Server) Port() int { return s.port }

// ConnString returns a connection string for this server alone (its
// [Server.Addr]); see [Server.Chroot] for one with a fresh chroot.
func (s *Server) ConnString() string { return s.Addr() }

// Installation returns the ZooKeeper installation the server runs.
func (s *Server) Installation() *Installation { return s.inst }

// Version returns the server's release, as the running server reported it
// (srvr), or else as read from its jars; zero when neither told.
func (s *Server) Version() proto.Version {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version != (proto.Version{}) {
		return s.version
	}
	return s.inst.Version
}

// Running reports whether the server's process is alive (it may be paused).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil
}

// writeConfig writes zoo.cfg for the current port.
func (s *Server) writeConfig() error {
	c := &s.cfg
	var b strings.Builder
	line := func(k, v string) { b.WriteString(k + "=" + v + "\n") }
	line("tickTime", ms(c.tickTime))
	line("initLimit", "20")
	line("syncLimit", "10")
	line("dataDir", s.dataDir())
	switch {
	case c.dynamic && s.myid > 0:
		// The client address is in the member's server line.
		line("reconfigEnabled", "true")
		line("standaloneEnabled", "false")
	case !c.tlsOnly:
		line("clientPort", strconv.Itoa(s.port))
		line("clientPortAddress", s.clientHost())
	}
	if c.ca != nil {
		s.tlsLines(line)
	}
	// Every test connection comes from 127.0.0.1: lift the per-address
	// limit of 60.
	line("maxClientCnxns", "0")
	line("minSessionTimeout", ms(c.minSession))
	line("maxSessionTimeout", ms(c.maxSession))
	line("4lw.commands.whitelist", c.fourLWList())
	line("admin.enableServer", "false")
	for _, p := range s.peers {
		b.WriteString(p + "\n")
	}
	for _, kv := range c.props {
		line(kv[0], kv[1])
	}
	if err := os.WriteFile(s.cfgPath(), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("zktest: %w", err)
	}
	return nil
}

// javaArgs is the java command line, minus the executable.
func (s *Server) javaArgs() []string {
	c := &s.cfg
	a := []string{
		// A lean JVM: a small heap, the simplest collector, and only
		// the quick JIT tier, which starts a server in about half the
		// time of the full one.
		"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto",
		"-Djava.awt.headless=true",
		// The AdminServer would take port 8080, shared by every test.
		"-Dzookeeper.admin.enableServer=false",
		"-Dzookeeper.jmx.log4j.disable=true",
		// Test data need no fsync, and a small preallocated log.
		"-Dzookeeper.forceSync=no",
		"-Dzookeeper.preAllocSize=1024",
		"-Dlog4j.configuration=file:" + filepath.Join(s.dir, "log4j.properties"),
		"-Dlogback.configurationFile=" + filepath.Join(s.dir, "logback.xml"),
		"-Dorg.slf4j.simpleLogger.logFile=System.out",
		"-Dorg.slf4j.simpleLogger.showDateTime=true",
		"-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
	}
	if s.myid > 0 {
		// Give up on an unreachable peer after 1 s instead of 5 s, so
		// that elections without a killed member are quick.
		a = append(a, "-Dzookeeper.cnxTimeout=1000")
	}
	if c.extendedTypes {
		a = append(a, "-Dzookeeper.extendedTypesEnabled=true")
	}
	if c.containerCheck > 0 {
		a = append(a, "-Dznode.container.checkIntervalMs="+ms(c.containerCheck))
	}
	if c.dynamic {
		a = append(a, "-Dzookeeper.skipACL=yes")
	}
	if c.superDigest != "" {
		a = append(a, "-Dzookeeper.DigestAuthenticationProvider.superDigest="+c.superDigest)
	}
	a = append(a, s.saslArgs()...)
	a = append(a, c.jvmFlags...)
	return append(a, "-cp", strings.Join(s.inst.Classpath, string(os.PathListSeparator)), s.mainClass, s.cfgPath())
}

// startFirst gives a new standalone server its port and starts it. Another
// process may grab the port between freePort and the server's bind: then it
// tries another port.
func (s *Server) startFirst() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.startTimeout)
	defer cancel()
	var err error
	for range 3 {
		if s.port, err = freePort(); err != nil {
			return err
		}
		if err = s.writeConfig(); err != nil {
			return err
		}
		s.register()
		s.mu.Lock()
		err = s.startLocked(ctx, true)
		s.mu.Unlock()
		if !errors.Is(err, errPortInUse) {
			return err
		}
		s.unregister()
	}
	return err
}

var errPortInUse = errors.New("zktest: port already in use")

// Start restarts a stopped or killed server, on the same port with the same
// data. A standalone server is then serving; an ensemble member is up but
// may still be joining the quorum (see [Server.WaitServing]).
func (s *Server) Start() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.startTimeout)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return errors.New("zktest: server is already running")
	}
	return s.startLocked(ctx, s.myid == 0)
}

// startLocked starts the JVM and waits until it answers ruok, and when
// needServing is set until it serves clients.
func (s *Server) startLocked(ctx context.Context, needServing bool) error {
	p, logStart, err := s.spawn()
	if err != nil {
		return err
	}
	s.proc = p
	if err := s.waitUp(ctx, p, needServing); err != nil {
		s.killLocked()
		if bytes.Contains(s.readLog(logStart), []byte("Address already in use")) {
			return fmt.Errorf("%w: %d", errPortInUse, s.port)
		}
		return fmt.Errorf("zktest: starting ZooKeeper (%s, log %s): %w", s.inst.Source, s.LogPath(), err)
	}
	return nil
}

// spawn starts the JVM with its output appended to the log file, and
// returns where this run's log begins.
func (s *Server) spawn() (*process, int64, error) {
	f, err := os.OpenFile(s.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("zktest: %w", err)
	}
	defer f.Close() // the child keeps its own descriptor
	st, _ := f.Stat()
	args := s.javaArgs()
	fmt.Fprintf(f, "=== zktest %s: %s %s\n", time.Now().Format("15:04:05.000"), s.inst.Java, strings.Join(args, " "))
	cmd := exec.Command(s.inst.Java, args...)
	cmd.Dir = s.dir
	// An *os.File as output: the child writes to it directly, with no
	// copying goroutine in this process.
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("zktest: starting java: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, st.Size(), nil
}

// waitUp polls the server until it answers ruok (and, when serving is set,
// until srvr reports a serving mode), the process exits, or ctx ends.
func (s *Server) waitUp(ctx context.Context, p *process, needServing bool) error {
	delay := 20 * time.Millisecond
	for {
		select {
		case <-p.done:
			return fmt.Errorf("java exited: %v", p.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		out, err := FourLetter(actx, s.Addr(), "ruok")
		cancel()
		if err != nil || out != "imok" {
			continue
		}
		if !needServing {
			return nil
		}
		// ruok only says the process listens; a standalone server
		// accepts clients before loading its database, and an
		// ensemble member before joining a quorum. srvr tells.
		if info, ok := s.srvr(ctx); ok && serving(info.mode) {
			return nil
		}
	}
}

// srvr asks srvr and remembers the version the server reports.
func (s *Server) srvr(ctx context.Context) (srvrInfo, bool) {
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, err := FourLetter(actx, s.Addr(), "srvr")
	if err != nil {
		return srvrInfo{}, false
	}
	info := parseSrvr(out)
	if info.version != (proto.Version{}) {
		s.version = info.version // callers hold s.mu or own s exclusively
	}
	return info, true
}

// Mode returns the server's role as srvr reports it: "standalone",
// "leader", "follower", "observer", or "" while it does not serve.
func (s *Server) Mode(ctx context.Context) (string, error) {
	out, err := FourLetter(ctx, s.Addr(), "srvr")
	if err != nil {
		return "", err
	}
	return parseSrvr(out).mode, nil
}

// WaitServing waits until the server serves clients (srvr reports a
// standalone, leader, follower or observer mode), or ctx ends.
func (s *Server) WaitServing(ctx context.Context) error {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		return ErrNotRunning
	}
	delay := 20 * time.Millisecond
	for {
		mode, err := s.Mode(ctx)
		if err == nil && serving(mode) {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("zktest: %s exited: %v", s.Addr(), p.err)
		case <-ctx.Done():
			return fmt.Errorf("zktest: %s not serving (mode %q, %v): %w", s.Addr(), mode, err, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// FourLetter sends a four-letter word to the server and returns its whole
// answer; see the package function [FourLetter].
func (s *Server) FourLetter(ctx context.Context, word string) (string, error) {
	return FourLetter(ctx, s.Addr(), word)
}

// Watches returns the paths (the server's, chroot included) on which the
// server holds a watch for session, as its wchp four-letter word lists them:
// what a test waits for before it relies on a watch being registered. The
// server must answer wchp (the default; see With4LW).
func (s *Server) Watches(ctx context.Context, session int64) (map[string]bool, error) {
	out, err := s.FourLetter(ctx, "wchp")
	if err != nil {
		return nil, err
	}
	sess := fmt.Sprintf("0x%x", session)
	paths := make(map[string]bool)
	var path string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "/"):
			path = line
		case strings.TrimSpace(line) == sess:
			paths[path] = true
		}
	}
	return paths, nil
}

// Stop stops the server gracefully (SIGTERM, then SIGKILL after 10 s). A
// paused server is resumed first so that it can exit. Stopping a stopped
// server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil {
		return nil
	}
	if s.paused {
		signalCont(p.cmd.Process)
		s.paused = false
	}
	if err := signalTerm(p.cmd.Process); err != nil {
		s.killLocked()
		return nil
	}
	select {
	case <-p.done:
		s.proc = nil
	case <-time.After(stopTimeout):
		s.killLocked()
	}
	return nil
}

// Kill kills the server at once (SIGKILL) and waits until it is gone, as a
// crash would. Killing a stopped server does nothing.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
	return nil
}

func (s *Server) killLocked() {
	p := s.proc
	if p == nil {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
	s.proc = nil
	s.paused = false
}

// Pause freezes the server (SIGSTOP): its connections stay open but nothing
// answers, as with a long garbage collection pause or a hung machine.
func (s *Server) Pause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return ErrNotRunning
	}
	if err := signalStop(s.proc.cmd.Process); err != nil {
		return err
	}
	s.paused = true
	return nil
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return ErrNotRunning
	}
	if err := signalCont(s.proc.cmd.Process); err != nil {
		return err
	}
	s.paused = false
	return nil
}

// shutdown kills the server for good, for cleanups: no graceful exit is
// needed since the data is thrown away.
func (s *Server) shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
	s.unregister()
}

// readLog returns the log from offset on, at most its last logTail bytes.
func (s *Server) readLog(offset int64) []byte {
	f, err := os.Open(s.LogPath())
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size()-offset > logTail {
		offset = st.Size() - logTail
	}
	f.Seek(offset, io.SeekStart)
	b, _ := io.ReadAll(f)
	return b
}

// logTo prints the server's log through t.Log.
func (s *Server) logTo(t testing.TB) {
	t.Helper()
	t.Logf("zktest: log of ZooKeeper server %s (last %d KiB at most):\n%s", s.Addr(), logTail>>10, s.readLog(0))
}
