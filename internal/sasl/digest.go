package sasl

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ZooKeeper's server creates its DIGEST-MD5 server for the protocol
// "zookeeper" and the server name "zk-sasl-md5", whatever its host name: the
// digest-uri must name them, and that is also the default realm.
const (
	digestURI   = "zookeeper/zk-sasl-md5"
	maxChalSize = 2048 // RFC 2831 2.1.1: a challenge is at most 2048 bytes
	cnonceBytes = 16
)

// ErrMalformed marks a server token that does not parse, or breaks the
// protocol; the exchange cannot continue.
var ErrMalformed = errors.New("malformed SASL challenge")

// ErrNoChallenge is returned when the server answers the first token with
// nothing, as ZooKeeper does when it has no SASL login configured.
var ErrNoChallenge = errors.New("the server sent no DIGEST-MD5 challenge: it has no SASL configured (no JAAS Server section)")

// ErrServerNotAuthenticated is returned when the server's final token does
// not prove that it knows the password: it is not the server the client
// has credentials for.
var ErrServerNotAuthenticated = errors.New("the server's rspauth does not match: it does not know the password")

// Digest is one DIGEST-MD5 exchange, client side: Start, then Next with each
// server token until it reports done. It is not safe for concurrent use; make
// one per connection.
type Digest struct {
	user, password string
	rand           io.Reader // source of the client nonce
	uri            string    // digest-uri
	cnonce         string    // set by tests; else drawn from rand
	step           int
	rspauth        string // what the server's final token must carry
}

// NewDigest returns an exchange for user and password, drawing the client
// nonce from rand (crypto/rand.Reader in production).
func NewDigest(user, password string, rand io.Reader) *Digest {
	return &Digest{user: user, password: password, rand: rand, uri: digestURI}
}

// Start returns the initial token: DIGEST-MD5 has no initial response, so it
// is empty, and the server answers with its challenge.
func (d *Digest) Start() []byte { return []byte{} }

// Next answers the server's token. The first is the digest-challenge, to
// which it returns the digest-response; the second carries rspauth, which it
// checks, and then the exchange is done with nothing more to send.
func (d *Digest) Next(challenge []byte) (response []byte, done bool, err error) {
	d.step++
	switch d.step {
	case 1:
		if len(challenge) == 0 {
			return nil, false, ErrNoChallenge
		}
		resp, err := d.respond(challenge)
		return resp, false, err
	case 2:
		return nil, true, d.verify(challenge)
	}
	return nil, false, fmt.Errorf("%w: the server sent a token after the exchange ended", ErrMalformed)
}

// challenge is what a client needs of a digest-challenge.
type challenge struct {
	realm, nonce string
	utf8         bool
}

func parseChallenge(b []byte) (challenge, error) {
	var c challenge
	if len(b) > maxChalSize {
		return c, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(b), maxChalSize)
	}
	dirs, err := ParseDirectives(b)
	if err != nil {
		return c, err
	}
	seen := map[string]bool{}
	qopAuth := true // absent qop means "auth"
	algorithm := false
	for _, kv := range dirs {
		k, v := kv[0], kv[1]
		if k != "realm" && seen[k] {
			return c, fmt.Errorf("%w: directive %q repeated", ErrMalformed, k)
		}
		seen[k] = true
		switch k {
		case "realm":
			if c.realm == "" {
				c.realm = v // several realms: any will do; take the first
			}
		case "nonce":
			c.nonce = v
		case "charset":
			if !strings.EqualFold(v, "utf-8") {
				return c, fmt.Errorf("%w: charset %q", ErrMalformed, v)
			}
			c.utf8 = true
		case "algorithm":
			if !strings.EqualFold(v, "md5-sess") {
				return c, fmt.Errorf("%w: algorithm %q, want md5-sess", ErrMalformed, v)
			}
			algorithm = true
		case "qop":
			qopAuth = false
			for _, q := range strings.Split(v, ",") {
				if strings.EqualFold(strings.TrimSpace(q), "auth") {
					qopAuth = true
				}
			}
		}
	}
	switch {
	case c.nonce == "":
		return c, fmt.Errorf("%w: no nonce", ErrMalformed)
	case !algorithm:
		return c, fmt.Errorf("%w: no algorithm=md5-sess", ErrMalformed)
	case !qopAuth:
		// Integrity and confidentiality layers are not implemented: TLS
		// protects the connection instead.
		return c, fmt.Errorf("%w: the server does not offer qop=auth", ErrMalformed)
	}
	return c, nil
}

// respond computes the digest-response to a digest-challenge (RFC 2831
// 2.1.2), without authzid: the server then authorizes the user name.
func (d *Digest) respond(b []byte) ([]byte, error) {
	c, err := parseChallenge(b)
	if err != nil {
		return nil, err
	}
	user, realm, pass := d.user, c.realm, d.password
	if !c.utf8 {
		// Without charset=utf-8 the strings are ISO 8859-1 when they
		// can be (RFC 2831 2.1.2.1), as the Java server decodes them.
		user, realm, pass = latin1(user), latin1(realm), latin1(pass)
	}
	cnonce := d.cnonce
	if cnonce == "" {
		raw := make([]byte, cnonceBytes)
		if _, err := io.ReadFull(d.rand, raw); err != nil {
			return nil, fmt.Errorf("sasl: generating the client nonce: %w", err)
		}
		cnonce = hex.EncodeToString(raw)
	}
	const nc = "00000001"
	ha1 := h(string(md5sum(user+":"+realm+":"+pass)) + ":" + c.nonce + ":" + cnonce)
	kd := func(a2 string) string { return h(ha1 + ":" + c.nonce + ":" + nc + ":" + cnonce + ":auth:" + h(a2)) }
	d.rspauth = kd(":" + d.uri)

	var r strings.Builder
	if c.utf8 {
		r.WriteString("charset=utf-8,")
	}
	r.WriteString("username=" + quote(d.user))
	if c.realm != "" {
		r.WriteString(",realm=" + quote(c.realm))
	}
	r.WriteString(",nonce=" + quote(c.nonce) + ",nc=" + nc + ",cnonce=" + quote(cnonce))
	r.WriteString(",digest-uri=" + quote(d.uri) + ",maxbuf=65536,response=" + kd("AUTHENTICATE:"+d.uri) + ",qop=auth")
	return []byte(r.String()), nil
}

// verify checks the server's rspauth=... token.
func (d *Digest) verify(b []byte) error {
	if len(b) > maxChalSize {
		return fmt.Errorf("%w: final token of %d bytes", ErrMalformed, len(b))
	}
	dirs, err := ParseDirectives(b)
	if err != nil {
		return err
	}
	for _, kv := range dirs {
		if kv[0] == "rspauth" {
			if subtle.ConstantTimeCompare([]byte(kv[1]), []byte(d.rspauth)) != 1 {
				return ErrServerNotAuthenticated
			}
			return nil
		}
	}
	return fmt.Errorf("%w: no rspauth in the server's final token", ErrMalformed)
}

func md5sum(s string) []byte { m := md5.Sum([]byte(s)); return m[:] }
func h(s string) string      { return hex.EncodeToString(md5sum(s)) }

// latin1 returns s in ISO 8859-1 when every rune fits, else s unchanged.
func latin1(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return s
		}
		b = append(b, byte(r))
	}
	return string(b)
}

// quote returns s as a quoted-string: backslash before " and \.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
