package kazoo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// FourLetterWord sends a four-letter command ("ruok", "srvr", "mntr",
// "stat", "conf", "isro", ...) to the server at addr (host:port) and returns
// its whole answer. The server must allow the word (4lw.commands.whitelist;
// since 3.5.3 only "srvr" by default).
func FourLetterWord(ctx context.Context, addr, word string) (string, error) {
	var d net.Dialer
	return fourLetter(ctx, d.DialContext, addr, word)
}

// maxFourLetterAnswer bounds what a four-letter answer may make us read.
const maxFourLetterAnswer = 64 << 20

func fourLetter(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), addr, word string) (string, error) {
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
// connection of its own, and cached per server. The client asks in the
// background after each connection to a server it does not know; a server
// that does not answer (four-letter words disabled, a TLS-only port, a
// proxy) is asked again on the next connection, and meanwhile its version
// is unknown: operations are then sent and the server decides.
func (c *Client) ServerVersion(ctx context.Context) (proto.Version, error) {
	if ctx == nil {
		return proto.Version{}, &Error{Op: "srvr", Err: errNilContext}
	}
	for {
		l := c.live.Load()
		if l == nil {
			if err := c.waitLive(ctx, c.epoch.Load()); err != nil && !errors.Is(err, ErrSessionExpired) {
				return proto.Version{}, &Error{Op: "srvr", Err: err}
			}
			continue
		}
		addr := l.cn.Addr()
		if v, ok := c.cachedVersion(addr); ok {
			return v, nil
		}
		v, err := c.askVersion(ctx, addr)
		if err != nil {
			return proto.Version{}, &Error{Op: "srvr", Err: err}
		}
		return v, nil
	}
}

func (c *Client) cachedVersion(addr string) (proto.Version, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.versions[addr]
	return v, ok
}

// askVersion asks addr for its version with "srvr" and caches the answer;
// a failure is not cached.
func (c *Client) askVersion(ctx context.Context, addr string) (proto.Version, error) {
	ans, err := fourLetter(ctx, c.opts.dialer(), addr, "srvr")
	if err != nil {
		return proto.Version{}, err
	}
	v, err := ParseVersion(ans)
	if err != nil {
		return proto.Version{}, err
	}
	c.mu.Lock()
	if c.versions == nil {
		c.versions = make(map[string]proto.Version)
	}
	c.versions[addr] = v
	c.mu.Unlock()
	return v, nil
}

// probeVersion learns addr's version in the background, within the
// session's timeout, unless it is known: no call waits for it.
func (c *Client) probeVersion(addr string) (done <-chan struct{}) {
	ch := make(chan struct{})
	if _, ok := c.cachedVersion(addr); ok {
		close(ch)
		return ch
	}
	timeout := c.SessionTimeout() / 3
	c.probes.Add(1)
	go func() {
		defer c.probes.Done()
		defer close(ch)
		ctx, cancel := context.WithTimeout(c.ctx, timeout)
		defer cancel()
		if _, err := c.askVersion(ctx, addr); err != nil {
			c.log.Debug("kazoo: server version unknown; the server will decide what it supports", "server", addr, "err", err)
		}
	}()
	return ch
}

// knownVersion returns the version of the server the client is connected
// to, if known.
func (c *Client) knownVersion() (proto.Version, bool) {
	l := c.live.Load()
	if l == nil {
		return proto.Version{}, false
	}
	return c.cachedVersion(l.cn.Addr())
}

// supports returns ErrUnsupported when the connected server is known to
// predate op. When the version is not known, the server decides. It never
// waits.
func (c *Client) supports(op proto.Op) error {
	since, _ := op.Since()
	if !(proto.Version{Major: 3, Minor: 4, Patch: 99}).Less(since) {
		return nil
	}
	v, ok := c.knownVersion()
	if !ok || !v.Less(since) {
		return nil
	}
	return fmt.Errorf("%w: %s needs ZooKeeper %s, the server runs %s", ErrUnsupported, op, since, v)
}
