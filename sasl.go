package kazoo

import (
	"context"
	"crypto/rand"

	"github.com/kazoo-go/kazoo/internal/sasl"
	"github.com/kazoo-go/kazoo/internal/session"
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
var ErrSASL = session.ErrSASL

// ErrSASLTemporary is what a SASLMechanism's error wraps when the failure
// may pass (its Kerberos KDC is unreachable): the client then tries again
// with the next connection instead of closing.
var ErrSASLTemporary = session.ErrSASLTemporary

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

// saslMechanism gives the engine a SASLMechanism: the engine declares the
// same interfaces, and a SASLExchange is one of its exchanges as it is.
type saslMechanism struct{ m SASLMechanism }

func (a saslMechanism) Name() string { return a.m.Name() }

func (a saslMechanism) Start(ctx context.Context, host string) (session.SASLExchange, []byte, error) {
	ex, token, err := a.m.Start(ctx, host)
	return ex, token, err
}
