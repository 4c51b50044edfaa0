package kazoo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/internal/hostlist"
)

// SetServers replaces the servers the client connects to, for an ensemble
// whose membership changed (kazoo's set_hosts, the Java client's
// updateServerList). servers takes Connect's form; its chroot, if any, must
// be the client's.
//
// The session goes on. So that the clients of an ensemble spread evenly over
// its new members without all reconnecting at once, the client moves to
// another server only with the probability the change calls for (as the
// Java client does): always when its server left the list, with
// probability 1 - old/new when servers were added, never when servers were
// removed and its own stayed. A move waits for the requests in flight on
// the old connection to be answered; requests made meanwhile wait for the
// new one, like during any reconnect. SetServers returns once the client is
// connected again after a move (or ctx ends: the move goes on), and at once
// otherwise.
func (c *Client) SetServers(ctx context.Context, servers string) error {
	if ctx == nil {
		return &Error{Op: "setServers", Err: errNilContext}
	}
	addrs, chroot, err := hostlist.Parse(servers)
	switch {
	case err != nil:
		return &Error{Op: "setServers", Err: fmt.Errorf("%w: %v", ErrInvalidArgument, err)}
	case chroot != "" && chroot != c.chroot:
		return &Error{Op: "setServers", Err: fmt.Errorf("%w: chroot %q differs from the client's %q", ErrInvalidArgument, chroot, c.chroot)}
	case c.closing.Load():
		return &Error{Op: "setServers", Err: c.closeCause()}
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
func (c *Client) awaitMove(ctx context.Context, from *liveConn) error {
	for {
		c.mu.Lock()
		ready, cause := c.ready, c.closeErr
		c.mu.Unlock()
		if cause != nil {
			return &Error{Op: "setServers", Err: cause}
		}
		if l := c.live.Load(); l != nil && l != from {
			return nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return &Error{Op: "setServers", Err: ctx.Err()}
		}
	}
}

// errMoving is why a connection ends when SetServers moves the client.
var errMoving = errors.New("moving to another server after a change of the server list")

// handOver takes cn out of service for a move: new requests wait for the
// next connection, and those in flight get their answers first, within the
// read timeout.
func (c *Client) handOver(cn *conn.Conn) {
	c.mu.Lock()
	c.live.Store(nil)
	timeout := c.timeout * 2 / 3
	c.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for cn.Pending() > 0 && time.Now().Before(deadline) {
		select {
		case <-cn.Done():
			return
		case <-c.ctx.Done():
			return
		case <-time.After(time.Millisecond):
		}
	}
}
