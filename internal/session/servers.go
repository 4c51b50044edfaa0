package session

import (
	"context"
	"errors"
	"net"

	"github.com/kazoo-go/kazoo/internal/conn"
)

// SetServers replaces the servers the session connects to with addrs,
// validated by the caller, and moves to another server only with the
// probability the change calls for (see kazoo's Client.SetServers). It
// returns once connected again after a move (or ctx ends), at once
// otherwise.
func (c *Session) SetServers(ctx context.Context, addrs []string, servers string) error {
	if c.closing.Load() {
		return c.CloseCause()
	}
	current := ""
	l := c.live.Load()
	if l != nil {
		if _, port, err := net.SplitHostPort(l.cn.Addr()); err == nil {
			current = net.JoinHostPort(l.host, port)
		}
	}
	if c.hosts.Update(addrs, current) {
		c.log.Info("kazoo: moving to another server to spread the load", "servers", servers)
		select {
		case c.move <- struct{}{}:
		default:
		}
		return c.awaitMove(ctx, l)
	}
	return nil
}

// awaitMove waits until a connection other than from is live.
func (c *Session) awaitMove(ctx context.Context, from *liveConn) error {
	for {
		c.mu.Lock()
		ready, cause := c.ready, c.closeErr
		c.mu.Unlock()
		if cause != nil {
			return cause
		}
		if l := c.live.Load(); l != nil && l != from {
			return nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// errMoving is why a connection ends when SetServers moves the client.
var errMoving = errors.New("moving to another server after a change of the server list")

// handOver takes cn out of service for a move: new requests wait for the
// next connection, and those in flight get their answers first, within the
// read timeout.
func (c *Session) handOver(cn *conn.Conn) {
	c.mu.Lock()
	c.live.Store(nil)
	timeout := c.timeout * 2 / 3
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	defer cancel()
	_ = cn.WaitDrained(ctx) // whether drained, failed or out of time, the move goes on
}
