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
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("zktest: no free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !portsGiven[port] {
			portsGiven[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("zktest: no free port left")
}
