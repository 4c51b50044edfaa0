package kazoo

import (
	"context"
	"net"

	"github.com/kazoo-go/kazoo/internal/session"
	"github.com/kazoo-go/kazoo/proto"
)

// FourLetterWord sends a four-letter command ("ruok", "srvr", "mntr",
// "stat", "conf", "isro", ...) to the server at addr (host:port) and returns
// its whole answer. The server must allow the word (4lw.commands.whitelist;
// since 3.5.3 only "srvr" by default).
func FourLetterWord(ctx context.Context, addr, word string) (string, error) {
	var d net.Dialer
	return session.FourLetter(ctx, d.DialContext, addr, word)
}

// ParseVersion finds the server version in a "srvr" or "stat" answer. Build
// strings differ between distributions, so it reads only major.minor.patch.
func ParseVersion(srvr string) (proto.Version, error) { return session.ParseVersion(srvr) }

// ServerVersion returns the version of the server the client is connected
// to, asked with "srvr" (allowed by default on every version) over a
// connection of its own, and cached per server; a failure is not cached.
// The client itself never asks: it learns what a server lacks from the
// server's own answers (a request the server does not know fails with
// ErrUnsupported, and later ones at once).
func (c *Client) ServerVersion(ctx context.Context) (proto.Version, error) {
	if ctx == nil {
		return proto.Version{}, &Error{Op: "srvr", Err: errNilContext}
	}
	v, err := c.s.ServerVersion(ctx)
	if err != nil {
		return proto.Version{}, &Error{Op: "srvr", Err: err}
	}
	return v, nil
}
