package kazoo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// fastServer is a dedicated server with a short tick, so that sessions of
// about a second are allowed and expiry tests run quickly.
func fastServer(t *testing.T) *zktest.Server {
	return zktest.StartServer(t, zktest.WithTickTime(100*time.Millisecond), zktest.WithSessionTimeouts(200*time.Millisecond, 10*time.Second))
}

func TestSuspendAndResumeSameSession(t *testing.T) {
	srv := zktest.Shared(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, proxy.Addr(), kazoo.WithSessionTimeout(4*time.Second))
	ctx := testCtx(t)
	sub := c.SubscribeStates()
	defer sub.Stop()
	waitState(t, sub, kazoo.Connected, time.Second)
	id := c.SessionID()
	if _, _, err := c.Create(ctx, "/eph-resume", nil, kazoo.WithMode(kazoo.ModeEphemeral)); err != nil {
		t.Fatal(err)
	}
	defer c.Delete(ctx, "/eph-resume", kazoo.AnyVersion)

	proxy.ResetAll()
	waitState(t, sub, kazoo.Suspended, 5*time.Second)
	waitState(t, sub, kazoo.Connected, 5*time.Second)
	if c.SessionID() != id {
		t.Fatalf("session changed from %x to %x", id, c.SessionID())
	}
	if ok, _, err := c.Exists(ctx, "/eph-resume"); !ok || err != nil {
		t.Fatalf("ephemeral after resume: %v, %v", ok, err)
	}
}

func TestOperationsWaitForReconnect(t *testing.T) {
	srv := zktest.Shared(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, proxy.Addr()+zktest.Shared(t).Chroot(t)[len(srv.Addr()):], kazoo.WithSessionTimeout(3*time.Second))
	ctx := testCtx(t)
	cutOff(t, c, proxy)
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Create(ctx, "/while-suspended", nil)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Create returned while partitioned: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	proxy.Heal()
	if err := <-done; err != nil {
		t.Fatalf("Create after heal: %v", err)
	}
	if ok, _, _ := c.Exists(ctx, "/while-suspended"); !ok {
		t.Fatal("node missing")
	}
}

func TestWatchesSurviveReconnect(t *testing.T) {
	srv := zktest.Shared(t)
	root := srv.Chroot(t)
	chroot := root[len(srv.Addr()):]
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, proxy.Addr()+chroot, kazoo.WithSessionTimeout(6*time.Second))
	other := zktest.Connect(t, root)
	ctx := testCtx(t)
	for _, p := range []string{"/data", "/gone", "/kids"} {
		if _, _, err := other.Create(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, _, dataW, err := c.GetW(ctx, "/data")
	if err != nil {
		t.Fatal(err)
	}
	_, _, goneW, _ := c.GetW(ctx, "/gone")
	_, _, newW, _ := c.ExistsW(ctx, "/new")
	_, _, kidsW, _ := c.ChildrenW(ctx, "/kids")
	var tree *kazoo.Watcher
	if supported(t, proto.OpAddWatch) {
		tree, err = c.AddWatch(ctx, "/kids", true)
		if err != nil {
			t.Fatal(err)
		}
		defer tree.Close()
	}

	id := c.SessionID()
	sub := cutOff(t, c, proxy)
	// Change everything while the client cannot hear.
	if _, err := other.Set(ctx, "/data", []byte("x"), kazoo.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := other.Delete(ctx, "/gone", kazoo.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Create(ctx, "/new", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Create(ctx, "/kids/k", nil); err != nil {
		t.Fatal(err)
	}
	proxy.Heal()
	waitState(t, sub, kazoo.Connected, 10*time.Second)
	if c.SessionID() != id {
		t.Fatal("session changed")
	}
	want := map[string]kazoo.EventType{}
	for name, tc := range map[string]struct {
		ch   <-chan kazoo.Event
		want kazoo.EventType
	}{
		"data":     {dataW, kazoo.EventNodeDataChanged},
		"deleted":  {goneW, kazoo.EventNodeDeleted},
		"created":  {newW, kazoo.EventNodeCreated},
		"children": {kidsW, kazoo.EventNodeChildrenChanged},
	} {
		if ev := waitEvent(t, tc.ch, eventWait); ev.Type != tc.want {
			t.Errorf("%s watch after reconnect: %+v, want %v", name, ev, tc.want)
		}
	}
	_ = want
	// A persistent watch is re-added without catch-up, and sees new changes.
	if tree == nil {
		return
	}
	if _, _, err := other.Create(ctx, "/kids/k2", nil); err != nil {
		t.Fatal(err)
	}
	for {
		ev := waitEvent(t, tree.Events(), eventWait)
		if ev.Path == "/kids/k2" && ev.Type == kazoo.EventNodeCreated {
			break
		}
	}
}

func TestSessionExpiry(t *testing.T) {
	root := zktest.Shared(t).Chroot(t)
	c, other, ctx := zktest.Connect(t, root, kazoo.WithSessionTimeout(4*time.Second)), zktest.Connect(t, root), testCtx(t)
	if _, _, err := c.Create(ctx, "/eph", nil, kazoo.WithMode(kazoo.ModeEphemeral)); err != nil {
		t.Fatal(err)
	}
	_, _, dataW, err := c.GetW(ctx, "/eph")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Create(ctx, "/p", nil); err != nil {
		t.Fatal(err)
	}
	var pw *kazoo.Watcher
	if supported(t, proto.OpAddWatch) {
		if pw, err = c.AddWatch(ctx, "/p", false); err != nil {
			t.Fatal(err)
		}
	}
	sub := c.SubscribeStates()
	defer sub.Stop()
	old := c.SessionID()
	if err := zktest.ExpireSession(ctx, c); err != nil {
		t.Fatal(err)
	}
	// The watch ends either way: by the deletion of the session's ephemeral
	// node, if the server told the client before dropping it, else by the
	// terminal event.
	ev := waitEvent(t, dataW, eventWait)
	if ev.Type != kazoo.EventNodeDeleted && (ev.Type != kazoo.EventNotWatching || !errors.Is(ev.Err, kazoo.ErrSessionExpired)) {
		t.Errorf("one-shot watch at expiry: %+v", ev)
	}
	if pw != nil {
		// Expiring the session may first cost the client its connection:
		// if it resumes the session before the expiry, its Watcher is
		// told (EventResync) before it ends.
		for ev = waitEvent(t, pw.Events(), eventWait); ev.Type == kazoo.EventResync; {
			ev = waitEvent(t, pw.Events(), eventWait)
		}
		if ev.Type != kazoo.EventNotWatching || !errors.Is(ev.Err, kazoo.ErrSessionExpired) {
			t.Errorf("persistent watch at expiry: %+v", ev)
		}
		if _, ok := <-pw.Events(); ok {
			t.Error("persistent watch still open after expiry")
		}
	}
	waitState(t, sub, kazoo.Lost, time.Second)
	waitState(t, sub, kazoo.Connected, 10*time.Second)
	if c.SessionID() == old || c.SessionID() == 0 {
		t.Errorf("no new session: %x -> %x", old, c.SessionID())
	}
	if ok, _, err := other.Exists(ctx, "/eph"); ok || err != nil {
		t.Errorf("ephemeral survived expiry: %v, %v", ok, err)
	}
	// The client works on its new session.
	if _, _, err := c.Create(ctx, "/after", nil); err != nil {
		t.Fatal(err)
	}
}

func TestClientSideExpiryWhilePartitioned(t *testing.T) {
	srv := fastServer(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	const timeout = 1200 * time.Millisecond
	c := zktest.Connect(t, proxy.Addr(), kazoo.WithSessionTimeout(timeout))
	sub := c.SubscribeStates()
	defer sub.Stop()
	waitState(t, sub, kazoo.Connected, time.Second)
	old := c.SessionID()
	start := time.Now()
	proxy.Blackhole()
	waitState(t, sub, kazoo.Suspended, 2*timeout)
	waitState(t, sub, kazoo.Lost, 2*timeout)
	elapsed := time.Since(start)
	// Lost must come at about 4/3 of the timeout, while still partitioned.
	if elapsed < timeout || elapsed > timeout*4/3+time.Second {
		t.Errorf("Lost after %v, want about %v", elapsed, timeout*4/3)
	}
	proxy.Heal()
	waitState(t, sub, kazoo.Connected, 10*time.Second)
	if c.SessionID() == old {
		t.Error("same session after client-side expiry")
	}
}

func TestCancelledContext(t *testing.T) {
	srv := zktest.Shared(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, proxy.Addr(), kazoo.WithSessionTimeout(10*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.Get(ctx, "/"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with cancelled ctx: %v", err)
	}
	// A request the server never answers returns when its context ends.
	proxy.Blackhole()
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := c.Get(ctx, "/")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get on partition: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Get took %v to notice its context", d)
	}
	proxy.Heal()
	proxy.ResetAll()
	// The first attempt may meet the dying connection: retry transient errors.
	retry := kazoo.RetryPolicy{MaxTries: 20, Delay: 20 * time.Millisecond}
	err = retry.Retry(testCtx(t), func(ctx context.Context) error {
		_, _, err := c.Get(ctx, "/")
		return err
	})
	if err != nil {
		t.Errorf("Get after heal: %v", err)
	}
}

func TestCloseUnderLoad(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	if _, _, err := c.Create(ctx, "/load", make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var ok, closed atomic.Int64
	// Each reader goes on until it meets ErrClosed: after Close, every
	// call must fail so, at once.
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, _, err := c.Get(ctx, "/load")
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, kazoo.ErrClosed):
					closed.Add(1)
					return
				default:
					t.Errorf("Get during Close: %v", err)
					return
				}
			}
		}()
	}
	futs := make([]*kazoo.Future[kazoo.GetResult], 2000)
	for i := range futs {
		futs[i] = c.GetAsync(ctx, "/load")
	}
	waitFor(t, func() bool { return ok.Load() >= 100 }) // Close must meet a running load
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %v", d)
	}
	wg.Wait()
	for _, f := range futs {
		if _, err := f.Wait(ctx); err != nil && !errors.Is(err, kazoo.ErrClosed) {
			t.Fatalf("async Get across Close: %v", err)
		}
	}
	if c.State() != kazoo.Closed {
		t.Errorf("state %v after Close", c.State())
	}
	if _, _, err := c.Get(ctx, "/load"); !errors.Is(err, kazoo.ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if ok.Load() == 0 || closed.Load() != 8 {
		t.Errorf("ok %d, closed %d: want reads before Close, and every reader to meet ErrClosed", ok.Load(), closed.Load())
	}
}

func TestCloseRemovesEphemeralsAtOnce(t *testing.T) {
	root := zktest.Shared(t).Chroot(t)
	c, other, ctx := zktest.Connect(t, root, kazoo.WithSessionTimeout(30*time.Second)), zktest.Connect(t, root), testCtx(t)
	if _, _, err := c.Create(ctx, "/e", nil, kazoo.WithMode(kazoo.ModeEphemeral)); err != nil {
		t.Fatal(err)
	}
	_, _, ch, err := other.ExistsW(ctx, "/e")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if ev := waitEvent(t, ch, 5*time.Second); ev.Type != kazoo.EventNodeDeleted {
		t.Errorf("after Close: %+v", ev)
	}
}

func TestFailoverInEnsemble(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-member ensemble")
	}
	cl := zktest.StartCluster(t, 3)
	c := zktest.Connect(t, cl.ConnString(), kazoo.WithSessionTimeout(6*time.Second))
	ctx := testCtx(t)
	if _, _, err := c.Create(ctx, "/f", nil); err != nil {
		t.Fatal(err)
	}
	id := c.SessionID()
	var wg sync.WaitGroup
	var done atomic.Bool
	var okCount, lossCount atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !done.Load(); i++ {
			_, err := c.Set(ctx, "/f", []byte{byte(i)}, kazoo.AnyVersion)
			switch {
			case err == nil:
				okCount.Add(1)
			case errors.Is(err, kazoo.ErrConnectionLoss):
				lossCount.Add(1)
			default:
				t.Errorf("Set during failover: %v", err)
				return
			}
		}
	}()
	waitFor(t, func() bool { return okCount.Load() > 50 })
	// Kill the member we are connected to.
	addr := c.ConnectedServer()
	for i := 0; i < cl.Len(); i++ {
		if cl.Member(i).Addr() == addr {
			cl.Member(i).Kill()
		}
	}
	before := okCount.Load()
	waitFor(t, func() bool { return okCount.Load() > before+50 })
	done.Store(true)
	wg.Wait()
	if c.SessionID() != id {
		t.Errorf("session changed in failover")
	}
	if c.ConnectedServer() == addr {
		t.Errorf("still connected to the killed member")
	}
}

// A future started while disconnected is sent once the connection is back;
// a goroutine already waiting for it must not depend on anyone else reading.
func TestFutureStartedWhileDisconnected(t *testing.T) {
	srv := zktest.Shared(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, proxy.Addr()+zktest.Shared(t).Chroot(t)[len(srv.Addr()):], kazoo.WithSessionTimeout(10*time.Second))
	ctx := testCtx(t)
	if _, _, err := c.Create(ctx, "/n", []byte("v")); err != nil {
		t.Fatal(err)
	}
	// Replayed credentials give the connection something to read first.
	if err := c.AddAuth(ctx, "digest", []byte("bob:pw")); err != nil {
		t.Fatal(err)
	}
	sub := cutOff(t, c, proxy)
	f := c.GetAsync(ctx, "/n")
	got := make(chan error, 1)
	go func() { _, err := f.Result(); got <- err }()
	proxy.Heal()
	waitState(t, sub, kazoo.Connected, 10*time.Second)
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second): // the writer's tick comes every 1.7 s
		t.Fatal("Result still waiting a second after the reconnect")
	}
}

// cutOff partitions the client from the server behind proxy, breaking its
// connection, and returns once the client is Suspended; the subscription
// sees what follows.
func cutOff(t *testing.T, c *kazoo.Client, proxy *zktest.Proxy) *kazoo.StateSubscription {
	t.Helper()
	sub := c.SubscribeStates()
	t.Cleanup(sub.Stop)
	proxy.Blackhole()
	proxy.ResetAll()
	waitState(t, sub, kazoo.Suspended, 5*time.Second)
	return sub
}

// waitFor polls cond until it holds, failing the test after 30s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A server behind the last zxid the client has seen refuses the session
// ("client must try another server"): the client must move on and resume
// its session elsewhere, not take the refusal for an expiry.
func TestServerBehindLastZxidIsSkipped(t *testing.T) {
	ahead, behind := zktest.StartServer(t), zktest.StartServer(t)
	if err := behind.Stop(); err != nil { // the session starts on ahead
		t.Fatal(err)
	}
	proxy := zktest.NewProxy(t, ahead.Addr())
	c := zktest.Connect(t, proxy.Addr()+","+behind.Addr(), kazoo.WithSessionTimeout(10*time.Second))
	ctx := testCtx(t)
	for i := range 20 { // ahead's zxid moves well past behind's
		if _, _, err := c.Create(ctx, fmt.Sprintf("/n%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := behind.Start(); err != nil {
		t.Fatal(err)
	}
	id := c.SessionID()
	sub := cutOff(t, c, proxy)
	waitFor(t, func() bool {
		log, _ := os.ReadFile(behind.LogPath())
		return bytes.Contains(log, []byte("as it has seen zxid"))
	})
	proxy.Heal()
	waitState(t, sub, kazoo.Connected, 20*time.Second)
	if c.SessionID() != id {
		t.Fatalf("session changed from %x to %x", id, c.SessionID())
	}
	if _, _, err := c.Get(ctx, "/n19"); err != nil {
		t.Fatal(err)
	}
}

func TestIdleSessionStaysAliveOnPings(t *testing.T) {
	srv := fastServer(t)
	// 3 s: a ping goes out after 1 s of silence and must be answered
	// within the next second; a shorter timeout made the test measure
	// the scheduler of a loaded 2-core machine (a ping answered 340 ms
	// late suspended a 1 s session).
	const timeout = 3 * time.Second
	c := zktest.Connect(t, srv.Addr(), kazoo.WithSessionTimeout(timeout))
	if got := c.SessionTimeout(); got != timeout {
		t.Fatalf("negotiated %v, want %v", got, timeout)
	}
	sub := c.SubscribeStates()
	defer sub.Stop()
	waitState(t, sub, kazoo.Connected, time.Second)
	id := c.SessionID()
	// Over two session timeouts of silence from the application: only
	// pings keep the session.
	select {
	case s := <-sub.C():
		t.Fatalf("state changed to %v while idle", s)
	case <-time.After(2*timeout + timeout/6):
	}
	if _, _, err := c.Get(testCtx(t), "/"); err != nil || c.SessionID() != id {
		t.Fatalf("after idling: %v, session %x -> %x", err, id, c.SessionID())
	}
}

func TestAuthReplayedAfterReconnect(t *testing.T) {
	srv := zktest.Shared(t)
	root := srv.Chroot(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, proxy.Addr()+root[len(srv.Addr()):])
	ctx := testCtx(t)
	if err := c.AddAuth(ctx, "digest", []byte("bob:pw")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Create(ctx, "/mine", []byte("x"), kazoo.WithACL(kazoo.DigestACL(kazoo.PermAll, "bob", "pw"))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Delete(context.Background(), "/mine", kazoo.AnyVersion) })
	sub := c.SubscribeStates()
	defer sub.Stop()
	proxy.ResetAll()
	waitState(t, sub, kazoo.Suspended, 5*time.Second)
	waitState(t, sub, kazoo.Connected, 10*time.Second)
	if data, _, err := c.Get(ctx, "/mine"); err != nil || string(data) != "x" {
		t.Fatalf("Get after reconnect: %q, %v (credentials not replayed?)", data, err)
	}
}

func TestLogger(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := zktest.Connect(t, zktest.Shared(t).Addr(), kazoo.WithLogger(log))
	c.Close()
	out := buf.String()
	if !strings.Contains(out, "kazoo: connected") || !strings.Contains(out, "session=") {
		t.Errorf("log lacks the connection: %q", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the client's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestResumeSessionAcrossProcesses resumes a session by its id and
// password from another client, as a restarted process would: the
// ephemeral node of the first survives, and the new client owns it.
func TestResumeSessionAcrossProcesses(t *testing.T) {
	srv := zktest.Shared(t)
	servers := srv.Chroot(t)
	chroot := servers[len(srv.Addr()):]
	proxy := zktest.NewProxy(t, srv.Addr())
	first := zktest.Connect(t, proxy.Addr()+chroot, kazoo.WithSessionTimeout(10*time.Second))
	ctx := testCtx(t)
	if _, _, err := first.Create(ctx, "/mine", nil, kazoo.WithMode(kazoo.ModeEphemeral)); err != nil {
		t.Fatal(err)
	}
	id, passwd := first.SessionID(), first.SessionPassword()
	proxy.Close() // the first process dies without closing its session

	second := zktest.Connect(t, servers, kazoo.WithSession(id, passwd), kazoo.WithSessionTimeout(10*time.Second))
	if second.SessionID() != id {
		t.Fatalf("session %x, want the resumed %x", second.SessionID(), id)
	}
	ok, st, err := second.Exists(ctx, "/mine")
	if err != nil || !ok || st.EphemeralOwner != id {
		t.Fatalf("the ephemeral node after resuming: exists %v, owner %x, %v", ok, st.EphemeralOwner, err)
	}

	if _, err := kazoo.Connect(ctx, servers, kazoo.WithSession(id, []byte("short"))); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Fatalf("a 5-byte password: %v, want ErrInvalidArgument", err)
	}
}
