package kazoo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/internal/sasl"
	"github.com/kazoo-go/kazoo/proto"
)

// SASLMechanism is a SASL client mechanism the client runs on every
// connection, after the handshake and before any other request. The core
// module implements DIGEST-MD5 (WithSASLDigest); the module
// github.com/kazoo-go/kazoo/sasl/gssapi implements Kerberos.
type SASLMechanism interface {
	// Name returns the mechanism's SASL name, e.g. "DIGEST-MD5", for
	// logs and errors.
	Name() string
	// Start begins an exchange with the server host (the host name of the
	// server address being connected, as the connection string gave it)
	// and returns it with the initial token, which is sent even when
	// empty. Errors are as for SASLExchange.Next.
	Start(ctx context.Context, host string) (SASLExchange, []byte, error)
}

// SASLExchange is one SASL exchange, on one connection.
type SASLExchange interface {
	// Next takes the server's answer to the last token sent and returns
	// the next token to send. done reports that the exchange is complete
	// once response (if not nil) has been sent and answered. An error ends
	// the exchange and closes the client, unless it wraps
	// ErrSASLTemporary; it must not carry secrets.
	Next(ctx context.Context, challenge []byte) (response []byte, done bool, err error)
}

// ErrSASL is the cause of a SASL exchange that failed on the client's side
// (a malformed challenge, a server that failed to prove its identity, no
// Kerberos ticket): the client is closed with an error matching both ErrSASL
// and ErrAuthFailed.
var ErrSASL = errors.New("SASL authentication failed")

// ErrSASLTemporary is what a SASLMechanism's error wraps when the failure
// may pass (its Kerberos KDC is unreachable): the client then tries again
// with the next connection instead of closing.
var ErrSASLTemporary = errors.New("SASL authentication temporarily impossible")

// WithSASL authenticates every connection with mech, after the handshake and
// before any request; a failure closes the client with an error matching
// ErrAuthFailed.
func WithSASL(mech SASLMechanism) Option {
	return func(o *options) { o.sasl = mech }
}

// WithSASLDigest authenticates every connection with SASL DIGEST-MD5 as user
// (the server's JAAS Server section lists user_<name>="<password>"). The
// session's identity is then sasl:<user>, for ACLs (SASLACL).
func WithSASLDigest(user, password string) Option {
	return WithSASL(digestMechanism{user: user, password: password})
}

type digestMechanism struct{ user, password string }

func (digestMechanism) Name() string { return "DIGEST-MD5" }

func (m digestMechanism) Start(context.Context, string) (SASLExchange, []byte, error) {
	d := sasl.NewDigest(m.user, m.password, rand.Reader)
	return digestExchange{d}, d.Start(), nil
}

// String hides the password from %v of an option value.
func (m digestMechanism) String() string { return "DIGEST-MD5 user " + m.user }

type digestExchange struct{ d *sasl.Digest }

func (e digestExchange) Next(_ context.Context, challenge []byte) ([]byte, bool, error) {
	return e.d.Next(challenge)
}

// saslAuthenticate runs the configured SASL exchange on cn, a connection
// that has just completed its handshake and carries no other request yet;
// host is the server's name as the connection string gave it.
// The session loop calls it from dial, so that a connection becomes live
// only once authenticated. An error matching ErrAuthFailed is terminal;
// others (the connection dropped) are not.
func (c *Client) saslAuthenticate(ctx context.Context, cn *conn.Conn, host string) error {
	mech := c.opts.sasl
	fail := func(err error) error {
		return fmt.Errorf("SASL %s with %s: %w", mech.Name(), cn.Addr(), err)
	}
	ex, token, err := mech.Start(ctx, host)
	if err != nil {
		return fail(mechanismError(err))
	}
	answered := false // a challenge came, and the client answered it
	for {
		if token == nil {
			token = []byte{}
		}
		k, err := c.saslRound(ctx, cn, token)
		if err != nil {
			return fail(err)
		}
		switch {
		case k.err != nil && answered:
			// Servers before 3.5 close the connection instead of
			// answering AuthFailed; a dropped connection must not end
			// the client, a server that keeps refusing must.
			if c.saslDrops++; c.saslDrops >= saslMaxDrops {
				return fail(fmt.Errorf("the server closed the connection after the client's SASL response %d times in a row (servers before 3.5 answer wrong credentials so): %w", c.saslDrops, ErrAuthFailed))
			}
			return fail(k.err)
		case k.err != nil:
			return fail(k.err) // connection loss: try again
		case k.code == proto.CodeAuthFailed:
			return fail(fmt.Errorf("the server rejected the credentials: %w", ErrAuthFailed))
		case k.code == proto.CodeSessionClosedRequireSASL:
			return fail(fmt.Errorf("the server requires SASL authentication and refused this one: %w (%w)", ErrAuthFailed, ErrSessionClosedRequireSASL))
		case k.code != proto.CodeOK:
			return fail(fmt.Errorf("%w: the server answered %v", ErrAuthFailed, k.code))
		}
		var done bool
		answered = true
		token, done, err = ex.Next(ctx, k.rdata)
		if err != nil {
			return fail(mechanismError(err))
		}
		if done && token == nil {
			c.saslDrops = 0
			c.log.Debug("kazoo: SASL authenticated", "mechanism", mech.Name(), "server", cn.Addr())
			return nil
		}
		if done {
			// One last token; its answer ends the exchange.
			ex = finalExchange{}
		}
	}
}

// mechanismError classifies a mechanism's error: terminal, unless it says
// it may pass.
func mechanismError(err error) error {
	if errors.Is(err, ErrSASLTemporary) {
		return err
	}
	return saslError{err}
}

// saslRound sends one SASL token on cn, ahead of any other request, and
// waits for the server's answer: the call's err (connection loss), code and
// rdata (the server's token). It is the exchange's only contact with the
// connection engine.
func (c *Client) saslRound(ctx context.Context, cn *conn.Conn, token []byte) (*call, error) {
	k := c.newAsyncCall(proto.OpSASL, "")
	k.body = &proto.SASLRequest{Token: token}
	if err := c.sendOn(cn, k, true); err != nil {
		return nil, err
	}
	if !k.wait(ctx) {
		return nil, ctx.Err()
	}
	return k, nil
}

// saslError is a failure on the client's side of the exchange: it matches
// ErrSASL and ErrAuthFailed, and unwraps to the mechanism's error.
type saslError struct{ err error }

func (e saslError) Error() string { return ErrSASL.Error() + ": " + e.err.Error() }
func (e saslError) Unwrap() error { return e.err }
func (e saslError) Is(target error) bool {
	return target == ErrSASL || target == ErrAuthFailed
}

// saslMaxDrops is how many SASL exchanges in a row the server may end by
// closing the connection after the client's response before the client
// takes it for a refusal.
const saslMaxDrops = 3

// finalExchange accepts whatever answers a mechanism's last token.
type finalExchange struct{}

func (finalExchange) Next(context.Context, []byte) ([]byte, bool, error) { return nil, true, nil }
