package kazoo

import (
	"context"
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
// to, asked with "srvr" (allowed by default on every version) and cached
// per server.
func (c *Client) ServerVersion(ctx context.Context) (proto.Version, error) {
	for {
		l := c.live.Load()
		if l == nil {
			if err := c.waitLive(ctx, c.epoch.Load()); err != nil {
				return proto.Version{}, &Error{Op: "srvr", Err: err}
			}
			continue
		}
		addr := l.cn.Addr()
		c.mu.Lock()
		v, ok := c.versions[addr]
		c.mu.Unlock()
		if ok {
			return v.v, v.err
		}
		ans, err := fourLetter(ctx, c.opts.dialer(), addr, "srvr")
		if err == nil {
			v.v, err = ParseVersion(ans)
		}
		if err != nil {
			if ctx.Err() != nil {
				return proto.Version{}, &Error{Op: "srvr", Err: err}
			}
			v.err = &Error{Op: "srvr", Err: err}
		}
		c.mu.Lock()
		if c.versions == nil {
			c.versions = make(map[string]versionInfo)
		}
		c.versions[addr] = v
		c.mu.Unlock()
		return v.v, v.err
	}
}

type versionInfo struct {
	v   proto.Version
	err error // the server would not say (srvr not allowed): cached too
}

// supports returns ErrUnsupported when the connected server is known to
// predate op. When the version cannot be learnt, the server decides.
func (c *Client) supports(ctx context.Context, op proto.Op) error {
	since, _ := op.Since()
	if !(proto.Version{Major: 3, Minor: 4, Patch: 99}).Less(since) {
		return nil
	}
	v, err := c.ServerVersion(ctx)
	if err != nil || !v.Less(since) {
		return nil
	}
	return fmt.Errorf("%w: %s needs ZooKeeper %s, the server runs %s", ErrUnsupported, op, since, v)
}
