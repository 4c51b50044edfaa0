package session

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/internal/hostlist"
	"github.com/kazoo-go/kazoo/proto"
)

// run is the session goroutine (Start): it connects, serves a connection until it
// ends, and reconnects, until Close or a terminal failure. It alone changes
// the session (id, password, live connection) and reports Connected,
// Suspended, Lost and ReadOnly.
func (c *Session) run() {
	defer close(c.loopDone)
	defer c.shutdown()
	backoff := c.cfg.BackoffMin
	failures := 0 // connection attempts failed since the last healthy connection
	preferred := ""
	for c.ctx.Err() == nil {
		if c.expiredLocally() {
			c.sessionLost("no server answered within 4/3 of the session timeout")
			continue
		}
		srv, newPass, err := c.hosts.Next(c.ctx)
		if preferred != "" {
			host, _, _ := net.SplitHostPort(preferred)
			srv, preferred = hostlist.Server{Addr: preferred, Host: host}, ""
		} else if err != nil {
			c.log.Warn("kazoo: resolving servers", "err", err)
			c.setLastCause(err)
			failures++
			c.sleep(&backoff)
			continue
		} else if newPass && failures > 0 {
			c.sleep(&backoff)
			if c.ctx.Err() != nil {
				return
			}
		}
		addr := srv.Addr
		began, prevID := time.Now(), c.SessionID()
		cn, err := c.dial(srv)
		c.reportConnect(addr, cn, err, prevID, time.Since(began))
		switch {
		case errors.Is(err, conn.ErrSessionExpired):
			c.sessionLost("the server reported the session expired")
			failures++
			continue
		case errors.Is(err, ErrAuthFailed):
			c.log.Error("kazoo: authentication failed; the client is closed", "server", addr, "err", err)
			c.terminate(err)
			return
		case err != nil:
			failures++
			c.setLastCause(fmt.Errorf("%s: %w", addr, err))
			c.log.Debug("kazoo: connection attempt failed", "server", addr, "err", err)
			continue
		}
		c.established(cn, srv.Host)
		rw, cause := c.serve(cn)
		preferred = rw
		c.disconnected(cn)
		c.reportDisconnect(addr, cause)
		// Only a server that answered after the handshake proved healthy:
		// a connection dropped before (a server accepting and closing
		// every connection) counts as a failure, so the next pass backs off.
		if cn.Answered() {
			failures, backoff = 0, c.cfg.BackoffMin
		} else {
			failures++
		}
		if errors.Is(cause, conn.ErrAuthFailed) {
			err := c.connError(cause)
			c.log.Error("kazoo: authentication failed; the client is closed", "server", addr, "err", err)
			c.terminate(err)
			return
		}
		if c.closing.Load() {
			return // Close is waiting for closeSession: do not reconnect
		}
		if errors.Is(cause, conn.ErrSessionExpired) && c.ctx.Err() == nil {
			c.sessionLost("a server answered that the session expired")
			continue
		}
		if c.ctx.Err() == nil {
			c.log.Info("kazoo: connection lost", "server", addr, "err", cause)
			c.state.set(Suspended)
		}
	}
}

func (c *Session) setLastCause(err error) {
	c.mu.Lock()
	c.lastCause = err
	c.mu.Unlock()
}

// expiry returns when the client will consider its session expired for want
// of hearing from any server (zero without a session).
func (c *Session) expiry() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessionID == 0 {
		return time.Time{}
	}
	return c.lastHeard.Add(c.timeout * 4 / 3)
}

func (c *Session) expiredLocally() bool {
	e := c.expiry()
	return !e.IsZero() && !time.Now().Before(e)
}

// sleep pauses for about *backoff (with jitter) and doubles it, waking early
// at Close or when the session would expire locally.
func (c *Session) sleep(backoff *time.Duration) {
	d := time.Duration(float64(*backoff) * (0.5 + rand.Float64()))
	*backoff = min(*backoff*2, c.cfg.BackoffMax)
	if e := c.expiry(); !e.IsZero() {
		d = min(d, time.Until(e))
	}
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.ctx.Done():
	}
}

// dial opens a connection to srv and performs the handshake, resuming the
// current session if there is one. It gives up after the per-host connect
// timeout (session timeout / number of servers) or at local expiry.
func (c *Session) dial(srv hostlist.Server) (*conn.Conn, error) {
	c.mu.Lock()
	req := proto.ConnectRequest{
		LastZxidSeen: c.lastZxid,
		TimeoutMs:    int32(c.cfg.SessionTimeout / time.Millisecond),
		SessionID:    c.sessionID,
		Passwd:       c.passwd,
		ReadOnly:     c.cfg.ReadOnly,
	}
	perHost := c.timeout / time.Duration(max(c.hosts.Len(), 1))
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, perHost)
	defer cancel()
	if e := c.expiry(); !e.IsZero() {
		var cancel2 context.CancelFunc
		ctx, cancel2 = context.WithDeadline(ctx, e)
		defer cancel2()
	}
	cn, _, err := conn.Dial(ctx, conn.Config{
		Addr:      srv.Addr,
		Dial:      c.cfg.Dialer(srv.Host),
		Connect:   req,
		MaxPacket: c.cfg.MaxPacket,
		MaxReply:  c.cfg.MaxReply,
		Handler:   &c.watches,
		Logger:    c.log,
	})
	if err == nil && c.cfg.SASL != nil {
		if err = c.saslAuthenticate(ctx, cn, srv.Host); err != nil {
			cn.Close()
			cn = nil
		}
	}
	return cn, err
}

// established adopts a new connection: records the session, then sends
// what must precede any request (credentials, the session's watches), then
// lets requests through.
func (c *Session) established(cn *conn.Conn, host string) {
	s := cn.Session()
	c.mu.Lock()
	resumed := s.SessionID == c.sessionID
	c.sessionID, c.passwd = s.SessionID, s.Passwd
	c.timeout = time.Duration(s.TimeoutMs) * time.Millisecond
	c.lastHeard = time.Now()
	auths := append([]Auth(nil), c.auths...)
	lastZxid := c.lastZxid
	epoch := c.epoch.Load()
	c.mu.Unlock()

	// Authentication steps that must precede every request (a SASL
	// exchange) go here, before the credentials and watches below.
	for _, a := range auths {
		k := c.NewAsyncCall(proto.OpAuth, "")
		k.Xid, k.Body = proto.XidAuth, &proto.AuthRequest{Scheme: a.Scheme, Auth: a.Auth}
		_ = c.sendOn(cn, k, true)
	}
	if resumed {
		c.watches.resend(cn, lastZxid)
	}
	if !c.probeCreate2(cn) {
		return // a server before 3.5 closed the connection: learnt, the next one serves
	}
	// Only what the server answers from now on proves it healthy (see
	// run's backoff): a server that drops every connection right after
	// its setup (a session another client is taking) must be backed off.
	cn.ForgetAnswers()
	c.mu.Lock()
	c.sendBacklog(cn, epoch, nil) // before anything started from now on
	c.live.Store(&liveConn{cn: cn, host: host, epoch: epoch})
	close(c.ready)
	c.ready = make(chan struct{})
	c.mu.Unlock()
	st := Connected
	if s.ReadOnly {
		st = ReadOnly
	}
	c.log.Info("kazoo: connected", "server", cn.Addr(), "session", s.SessionID, "timeout", c.SessionTimeout(), "resumed", resumed, "state", st)
	c.state.set(st)
}

// serve waits until cn ends or the client closes. While connected to a
// read-only server it probes the others for a read-write one, and returns
// its address to move there.
func (c *Session) serve(cn *conn.Conn) (rwServer string, cause error) {
	var probe <-chan time.Time
	if cn.Session().ReadOnly {
		t := time.NewTicker(max(c.SessionTimeout()/4, 100*time.Millisecond))
		defer t.Stop()
		probe = t.C
	}
	for {
		select {
		case <-cn.Done():
			return "", cn.Err()
		case <-c.ctx.Done():
			return "", ErrClosed
		case <-c.move:
			c.handOver(cn)
			return "", errMoving
		case <-probe:
			if addr := c.findReadWrite(cn.Addr()); addr != "" {
				c.log.Info("kazoo: moving to a read-write server", "server", addr)
				return addr, nil
			}
		}
	}
}

// findReadWrite asks every other server whether it serves writes ("isro").
func (c *Session) findReadWrite(current string) string {
	for _, addr := range c.hosts.Hosts() {
		if addr == current {
			continue
		}
		ctx, cancel := context.WithTimeout(c.ctx, 500*time.Millisecond)
		host, _, _ := net.SplitHostPort(addr)
		ans, err := FourLetter(ctx, c.cfg.Dialer(host), addr, "isro")
		cancel()
		if err == nil && ans == "rw" {
			return addr
		}
	}
	return ""
}

// disconnected retires cn: requests wait for the next connection.
func (c *Session) disconnected(cn *conn.Conn) {
	c.mu.Lock()
	c.live.Store(nil)
	c.mu.Unlock()
	cn.Close() // fails its pending calls with connection loss
	c.mu.Lock()
	c.lastZxid = max(c.lastZxid, cn.LastZxid())
	c.lastHeard = cn.LastRecv()
	c.mu.Unlock()
}

// sessionLost forgets the session: waiting calls of that session fail with
// ErrSessionExpired, every watch gets its terminal event, and the next
// connection opens a new session.
func (c *Session) sessionLost(reason string) {
	c.mu.Lock()
	id := c.sessionID
	c.sessionID, c.passwd = 0, nil
	c.epoch.Add(1)
	c.sendBacklog(nil, 0, ErrSessionExpired)
	close(c.ready)
	c.ready = make(chan struct{})
	c.mu.Unlock()
	c.log.Warn("kazoo: session lost; opening a new session", "session", id, "reason", reason)
	c.watches.terminate(ErrSessionExpired, false)
	c.state.set(Lost)
}

// shutdown ends the client for good: it runs when the session goroutine
// exits, after Close or a terminal failure.
func (c *Session) shutdown() {
	if l := c.live.Swap(nil); l != nil {
		l.cn.Close()
	}
	c.mu.Lock()
	if c.closeErr == nil {
		c.closeErr = ErrClosed
	}
	cause := c.closeErr
	c.sendBacklog(nil, 0, cause)
	close(c.ready)
	c.mu.Unlock()
	c.watches.terminate(cause, true)
	c.state.set(Closed)
}
