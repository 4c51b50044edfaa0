package zktest

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
)

// Spec returns an ensemble member's server line,
// "server.N=127.0.0.1:peer:election:participant;127.0.0.1:client" in an
// ensemble started [WithDynamicReconfig]: what a client's Reconfig takes
// as joining. It is "" for a standalone server.
func (s *Server) Spec() string { return s.spec }

// MyID returns an ensemble member's id (its N in server.N), or 0 for a
// standalone server.
func (s *Server) MyID() int { return s.myid }

// AddMember starts a new server for an ensemble started
// [WithDynamicReconfig], configured with the current members and itself,
// as ZooKeeper's dynamic reconfiguration expects, and returns it once it
// runs. It syncs with the leader but joins the quorum only when a client
// adds it: Reconfig(ctx, srv.Spec(), "", "", -1). Then
// [Server.WaitServing] tells when it serves clients. It is stopped with
// the rest of the ensemble.
func (c *Cluster) AddMember(ctx context.Context) (*Server, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.members) == 0 || !c.members[0].cfg.dynamic {
		return nil, fmt.Errorf("zktest: AddMember needs an ensemble started WithDynamicReconfig")
	}
	var ports [3]int
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	myid := len(c.members) + 1
	spec := serverLine(myid, ports, true)
	peers := []string{spec}
	for _, m := range c.members {
		peers = append(peers, m.spec)
	}
	s, err := newServer(filepath.Join(c.dir, "member"+strconv.Itoa(myid-1)), myid, peers, c.opts)
	if err != nil {
		return nil, err
	}
	s.port, s.spec = ports[0], spec
	if err := s.writeConfig(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	err = s.startLocked(ctx, false)
	s.mu.Unlock()
	if err != nil {
		s.shutdown()
		return nil, err
	}
	c.members = append(c.members, s)
	return s, nil
}
