package kazoo

import (
	"context"
	"fmt"

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
	}
	if err := c.s.SetServers(ctx, addrs, servers); err != nil {
		return &Error{Op: "setServers", Err: err}
	}
	return nil
}
