package kazoo_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// forms returns the ways a secret could be written: raw, hex, base64.
func forms(secret []byte) [][]byte {
	return [][]byte{secret, []byte(hex.EncodeToString(secret)), []byte(base64.StdEncoding.EncodeToString(secret))}
}

// TestSecretsStayOut runs DIGEST-MD5 and TLS with client certificates,
// succeeding, reconnecting and failing, with a debug logger, and searches
// everything written (logs, errors) for the password, what it hashes to, and
// the client's private key.
func TestSecretsStayOut(t *testing.T) {
	const user, password = "alice", "p4ss-Word-never-logged"
	var out syncBuffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := testCtx(t)

	srv := zktest.StartServer(t, zktest.WithSASLUser(user, password))
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, proxy.Addr(), kazoo.WithSASLDigest(user, password), kazoo.WithLogger(log))
	if _, _, err := c.Create(ctx, "/s", []byte("x"), kazoo.WithACL(kazoo.SASLACL(kazoo.PermAll, user))); err != nil {
		t.Fatal(err)
	}
	reconnect(t, c, proxy)
	c.Close()
	short, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := kazoo.Connect(short, srv.Addr(), kazoo.WithSASLDigest(user, password+"x"), kazoo.WithLogger(log))
	fmt.Fprintf(&out, "%v\n%+v\n%#v\n", err, err, err)

	secrets := [][]byte{[]byte(password), []byte(password + "x")}
	for _, realm := range []string{"zk-sasl-md5", ""} { // HA1 is as good as the password
		h := md5.Sum([]byte(user + ":" + realm + ":" + password))
		secrets = append(secrets, h[:])
	}

	inst, err := zktest.FindInstallation()
	if err == nil {
		err = inst.TLSSupport()
	}
	if err != nil {
		t.Logf("no TLS part: %v", err)
	} else {
		ca := zktest.NewCA(t)
		tlsSrv := zktest.StartServer(t, zktest.WithTLSOnly(ca))
		cfg := ca.ClientConfig(t, "alice")
		key, err := x509.MarshalPKCS8PrivateKey(cfg.Certificates[0].PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}))
		tc := zktest.Connect(t, tlsSrv.Addr(), kazoo.WithTLS(cfg), kazoo.WithLogger(log))
		tc.Close()
		short, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err = kazoo.Connect(short, tlsSrv.Addr(), kazoo.WithTLS(zktest.NewCA(t).ClientConfig(t, "x")), kazoo.WithLogger(log))
		fmt.Fprintf(&out, "%v\n%+v\n", err, err)
	}

	written := []byte(out.String())
	if !bytes.Contains(written, []byte("SASL")) || !bytes.Contains(written, []byte("level=DEBUG")) {
		t.Fatalf("the debug log does not show the exchange; the search would prove nothing:\n%s", written)
	}
	for _, s := range secrets {
		for _, f := range forms(s) {
			if bytes.Contains(written, f) {
				t.Errorf("a secret (%d bytes) appears in what was written", len(s))
			}
		}
	}
	if t.Failed() {
		t.Logf("written:\n%s", written)
	}
}
