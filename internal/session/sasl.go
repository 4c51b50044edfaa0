package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/kazoo-go/kazoo/internal/conn"
	"github.com/kazoo-go/kazoo/proto"
)

// SASLMechanism is a SASL client mechanism (kazoo.SASLMechanism, which
// documents it).
type SASLMechanism interface {
	Name() string
	Start(ctx context.Context, host string) (SASLExchange, []byte, error)
}

// SASLExchange is one SASL exchange, on one connection
// (kazoo.SASLExchange).
type SASLExchange interface {
	Next(ctx context.Context, challenge []byte) (response []byte, done bool, err error)
}

// saslAuthenticate runs the configured SASL exchange on cn, a connection
// that has just completed its handshake and carries no other request yet;
// host is the server's name as the connection string gave it.
// The session loop calls it from dial, so that a connection becomes live
// only once authenticated. An error matching ErrAuthFailed is terminal;
// others (the connection dropped) are not.
func (c *Session) saslAuthenticate(ctx context.Context, cn *conn.Conn, host string) error {
	mech := c.cfg.SASL
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
		case k.Err != nil && answered:
			// Servers before 3.5 close the connection instead of
			// answering AuthFailed; a dropped connection must not end
			// the client, a server that keeps refusing must.
			if c.saslDrops++; c.saslDrops >= saslMaxDrops {
				return fail(fmt.Errorf("the server closed the connection after the client's SASL response %d times in a row (servers before 3.5 answer wrong credentials so): %w", c.saslDrops, ErrAuthFailed))
			}
			return fail(k.Err)
		case k.Err != nil:
			return fail(k.Err) // connection loss: try again
		case k.Code == proto.CodeAuthFailed:
			return fail(fmt.Errorf("the server rejected the credentials: %w", ErrAuthFailed))
		case k.Code == proto.CodeSessionClosedRequireSASL:
			return fail(fmt.Errorf("the server requires SASL authentication and refused this one: %w (%w)", ErrAuthFailed, ErrSessionClosedRequireSASL))
		case k.Code != proto.CodeOK:
			return fail(fmt.Errorf("%w: the server answered %v", ErrAuthFailed, k.Code))
		}
		var done bool
		answered = true
		token, done, err = ex.Next(ctx, k.RData)
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
func (c *Session) saslRound(ctx context.Context, cn *conn.Conn, token []byte) (*Call, error) {
	k := c.NewAsyncCall(proto.OpSASL, "")
	k.Body = &proto.SASLRequest{Token: token}
	if err := c.sendOn(cn, k, true); err != nil {
		return nil, err
	}
	if !k.Wait(ctx) {
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
