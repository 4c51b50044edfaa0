package zktest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kazoo-go/kazoo/internal/sasl"
	"github.com/kazoo-go/kazoo/proto"
)

// expireSessionRaw ends session id on the server for real: it resumes the
// session on a second connection with the same id and password and closes
// it there, and waits for the server to have done so. When it returns nil
// the session and its ephemeral nodes are gone, and a client resuming it is
// told it expired.
//
// The connect request and the closeSession request go out in one write: the
// server handles them back to back, so the session's own client, which
// reconnects as soon as the server drops it for this connection, has no
// window in which to take the session back.
//
// A session that is already expired is not an error; nor, since the server
// answers both alike, is a wrong password.
func expireSessionRaw(ctx context.Context, addr string, id int64, passwd []byte) error {
	const attempts = 20
	for attempt := 1; ; attempt++ {
		done, err := closeSessionOnce(ctx, addr, id, passwd)
		switch {
		case done:
			return nil
		case err != nil:
			return fmt.Errorf("zktest: expiring session 0x%x: %w", id, err)
		case ctx.Err() != nil:
			return fmt.Errorf("zktest: expiring session 0x%x: %w", id, ctx.Err())
		case attempt == attempts:
			// Not done is not expired: say so rather than let the
			// caller wait for an expiry that will not come.
			return fmt.Errorf("zktest: expiring session 0x%x: its client took it back before the closeSession ran, %d times", id, attempts)
		}
		// The session's own client took the session back before our
		// closeSession ran (the server drops the older connection): again.
		time.Sleep(time.Duration(attempt) * 10 * time.Millisecond)
	}
}

// closeSessionOnce tries once; done reports that the session is gone. On a
// server that requires SASL it authenticates first as the harness's own
// user, so that the closeSession goes out with the last SASL token.
func closeSessionOnce(ctx context.Context, addr string, id int64, passwd []byte) (done bool, err error) {
	nc, auth, err := dialServer(ctx, addr)
	if err != nil {
		return false, err
	}
	defer nc.Close()
	deadline := time.Now().Add(10 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	req := proto.ConnectRequest{TimeoutMs: 10000, SessionID: id, Passwd: passwd}
	b := proto.AppendConnect(nil, &req)
	xid := int32(1)
	var digest *sasl.Digest
	if auth != nil && auth.saslUser != "" {
		digest = sasl.NewDigest(auth.saslUser, auth.saslPassword, rand.Reader)
		b = proto.AppendRequest(b, xid, proto.OpSASL, &proto.SASLRequest{Token: digest.Start()})
		xid++
	} else {
		b = proto.AppendRequest(b, xid, proto.OpCloseSession, nil)
	}
	if _, err := nc.Write(b); err != nil {
		return false, err
	}
	body, err := readFrame(nc)
	if err != nil {
		return false, eofIsRetry(err)
	}
	var resp proto.ConnectResponse
	resp.Decode(proto.NewDecoder(body))
	if resp.TimeoutMs <= 0 {
		return true, nil // already expired
	}
	for {
		body, err := readFrame(nc)
		if err != nil {
			return false, eofIsRetry(err)
		}
		d := proto.NewDecoder(body)
		var h proto.ReplyHeader
		h.Decode(d)
		switch {
		case h.Xid == xid && digest == nil:
			return true, nil
		case h.Xid == 1 && digest != nil:
			if h.Err != proto.CodeOK {
				return false, fmt.Errorf("the harness's SASL authentication: %v", h.Err)
			}
			var r proto.SASLResponse
			r.Decode(d)
			token, _, err := digest.Next(r.Token)
			if err != nil {
				return false, err
			}
			digest = nil
			b := proto.AppendRequest(nil, xid, proto.OpSASL, &proto.SASLRequest{Token: token})
			xid++
			if _, err := nc.Write(proto.AppendRequest(b, xid, proto.OpCloseSession, nil)); err != nil {
				return false, err
			}
		}
	}
}

// eofIsRetry turns the server dropping the connection (it does when the
// session's client reconnects) into a nil error: try again.
func eofIsRetry(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// readFrame reads one length-prefixed frame.
func readFrame(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(int32(uint32(hdr[0])<<24 | uint32(hdr[1])<<16 | uint32(hdr[2])<<8 | uint32(hdr[3])))
	if n < 0 || n > proto.MaxPacket {
		return nil, fmt.Errorf("frame length %d", n)
	}
	body := make([]byte, n)
	_, err := io.ReadFull(r, body)
	return body, err
}
