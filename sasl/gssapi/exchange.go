package gssapi

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/crypto"
	krbgssapi "github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Wrap token flags (RFC 4121 4.2.2).
const (
	flagSealed         = 0x02
	flagAcceptorSubkey = 0x04
)

// noSecurityLayer is RFC 4752's bit for "no security layer".
const noSecurityLayer = 0x01

// exchange is one GSSAPI exchange: AP-REQ sent, then step 1 checks the
// AP-REP and step 2 answers the security layer offer.
type exchange struct {
	key    types.EncryptionKey // the session key, or the acceptor's subkey
	subkey bool
	ctime  time.Time // the authenticator's time, echoed by the AP-REP
	cusec  int
	step   int
}

// newExchange builds the initial token: an AP-REQ for tkt, asking for
// mutual authentication, integrity and confidentiality (as Java's client
// does; the security layer is chosen at the end), in the GSS-API framing.
func newExchange(cl *client.Client, tkt messages.Ticket, key types.EncryptionKey) (*exchange, []byte, error) {
	auth, err := types.NewAuthenticator(cl.Credentials.Domain(), cl.Credentials.CName())
	if err != nil {
		return nil, nil, fmt.Errorf("gssapi: authenticator: %w", err)
	}
	auth.Cksum = types.Checksum{
		CksumType: chksumtype.GSSAPI,
		Checksum:  gssChecksum(krbgssapi.ContextFlagMutual | krbgssapi.ContextFlagInteg | krbgssapi.ContextFlagConf),
	}
	apreq, err := messages.NewAPReq(tkt, key, auth)
	if err != nil {
		return nil, nil, fmt.Errorf("gssapi: AP-REQ: %w", err)
	}
	types.SetFlag(&apreq.APOptions, flags.APOptionMutualRequired)
	// NewKRB5TokenAPREQ gives the token its framing; the AP-REQ is ours,
	// whose authenticator time the AP-REP must echo.
	tok, err := spnego.NewKRB5TokenAPREQ(cl, tkt, key, nil, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("gssapi: AP-REQ: %w", err)
	}
	tok.APReq = apreq
	b, err := tok.Marshal()
	if err != nil {
		return nil, nil, fmt.Errorf("gssapi: AP-REQ: %w", err)
	}
	// The AP-REP echoes the time to the second, and the microseconds.
	return &exchange{key: key, ctime: auth.CTime.Truncate(time.Second), cusec: auth.Cusec}, b, nil
}

// gssChecksum is the authenticator checksum of RFC 4121 4.1.1: no channel
// bindings, and the context flags.
func gssChecksum(flags uint32) []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:4], 16) // length of the (empty) channel binding hash
	binary.LittleEndian.PutUint32(b[20:24], flags)
	return b
}

// Next takes the server's AP-REP, then its security layer offer.
func (e *exchange) Next(_ context.Context, challenge []byte) ([]byte, bool, error) {
	e.step++
	switch e.step {
	case 1:
		return []byte{}, false, e.checkAPRep(challenge)
	case 2:
		resp, err := e.answerOffer(challenge)
		return resp, true, err
	}
	return nil, false, fmt.Errorf("%w: a token after the exchange ended", ErrMalformed)
}

// checkAPRep verifies the server's AP-REP: decrypting it with the session
// key and finding the authenticator's time proves the server holds its
// principal's key.
func (e *exchange) checkAPRep(b []byte) error {
	var tok spnego.KRB5Token
	if err := tok.Unmarshal(b); err != nil {
		return fmt.Errorf("%w: AP-REP: %v", ErrMalformed, err)
	}
	switch {
	case tok.IsKRBError():
		return fmt.Errorf("gssapi: the server refused the ticket: %s", tok.KRBError.Error())
	case !tok.IsAPRep():
		return fmt.Errorf("%w: expected an AP-REP", ErrMalformed)
	}
	plain, err := crypto.DecryptEncPart(tok.APRep.EncPart, e.key, keyusage.AP_REP_ENCPART)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrServerNotAuthenticated, err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return fmt.Errorf("%w: AP-REP: %v", ErrMalformed, err)
	}
	if !part.CTime.Truncate(time.Second).Equal(e.ctime) || part.Cusec != e.cusec {
		return fmt.Errorf("%w: the AP-REP does not echo the authenticator", ErrServerNotAuthenticated)
	}
	if len(part.Subkey.KeyValue) > 0 {
		e.key, e.subkey = part.Subkey, true
	}
	return nil
}

// answerOffer checks the server's wrapped security layer offer (RFC 4752
// 3.1) and chooses no security layer.
func (e *exchange) answerOffer(b []byte) ([]byte, error) {
	var wt krbgssapi.WrapToken
	if err := wt.Unmarshal(b, true); err != nil {
		return nil, fmt.Errorf("%w: security layer offer: %v", ErrMalformed, err)
	}
	if wt.Flags&flagSealed != 0 {
		return nil, fmt.Errorf("%w: the security layer offer is encrypted", ErrMalformed)
	}
	if ok, err := wt.Verify(e.key, keyusage.GSSAPI_ACCEPTOR_SEAL); !ok || err != nil {
		return nil, fmt.Errorf("%w: the security layer offer's checksum does not verify: %v", ErrServerNotAuthenticated, err)
	}
	if len(wt.Payload) != 4 {
		return nil, fmt.Errorf("%w: security layer offer of %d bytes, want 4", ErrMalformed, len(wt.Payload))
	}
	if wt.Payload[0]&noSecurityLayer == 0 {
		return nil, fmt.Errorf("gssapi: the server requires a SASL security layer (integrity or confidentiality), which is not implemented: use TLS")
	}
	resp, err := krbgssapi.NewInitiatorWrapToken([]byte{noSecurityLayer, 0, 0, 0}, e.key)
	if err != nil {
		return nil, fmt.Errorf("gssapi: wrapping the answer: %w", err)
	}
	if e.subkey {
		resp.Flags |= flagAcceptorSubkey
		resp.CheckSum = nil // computed over the flags: again
		if err := resp.SetCheckSum(e.key, keyusage.GSSAPI_INITIATOR_SEAL); err != nil {
			return nil, fmt.Errorf("gssapi: wrapping the answer: %w", err)
		}
	}
	out, err := resp.Marshal()
	if err != nil {
		return nil, fmt.Errorf("gssapi: wrapping the answer: %w", err)
	}
	return out, nil
}
