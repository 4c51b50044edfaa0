package faults

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// Defect G: against a server that accepts and then drops every connection,
// the client backs off (doubling from its minimum pause) instead of
// redialling in a loop: a connection that never proved healthy does not
// reset the backoff, and neither does a session the server says expired.
func TestNoReconnectStorm(t *testing.T) {
	const window = 2 * time.Second
	// The default backoff (50 ms doubling to 2 s, with jitter) allows
	// about ten connections in the window; a storm makes thousands.
	const most = 30
	for _, tc := range []struct {
		name   string
		handle func(n int64, fc *fakeConn)
	}{
		{"closes before the handshake", func(int64, *fakeConn) {}},
		{"closes after the handshake", func(n int64, fc *fakeConn) { fc.handshake(0x51000 + n) }},
		{"expires every resumed session", func(n int64, fc *fakeConn) {
			req, err := fc.readConnect()
			if err != nil {
				return
			}
			if req.sessionID != 0 {
				req.timeoutMs = 0 // expired
			}
			fc.answerConnect(0x52000+n, req.timeoutMs)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeServer(t, tc.handle)
			ctx, cancel := context.WithTimeout(context.Background(), window)
			defer cancel()
			start := time.Now()
			c, err := kazoo.Connect(ctx, srv.Addr(), kazoo.WithSessionTimeout(4*time.Second))
			if err == nil {
				<-ctx.Done()
				c.Close()
			}
			n := srv.accepted.Load()
			t.Logf("%d connections in %v", n, time.Since(start).Round(time.Millisecond))
			if n > most {
				t.Errorf("%d connections in %v to a server that drops them all; want at most %d (backoff)", n, window, most)
			}
		})
	}
}

// Defect H: only the answer to the client's own auth request is terminal.
// An auth failure nobody asked for is a broken connection: the client
// reconnects and carries on.
func TestUnsolicitedAuthFailureIsNotTerminal(t *testing.T) {
	srv := newFakeServer(t, func(n int64, fc *fakeConn) {
		if _, err := fc.handshake(0x4800); err != nil {
			return
		}
		if n == 1 {
			fc.reply(xidAuth, 0, codeAuthFailed, nil) // no auth was ever sent
			return
		}
		fc.serve(nil)
	})
	c := zktest.Connect(t, srv.Addr(), kazoo.WithSessionTimeout(10*time.Second))
	sub := c.SubscribeStates()
	defer sub.Stop()
	timeout := time.After(20 * time.Second)
	var seen []kazoo.State
	for {
		select {
		case s, ok := <-sub.C():
			if !ok || s == kazoo.Closed {
				t.Fatalf("states %v: the client closed on an auth failure it never asked for", append(seen, s))
			}
			seen = append(seen, s)
			// Connected on a second connection: the client carried on.
			if s == kazoo.Connected && srv.accepted.Load() >= 2 {
				return
			}
		case <-timeout:
			t.Fatalf("states %v: not connected again 20s after an unsolicited auth failure", seen)
		}
	}
}

// Defect O: a Connect that gives up says why, not only that its context
// ended: the last connection failure is in its error.
func TestConnectFailureSaysWhy(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = kazoo.Connect(ctx, addr)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Connect to a closed port: %v; want the refusal (ECONNREFUSED) in the error", err)
		}
	})
	t.Run("dropped handshake", func(t *testing.T) {
		srv := newFakeServer(t, func(_ int64, fc *fakeConn) { fc.readConnect() })
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := kazoo.Connect(ctx, srv.Addr())
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("Connect to a server that drops the handshake: %v; want the connection's end (EOF) in the error", err)
		}
	})
}

// Item 5: every option is validated, with a clear error, before anything
// is dialled.
func TestOptionsValidated(t *testing.T) {
	servers, _ := chroot(t)
	for _, tc := range []struct {
		name string
		opt  kazoo.Option
	}{
		{"backoff 0, 0", kazoo.WithReconnectBackoff(0, 0)},
		{"backoff min > max", kazoo.WithReconnectBackoff(2*time.Second, time.Second)},
		{"negative backoff", kazoo.WithReconnectBackoff(-time.Second, time.Second)},
		{"negative session timeout", kazoo.WithSessionTimeout(-time.Second)},
		{"zero max packet", kazoo.WithMaxPacket(0)},
		{"empty default ACL", kazoo.WithDefaultACL()},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := kazoo.Connect(ctx, servers, tc.opt)
		cancel()
		if err == nil {
			c.Close()
			t.Errorf("%s: accepted", tc.name)
		} else if !errors.Is(err, kazoo.ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", tc.name, err)
		}
	}
}

// countingResolver resolves every name to 127.0.0.1 and records when each
// was looked up.
type countingResolver struct {
	mu      sync.Mutex
	lookups map[string][]time.Time
}

func (r *countingResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups[host] = append(r.lookups[host], time.Now())
	return []string{"127.0.0.1"}, nil
}

// lookedUpSince reports whether host was looked up at or after t.
func (r *countingResolver) lookedUpSince(host string, t time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, at := range r.lookups[host] {
		if !at.Before(t) {
			return true
		}
	}
	return false
}

// Item 8: a host name is resolved again on every reconnect, as documented,
// so that a server that moved is found at its new address.
func TestNamesResolvedOnEveryReconnect(t *testing.T) {
	_, root := chroot(t)
	p1 := zktest.NewProxy(t, zktest.Shared(t).Addr())
	p2 := zktest.NewProxy(t, zktest.Shared(t).Addr())
	proxies := map[string]*zktest.Proxy{"one.faults.test": p1, "two.faults.test": p2}
	byPort := make(map[string]string)
	var hosts []string
	for name, p := range proxies {
		_, port, _ := net.SplitHostPort(p.Addr())
		byPort[port] = name
		hosts = append(hosts, name+":"+port)
	}
	r := &countingResolver{lookups: make(map[string][]time.Time)}
	c := zktest.Connect(t, strings.Join(hosts, ",")+root, kazoo.WithResolver(r), kazoo.WithSessionTimeout(6*time.Second))
	st := watchStates(t, c)
	st.wait(t, kazoo.Connected, 5*time.Second)
	name := func() string {
		_, port, _ := net.SplitHostPort(c.ConnectedServer())
		return byPort[port]
	}
	for i := range 3 {
		from := name()
		if from == "" {
			t.Fatalf("connected to %q, none of the proxies", c.ConnectedServer())
		}
		mark := time.Now()
		proxies[from].ResetAll()
		st.wait(t, kazoo.Suspended, 10*time.Second)
		st.wait(t, kazoo.Connected, 20*time.Second)
		to := name()
		if !r.lookedUpSince(to, mark) {
			t.Errorf("reconnect %d (%s to %s): %s was not resolved again", i+1, from, to, to)
		}
	}
}
