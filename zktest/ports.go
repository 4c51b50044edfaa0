package zktest

import (
	"fmt"
	"net"
	"sync"
)

var (
	portsMu sync.Mutex
	// portsGiven keeps this process from handing out a port twice: the
	// kernel may offer a just-closed port again, and a server that was
	// stopped still owns its port for its restart.
	portsGiven = map[int]bool{}
)

// freePort returns a loopback TCP port that was free a moment ago. Another
// process may take it before ZooKeeper binds it; StartServer retries on that.
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	// Ports already given stay open while we look: the kernel then has to
	// offer another one (it offers a just-closed port again and again).
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("zktest: no free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !portsGiven[port] {
			l.Close()
			portsGiven[port] = true
			return port, nil
		}
		held = append(held, l)
	}
	return 0, fmt.Errorf("zktest: no free port left")
}
