package kazoo

import (
	"context"

	"github.com/kazoo-go/kazoo/internal/session"
	"github.com/kazoo-go/kazoo/proto"
)

// ConfigPath is the node where an ensemble keeps its dynamic configuration
// (ZooKeeper 3.5+): one line per member,
// "server.N=host:quorumPort:electionPort[:role];[clientHost:]clientPort",
// and "version=" the configuration's version, in hexadecimal.
const ConfigPath = "/zookeeper/config"

// prepConfig reads ConfigPath itself, whatever the client's chroot.
func (c *Client) prepConfig(ctx context.Context, k *session.Call, watch bool) *session.Call {
	k.Outside = true
	return c.prepGet(ctx, k, watch)
}

// Config returns the ensemble's configuration, the data of ConfigPath, and
// its Stat (ZooKeeper 3.5+; older servers answer ErrNoNode). It reads that
// node whatever the client's chroot, as the Java client's getConfig does:
// the configuration is the ensemble's, not the application's.
func (c *Client) Config(ctx context.Context) ([]byte, Stat, error) {
	r, err := run(ctx, c.prepConfig(ctx, c.s.GetCall(proto.OpGetData, ConfigPath), false), extractGet)
	return r.Data, r.Stat, err
}

// ConfigW is Config that also leaves a watch: the channel receives one
// event when the configuration changes (a Reconfig), or EventNotWatching
// when the session ends. [EnsembleTracker] is built on it.
func (c *Client) ConfigW(ctx context.Context) ([]byte, Stat, <-chan Event, error) {
	k := c.prepConfig(ctx, c.s.GetCall(proto.OpGetData, ConfigPath), true)
	ch := k.WCh
	r, err := run(ctx, k, extractGet)
	if err != nil {
		ch = nil
	}
	return r.Data, r.Stat, ch, err
}

// Servers returns the servers the client connects to, as host:port: those
// given to Connect, or to SetServers since.
func (c *Client) Servers() []string { return c.s.Servers() }
