package kazoo_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
)

// fakeSASLServer accepts connections, answers the handshake, and answers
// each SASL request with the next of tokens: what no real server sends
// (malformed challenges, a forged rspauth). It returns its address.
func fakeSASLServer(t *testing.T, tokens ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			serveFakeSASL(nc, tokens)
		}
	}()
	return ln.Addr().String()
}

func serveFakeSASL(nc net.Conn, tokens []string) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := readTestFrame(nc); err != nil {
		return
	}
	resp := proto.ConnectResponse{TimeoutMs: 10000, SessionID: 1, Passwd: make([]byte, 16)}
	if _, err := nc.Write(proto.AppendFrame(nil, &resp)); err != nil {
		return
	}
	for _, tok := range tokens {
		body, err := readTestFrame(nc)
		if err != nil {
			return
		}
		var h proto.RequestHeader
		h.Decode(proto.NewDecoder(body))
		reply := proto.SASLResponse{Token: []byte(tok)}
		if _, err := nc.Write(proto.AppendReply(nil, proto.ReplyHeader{Xid: h.Xid}, &reply)); err != nil {
			return
		}
	}
	io.Copy(io.Discard, nc) // until the client hangs up
}

func readTestFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(n[:]))
	_, err := io.ReadFull(r, b)
	return b, err
}

// TestSASLDigestBadServer: a malformed challenge, and a server that does
// not know the password (its rspauth is wrong): the client fails at once
// with ErrSASL, saying which.
func TestSASLDigestBadServer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tokens []string
		why    string
	}{
		{"malformed challenge", []string{`nonce="unterminated`}, "malformed SASL challenge"},
		{"no algorithm", []string{`nonce="n"`}, "malformed SASL challenge"},
		{"forged rspauth", []string{`realm="zk-sasl-md5",nonce="n",charset=utf-8,algorithm=md5-sess`, "rspauth=0123456789abcdef0123456789abcdef"}, "does not know the password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(testCtx(t), 10*time.Second)
			defer cancel()
			c, err := kazoo.Connect(ctx, fakeSASLServer(t, tc.tokens...), kazoo.WithSASLDigest("alice", "secret"))
			if err == nil {
				c.Close()
				t.Fatal("connected")
			}
			if !errors.Is(err, kazoo.ErrSASL) || !errors.Is(err, kazoo.ErrAuthFailed) || ctx.Err() != nil || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("Connect = %v; want ErrSASL at once, saying %q", err, tc.why)
			}
		})
	}
}
