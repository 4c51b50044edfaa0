package zktest

import (
	"errors"
	"net"
)

// MoveTo makes a stopped standalone server listen at another loopback
// address (on Linux every 127.x.y.z is local: 127.0.0.2, ...) when it
// starts again, on the same port and with the same data: a server moved
// to another machine, for tests of clients that resolve its name again.
func (s *Server) MoveTo(ip string) error {
	if net.ParseIP(ip) == nil {
		return errors.New("zktest: MoveTo needs an IP address")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.proc != nil:
		return errors.New("zktest: MoveTo needs a stopped server")
	case s.myid != 0:
		return errors.New("zktest: MoveTo moves standalone servers only")
	}
	s.unregister()
	s.host = ip
	s.register()
	return s.writeConfig()
}
