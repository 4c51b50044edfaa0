package kazoo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kazoo-go/kazoo/internal/hostlist"
	"github.com/kazoo-go/kazoo/internal/session"
)

// ErrBadConfig: the ensemble's configuration (see [ConfigPath]) could not
// be applied to the client's server list: its format is unknown, it lists
// no member that serves clients, or none of its members is reachable from
// here. The client keeps its current servers.
var ErrBadConfig = errors.New("unusable ensemble configuration")

// EnsembleTracker keeps a client's server list in step with the ensemble's
// membership, as Curator's EnsembleTracker does: it watches [ConfigPath]
// and applies every newer configuration with [Client.SetServers], so that
// the clients of an ensemble spread over the members a reconfiguration
// adds and leave the ones it removes. A client given a single member at
// Connect learns the others this way.
//
// It is opt-in, and a value of its own rather than a Connect option: it is
// built on the client's public operations (ConfigW, SetServers,
// SubscribeStates; it borrows only the client's logger, and its resolver
// and dialer for its probes), so the session engine knows nothing of it;
// it can be stopped on its own; and it is only safe when the members'
// client addresses in the configuration are the ones this client should
// dial (not behind a NAT or a port forward). It checks that at least one
// member of a new configuration is reachable before applying it, and
// waits until the members it adds serve.
//
// It survives reconnects (the watch is set again) and session loss (it
// reads the configuration again in the new session). A configuration it
// cannot use is logged, reported by Err, and skipped: the client keeps its
// current servers.
type EnsembleTracker struct {
	c      *Client
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	version int64 // of the configuration last applied
	err     error // why the last configuration read was not applied
}

// TrackEnsemble starts an EnsembleTracker on c. It runs until ctx ends, its
// Close is called, or c is closed.
func TrackEnsemble(ctx context.Context, c *Client) *EnsembleTracker {
	ctx, cancel := context.WithCancel(ctx)
	t := &EnsembleTracker{c: c, cancel: cancel, done: make(chan struct{})}
	go t.run(ctx)
	return t
}

// Close stops the tracker and waits until it has stopped. The client keeps
// the servers last applied.
func (t *EnsembleTracker) Close() {
	t.cancel()
	<-t.done
}

// Done is closed once the tracker has stopped.
func (t *EnsembleTracker) Done() <-chan struct{} { return t.done }

// Version returns the version of the configuration last applied (the
// "version=" line of ConfigPath), or 0 before the first.
func (t *EnsembleTracker) Version() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.version
}

// Err returns why the last configuration read was not applied (matching
// ErrBadConfig, or the error that prevented reading it), or nil when it
// was.
func (t *EnsembleTracker) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (t *EnsembleTracker) run(ctx context.Context) {
	defer close(t.done)
	for {
		data, _, ev, err := t.c.ConfigW(ctx)
		switch {
		case ctx.Err() != nil || errors.Is(err, ErrClosed):
			return
		case errors.Is(err, ErrConnectionLoss) || errors.Is(err, ErrSessionExpired):
			continue // the read waits for the next connection
		case err != nil:
			// A server before 3.5 (ErrNoNode), an ACL: another server, or
			// an upgraded one, may answer after the next reconnect.
			t.note(fmt.Errorf("kazoo: ensemble tracker: reading %s: %w", ConfigPath, err))
			if !t.awaitReconnect(ctx) {
				return
			}
			continue
		}
		t.apply(ctx, data)
		select {
		case e := <-ev:
			if errors.Is(e.Err, ErrClosed) {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// apply gives the client the members of a configuration newer than the
// one last applied.
func (t *EnsembleTracker) apply(ctx context.Context, data []byte) {
	addrs, version, err := hostlist.ParseConfig(data)
	if err != nil {
		t.note(fmt.Errorf("kazoo: ensemble tracker: %w: %v; keeping servers %v", ErrBadConfig, err, t.c.Servers()))
		return
	}
	t.mu.Lock()
	stale := version <= t.version
	t.mu.Unlock()
	if stale {
		return // read again after a reconnect, or from a lagging member
	}
	if !t.await(ctx, addrs) {
		t.note(fmt.Errorf("kazoo: ensemble tracker: %w: no member of configuration %x (%s) is reachable; keeping servers %v",
			ErrBadConfig, version, strings.Join(addrs, ","), t.c.Servers()))
		return
	}
	if err := t.c.SetServers(ctx, strings.Join(addrs, ",")); err != nil {
		t.note(fmt.Errorf("kazoo: ensemble tracker: applying configuration %x: %w", version, err))
		return
	}
	t.mu.Lock()
	t.version, t.err = version, nil
	t.mu.Unlock()
	t.c.s.Logger().Info("kazoo: ensemble tracker applied a configuration", "version", fmt.Sprintf("%x", version), "servers", addrs)
}

// note records and logs why a configuration was not applied.
func (t *EnsembleTracker) note(err error) {
	t.mu.Lock()
	t.err = err
	t.mu.Unlock()
	t.c.s.Logger().Warn(err.Error())
}

// await probes the members of a new configuration, with the client's
// resolver and dialer. It reports false when none is reachable: a
// configuration listing addresses this client cannot reach would cut it
// off from the ensemble. Otherwise it waits (up to a session timeout)
// until the members the configuration adds serve clients: a reconfig
// commits before its new members have caught up with the leader, and
// clients moving to them meanwhile would fall back to the old members,
// leaving the new ones idle.
func (t *EnsembleTracker) await(ctx context.Context, addrs []string) bool {
	current := t.c.Servers()
	deadline := time.Now().Add(t.c.SessionTimeout())
	pause := 50 * time.Millisecond
	for {
		reachable, joining := false, false
		for _, a := range addrs {
			added := !slices.Contains(current, a)
			if reachable && !added {
				continue
			}
			up, serving := t.probe(ctx, a)
			reachable = reachable || up
			joining = joining || (added && up && !serving)
		}
		if !reachable || !joining || time.Now().After(deadline) {
			return reachable
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return false
		}
		pause = min(2*pause, time.Second)
	}
}

// probe reports whether the server at addr accepts a connection, and
// whether it serves clients: "srvr" (allowed by default) answers that it
// does not while it is starting or joining. A server that refuses "srvr"
// is taken as serving.
func (t *EnsembleTracker) probe(ctx context.Context, addr string) (up, serving bool) {
	c := t.c
	srv, _, err := hostlist.New([]string{addr}, c.opts.resolver).Next(ctx)
	if err != nil {
		return false, false
	}
	ctx, cancel := context.WithTimeout(ctx, c.SessionTimeout()/3)
	defer cancel()
	ans, err := session.FourLetter(ctx, c.opts.dialer(srv.Host), srv.Addr, "srvr")
	if err != nil {
		return false, false
	}
	return true, !strings.Contains(ans, "not currently serving")
}

// awaitReconnect waits until the client connects again after a
// disconnection; it reports false when ctx ends or the client closes.
func (t *EnsembleTracker) awaitReconnect(ctx context.Context) bool {
	sub := t.c.SubscribeStates()
	defer sub.Stop()
	away := false
	for {
		select {
		case s, ok := <-sub.C():
			switch {
			case !ok || s == Closed:
				return false
			case s == Connected || s == ReadOnly:
				if away {
					return true
				}
			default:
				away = true
			}
		case <-ctx.Done():
			return false
		}
	}
}
