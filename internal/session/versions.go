package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"time"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/proto"
)

// maxFourLetterAnswer bounds what a four-letter answer may make us read.
const maxFourLetterAnswer = 64 << 20

// FourLetter sends a four-letter command to the server at addr over a
// connection of its own, opened with dial, and returns its whole answer
// (kazoo.FourLetterWord).
func FourLetter(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), addr, word string) (string, error) {
	if len(word) != 4 {
		return "", fmt.Errorf("%w: four-letter word %q", ErrInvalidArgument, word)
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.WriteString(nc, word); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(nc, maxFourLetterAnswer))
	if err != nil && ctx.Err() != nil {
		return "", ctx.Err()
	}
	if err != nil && len(b) == 0 {
		return "", err
	}
	return string(b), nil
}

var versionRE = regexp.MustCompile(`(?i)zookeeper version:\s*(\d+)\.(\d+)\.(\d+)`)

// ParseVersion finds the server version in a "srvr" or "stat" answer. Build
// strings differ between distributions, so it reads only major.minor.patch.
func ParseVersion(srvr string) (proto.Version, error) {
	m := versionRE.FindStringSubmatch(srvr)
	if m == nil {
		return proto.Version{}, fmt.Errorf("no version in %q", truncate(srvr, 80))
	}
	var v proto.Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Patch, _ = strconv.Atoi(m[3])
	return v, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// ServerVersion returns the version of the server the client is connected
// to, asked with "srvr" (allowed by default on every version) over a
// connection of its own, and cached per server; a failure is not cached.
// The client itself never asks: it learns what a server lacks from the
// server's own answers (see Supports).
func (c *Session) ServerVersion(ctx context.Context) (proto.Version, error) {
	for {
		l := c.live.Load()
		if l == nil {
			if err := c.waitLive(ctx, c.epoch.Load()); err != nil && !errors.Is(err, ErrSessionExpired) {
				return proto.Version{}, err
			}
			continue
		}
		addr := l.cn.Addr()
		c.vmu.Lock()
		v, ok := c.versions[addr]
		c.vmu.Unlock()
		if ok {
			return v, nil
		}
		ans, err := FourLetter(ctx, c.cfg.Dialer(l.host), addr, "srvr")
		if err == nil {
			v, err = ParseVersion(ans)
		}
		if err != nil {
			return proto.Version{}, err
		}
		c.vmu.Lock()
		if c.versions == nil {
			c.versions = make(map[string]proto.Version)
		}
		c.versions[addr] = v
		c.vmu.Unlock()
		return v, nil
	}
}

// learnUnimplemented records that the server at addr predates op: it
// answered Unimplemented (and closes the connection, as servers do then).
func (c *Session) learnUnimplemented(addr string, op proto.Op) {
	since, _ := op.Since()
	c.vmu.Lock()
	defer c.vmu.Unlock()
	if c.older == nil {
		c.older = make(map[string]proto.Version)
	}
	if v, ok := c.older[addr]; !ok || since.Less(v) {
		c.older[addr] = since
	}
}

// probeCreate2 learns, once per server, whether it has create2 (3.5+),
// before the connection takes requests: Create's default needs it, and a
// 3.4 server closes the connection on it without an answer, which would
// fail every request pipelined behind. The probe creates "/", which every
// server that knows create2 refuses (the node exists). It reports whether
// cn is still usable.
func (c *Session) probeCreate2(cn *conn.Conn) bool {
	addr := cn.Addr()
	c.vmu.Lock()
	_, old := c.older[addr]
	_, versioned := c.versions[addr]
	known := old || versioned || c.modern[addr]
	c.vmu.Unlock()
	if known {
		return true
	}
	k := c.NewAsyncCall(proto.OpCreate2, "")
	k.Body = &proto.CreateRequest{Path: "/", Data: []byte{}, ACL: []proto.ACL{{Perms: proto.PermAll, Scheme: "world", ID: "anyone"}}}
	if c.sendOn(cn, k, true) != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.SessionTimeout()*2/3)
	defer cancel()
	switch {
	case !k.Wait(ctx):
		return true // no answer yet: let the requests' own answers tell
	case k.Err != nil && k.Code == proto.CodeOK && errors.Is(cn.Err(), io.EOF):
		// Closed by the server without an answer: what 3.4 does with an
		// unknown opcode.
		c.learnUnimplemented(addr, proto.OpCreate2)
		return false
	case k.Err != nil && k.Code == proto.CodeOK:
		// The connection failed otherwise: probe no more (a server
		// that cannot answer this cannot answer requests either; their
		// own answers will tell), and go on if it still can.
		c.vmu.Lock()
		if c.modern == nil {
			c.modern = make(map[string]bool)
		}
		c.modern[addr] = true
		c.vmu.Unlock()
		return !connDone(cn)
	case k.Code == proto.CodeUnimplemented:
		return false // learnt by Complete
	}
	c.vmu.Lock()
	if c.modern == nil {
		c.modern = make(map[string]bool)
	}
	c.modern[addr] = true
	c.vmu.Unlock()
	return true
}

// ServerPredates reports whether the connected server is known to be older
// than v: from ServerVersion, or from an Unimplemented answer.
func (c *Session) ServerPredates(v proto.Version) (predates, known bool) {
	l := c.live.Load()
	if l == nil {
		return false, false
	}
	return c.predatesAt(l.cn.Addr(), v)
}

// predatesAt reports whether the server at addr is known to be older than
// v.
func (c *Session) predatesAt(addr string, v proto.Version) (predates, known bool) {
	c.vmu.Lock()
	defer c.vmu.Unlock()
	if sv, ok := c.versions[addr]; ok {
		return sv.Less(v), true
	}
	if below, ok := c.older[addr]; ok && !v.Less(below) {
		return true, true
	}
	return false, false
}

// Supports returns ErrUnsupported when the connected server is known to
// predate op. Otherwise the request is sent and the server decides: it
// answers Unimplemented, which the client then remembers. It never waits
// and never asks the server on the side (a probe would fail on TLS-only
// ports, behind proxies, or with four-letter words disabled).
func (c *Session) Supports(op proto.Op) error {
	since, _ := op.Since()
	if !(proto.Version{Major: 3, Minor: 4, Patch: 99}).Less(since) {
		return nil
	}
	if predates, _ := c.ServerPredates(since); !predates {
		return nil
	}
	return fmt.Errorf("%w: %s needs ZooKeeper %s or later, which the server predates", ErrUnsupported, op, since)
}
