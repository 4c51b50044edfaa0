package zktest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Direction selects one or both directions of a [Proxy]'s traffic.
type Direction int

// Directions of proxied traffic.
const (
	Upstream   Direction = 1 << iota // from the client to the server
	Downstream                       // from the server to the client
	Both       = Upstream | Downstream
)

// dirIndex maps the two single directions to array indexes.
func dirIndexes(dirs []Direction) []int {
	var d Direction
	for _, x := range dirs {
		d |= x
	}
	if d == 0 {
		d = Both
	}
	var idx []int
	if d&Upstream != 0 {
		idx = append(idx, 0)
	}
	if d&Downstream != 0 {
		idx = append(idx, 1)
	}
	return idx
}

// Proxy is a TCP proxy on a loopback port in front of one ZooKeeper server,
// for testing what a client does when the network misbehaves while the
// server stays healthy. Point the client at [Proxy.Addr] instead of the
// server.
//
// It passes traffic through until told otherwise: [Proxy.SetDelay] adds
// latency, [Proxy.Blackhole] partitions, [Proxy.CutUpstream] and
// [Proxy.CutDownstream] drop one direction, [Proxy.ResetAll] breaks the live
// connections, and [Proxy.Heal] restores normal service. Each connection the
// client opens gets its own connection to the server.
//
// Its methods may be called from any goroutine. [Proxy.Close] (called by the
// test's cleanup) leaves no goroutine behind.
type Proxy struct {
	target  string
	ln      net.Listener
	wg      sync.WaitGroup
	once    sync.Once
	unproxy func() // forgets how zktest gets in through it (see proxied)

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every mode change
	blackhole bool
	cut       [2]bool
	delay     [2]time.Duration
	links     map[*link]struct{}
	closed    bool
}

// link is one proxied connection: the client's and ours to the server.
type link struct {
	client, server net.Conn
	done           chan struct{} // closed when the link is torn down
	once           sync.Once
}

// close tears the link down; with reset, both sides see a TCP RST rather
// than an orderly close.
func (l *link) close(reset bool) {
	l.once.Do(func() {
		close(l.done)
		for _, c := range []net.Conn{l.client, l.server} {
			if tc, ok := c.(*net.TCPConn); ok && reset {
				tc.SetLinger(0)
			}
			c.Close()
		}
	})
}

// NewProxy starts a proxy to target ("host:port") on a free loopback port.
// t.Cleanup closes it.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("zktest: proxy: %v", err)
	}
	p := &Proxy{target: target, ln: ln, changed: make(chan struct{}), links: map[*link]struct{}{}}
	p.unproxy = proxied(target, p.Addr()) // zktest's own connections through it get in too
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() { p.Close() })
	return p
}

// Addr returns the address clients connect to, "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target returns the address of the server behind the proxy.
func (p *Proxy) Target() string { return p.target }

// Conns returns the number of live proxied connections.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// update changes the mode under the lock and wakes every waiting pump.
func (p *Proxy) update(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
	close(p.changed)
	p.changed = make(chan struct{})
}

// SetDelay delays the traffic of the given directions (both when none is
// given) by d: each chunk of bytes is forwarded d after it arrived, without
// limiting throughput. Zero removes the delay.
func (p *Proxy) SetDelay(d time.Duration, dirs ...Direction) {
	p.update(func() {
		for _, i := range dirIndexes(dirs) {
			p.delay[i] = d
		}
	})
}

// Blackhole partitions the client from the server: connections stay open,
// new ones are accepted, but no byte is forwarded in either direction. Bytes
// already in flight are held, not lost, and flow again after [Proxy.Heal] if
// their connection is still open then, as after a real partition heals.
func (p *Proxy) Blackhole() { p.update(func() { p.blackhole = true }) }

// CutUpstream silently drops every byte from clients to the server until
// [Proxy.Heal]; the server's answers still flow.
func (p *Proxy) CutUpstream() { p.update(func() { p.cut[0] = true }) }

// CutDownstream silently drops every byte from the server to clients until
// [Proxy.Heal]; requests still reach the server.
func (p *Proxy) CutDownstream() { p.update(func() { p.cut[1] = true }) }

// Heal ends a blackhole and cuts, and removes delays: traffic passes again.
// Connections whose bytes were cut stay open but have lost data; a client
// normally notices and reconnects.
func (p *Proxy) Heal() {
	p.update(func() {
		p.blackhole = false
		p.cut = [2]bool{}
		p.delay = [2]time.Duration{}
	})
}

// ResetAll breaks every live connection with a TCP reset on both sides, as a
// crashed middlebox would. New connections are proxied as usual.
func (p *Proxy) ResetAll() {
	p.mu.Lock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.close(true)
	}
}

// Close stops the proxy: it closes the listener and every connection, and
// waits for its goroutines to end.
func (p *Proxy) Close() error {
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.ln.Close()
		p.ResetAll()
		p.wg.Wait()
		p.unproxy()
	})
	return nil
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve proxies one client connection.
func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	d := net.Dialer{Timeout: 5 * time.Second}
	server, err := d.Dial("tcp", p.target)
	if err != nil {
		// The server is down: the client sees its connection closed,
		// the proxy's equivalent of a refused connection.
		client.Close()
		return
	}
	l := &link{client: client, server: server, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		l.close(true)
		return
	}
	p.links[l] = struct{}{}
	p.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.pump(l, client, server, 0)
	}()
	p.pump(l, server, client, 1)
	wg.Wait()
	l.close(false)
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// chunk is bytes read from one side, stamped with their arrival.
type chunk struct {
	data []byte
	at   time.Time
}

// pump forwards src to dst for direction dir (0 up, 1 down). A reader
// goroutine stamps chunks as they arrive, so that a delay adds latency
// without throttling; the writer (this goroutine) releases each chunk when
// the proxy's mode allows.
func (p *Proxy) pump(l *link, src, dst net.Conn, dir int) {
	ch := make(chan chunk, 64)
	readErr := make(chan error, 1)
	go func() {
		defer close(ch)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case ch <- chunk{buf[:n], time.Now()}:
				case <-l.done:
					readErr <- nil
					return
				}
			}
			if err != nil {
				readErr <- err
				return
			}
		}
	}()
	broken := false
	for c := range ch {
		if broken {
			continue // drain so the reader can finish
		}
		deliver, alive := p.await(l, dir, c.at)
		if !alive {
			broken = true
			continue
		}
		if !deliver {
			continue
		}
		if _, err := dst.Write(c.data); err != nil {
			broken = true
			l.close(false)
		}
	}
	err := <-readErr
	switch {
	case broken:
	case err == io.EOF:
		// An orderly close: pass it on as one, so the other side still
		// reads what was sent before it.
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		} else {
			l.close(false)
		}
	case err != nil:
		l.close(false)
	}
}

// await blocks until a chunk read at at may go in direction dir. deliver is
// false when the chunk must be dropped (a cut); alive is false when the link
// was torn down meanwhile.
func (p *Proxy) await(l *link, dir int, at time.Time) (deliver, alive bool) {
	for {
		p.mu.Lock()
		blackhole, cut, delay, changed := p.blackhole, p.cut[dir], p.delay[dir], p.changed
		p.mu.Unlock()
		if cut {
			return false, true
		}
		if blackhole {
			select {
			case <-changed:
				continue
			case <-l.done:
				return false, false
			}
		}
		wait := time.Until(at.Add(delay))
		if wait <= 0 {
			return true, true
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
			return true, true
		case <-changed:
			timer.Stop()
		case <-l.done:
			timer.Stop()
			return false, false
		}
	}
}
