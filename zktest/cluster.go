package zktest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// Cluster is a ZooKeeper ensemble of separate server processes on loopback
// ports, started by [StartCluster].
type Cluster struct {
	dir     string
	opts    []Option
	mu      sync.Mutex // guards members (AddMember)
	members []*Server
	timeout time.Duration
}

// StartCluster starts an ensemble of n members (n >= 1; use 3 or 5 for a
// real quorum) and returns once every member serves clients as leader or
// follower. The options apply to every member. t.Cleanup kills the members;
// their logs are printed only when the test failed.
//
// The members' zoo.cfg uses the server.N=host:peerPort:electionPort form
// with a separate clientPort, which every release from 3.4 on understands.
func StartCluster(t testing.TB, n int, opts ...Option) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("zktest: StartCluster(%d): need at least one member", n)
	}
	c, err := newCluster(t.TempDir(), n, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, m := range c.list() {
			m.shutdown()
		}
		if t.Failed() {
			for i, m := range c.list() {
				t.Logf("zktest: member %d:", i)
				m.logTo(t)
			}
		}
	})
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	return c
}

func newCluster(dir string, n int, opts []Option) (*Cluster, error) {
	// Client, peer and election ports for each member.
	ports := make([][3]int, n)
	for i := range ports {
		for j := range ports[i] {
			p, err := freePort()
			if err != nil {
				return nil, err
			}
			ports[i][j] = p
		}
	}
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	peers := make([]string, n)
	for i, p := range ports {
		peers[i] = serverLine(i+1, p, cfg.dynamic)
	}
	c := &Cluster{dir: dir, opts: opts, members: make([]*Server, n)}
	for i := range c.members {
		s, err := newServer(filepath.Join(dir, "member"+strconv.Itoa(i)), i+1, peers, opts)
		if err != nil {
			return nil, err
		}
		s.port, s.spec = ports[i][0], peers[i]
		if err := s.writeConfig(); err != nil {
			return nil, err
		}
		s.register()
		c.members[i] = s
	}
	c.timeout = c.members[0].cfg.startTimeout
	return c, nil
}

// serverLine is a member's server.N line: the peer and election ports, and
// for a dynamic ensemble its role and client address too.
func serverLine(myid int, ports [3]int, dynamic bool) string {
	if dynamic {
		return fmt.Sprintf("server.%d=127.0.0.1:%d:%d:participant;127.0.0.1:%d", myid, ports[1], ports[2], ports[0])
	}
	return fmt.Sprintf("server.%d=127.0.0.1:%d:%d", myid, ports[1], ports[2])
}

// start launches every member at once, then waits for the quorum.
func (c *Cluster) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	for _, m := range c.members {
		p, _, err := m.spawn()
		if err != nil {
			return err
		}
		m.mu.Lock()
		m.proc = p
		m.mu.Unlock()
	}
	if err := c.WaitServing(ctx); err != nil {
		return fmt.Errorf("zktest: starting a %d-member ensemble (%s): %w", len(c.members), c.members[0].inst.Source, err)
	}
	return nil
}

// Len returns the number of members.
func (c *Cluster) Len() int { return len(c.list()) }

// list returns the members as they are now ([Cluster.AddMember] adds).
func (c *Cluster) list() []*Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members
}

// Member returns member i, from 0 to Len()-1 (its myid is i+1). Its
// [Server.Stop], [Server.Start], [Server.Kill], [Server.Pause] and
// [Server.Resume] act on that member alone.
func (c *Cluster) Member(i int) *Server { return c.list()[i] }

// Members returns every member, in order.
func (c *Cluster) Members() []*Server { return append([]*Server(nil), c.list()...) }

// ConnString returns the members' addresses, "127.0.0.1:p1,127.0.0.1:p2,...".
func (c *Cluster) ConnString() string {
	members := c.list()
	addrs := make([]string, len(members))
	for i, m := range members {
		addrs[i] = m.Addr()
	}
	return strings.Join(addrs, ",")
}

// Version returns the release the members run.
func (c *Cluster) Version() proto.Version { return c.list()[0].Version() }

// Leader returns the index of the member that srvr reports as leader. It
// asks the running members only, each for at most 2 s, and fails when none
// is leader right now (during an election, or without quorum).
func (c *Cluster) Leader() (int, error) {
	var errs []error
	for i, m := range c.list() {
		if !m.Running() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		mode, err := m.Mode(ctx)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if mode == "leader" {
			return i, nil
		}
	}
	return -1, fmt.Errorf("zktest: no member is leader: %w", errors.Join(errs...))
}

// WaitLeader waits until some member is leader and returns its index.
func (c *Cluster) WaitLeader(ctx context.Context) (int, error) {
	delay := 20 * time.Millisecond
	for {
		i, err := c.Leader()
		if err == nil {
			return i, nil
		}
		select {
		case <-ctx.Done():
			return -1, fmt.Errorf("%w (%w)", err, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// WaitServing waits until every running member serves clients as leader or
// follower, or ctx ends. With fewer than a quorum running it waits for ctx.
func (c *Cluster) WaitServing(ctx context.Context) error {
	for i, m := range c.list() {
		if !m.Running() {
			continue
		}
		if err := m.WaitServing(ctx); err != nil {
			return fmt.Errorf("member %d: %w", i, err)
		}
		// Remember the version srvr reports, as a standalone start does.
		m.mu.Lock()
		m.srvr(ctx)
		m.mu.Unlock()
	}
	return nil
}
