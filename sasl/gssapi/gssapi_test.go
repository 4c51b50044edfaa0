package gssapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"go.uber.org/goleak"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/sasl/gssapi"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(zktest.Main(m)) }

// kerberized starts a KDC and a ZooKeeper server that authenticates with
// it, and returns them with the server's address as "localhost:port" (the
// host of its principal).
func kerberized(t *testing.T) (*zktest.KDC, *zktest.Server, string) {
	t.Helper()
	kdc := zktest.StartKDC(t)
	srv := zktest.StartServer(t, zktest.WithKerberos(kdc))
	return kdc, srv, "localhost:" + strconv.Itoa(srv.Port())
}

func keytabMech(t *testing.T, kdc *zktest.KDC, principal string, opts ...gssapi.Option) *gssapi.Mechanism {
	t.Helper()
	keytab, err := kdc.Keytab(principal)
	if err != nil {
		t.Fatal(err)
	}
	mech, err := gssapi.New(append([]gssapi.Option{gssapi.WithKeytab(keytab, principal), gssapi.WithKrb5Conf(kdc.Krb5Conf())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mech.Close() })
	return mech
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// connectFails checks that Connect fails with ErrAuthFailed, well before
// its deadline, saying why.
func connectFails(t *testing.T, addr string, why string, opts ...kazoo.Option) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testCtx(t), 20*time.Second)
	defer cancel()
	c, err := kazoo.Connect(ctx, addr, opts...)
	if err == nil {
		c.Close()
		t.Fatal("connected")
	}
	t.Logf("%s: %v", why, err)
	if !errors.Is(err, kazoo.ErrAuthFailed) || ctx.Err() != nil || !strings.Contains(err.Error(), why) {
		t.Fatalf("Connect = %v; want ErrAuthFailed at once, saying %q", err, why)
	}
}

// TestKeytab logs in from a keytab and checks the identity in WhoAmI and
// ACLs, then that it is replayed after a reconnect and in a new session.
func TestKeytab(t *testing.T) {
	kdc, srv, addr := kerberized(t)
	ctx := testCtx(t)
	mech := keytabMech(t, kdc, "client")
	proxy := zktest.NewProxy(t, srv.Addr())
	viaProxy := strings.Replace(proxy.Addr(), "127.0.0.1", "localhost", 1)
	c := zktest.Connect(t, viaProxy, kazoo.WithSASL(mech))
	id := "client@" + kdc.Realm()
	if !srv.Version().Less(proto.Version{Major: 3, Minor: 7}) {
		who, err := c.WhoAmI(ctx)
		if err != nil || !slices.ContainsFunc(who, func(ci kazoo.ClientInfo) bool { return ci.AuthScheme == "sasl" && ci.User == id }) {
			t.Fatalf("WhoAmI = %v, %v; want sasl:%s", who, err, id)
		}
	}
	if _, _, err := c.Create(ctx, "/kerberos", []byte("x"), kazoo.WithACL(kazoo.SASLACL(kazoo.PermAll, id))); err != nil {
		t.Fatal(err)
	}
	readable := func(c *kazoo.Client) error { _, _, err := c.Get(ctx, "/kerberos"); return err }
	if err := readable(c); err != nil {
		t.Fatal(err)
	}
	if err := readable(zktest.Connect(t, addr)); !errors.Is(err, kazoo.ErrNoAuth) {
		t.Fatalf("without SASL: %v, want ErrNoAuth", err)
	}
	if err := readable(zktest.Connect(t, addr, kazoo.WithSASL(keytabMech(t, kdc, "other")))); !errors.Is(err, kazoo.ErrNoAuth) {
		t.Fatalf("as other: %v, want ErrNoAuth", err)
	}

	sub := c.SubscribeStates()
	defer sub.Stop()
	session := c.SessionID()
	proxy.ResetAll()
	waitState(t, sub, kazoo.Suspended)
	waitState(t, sub, kazoo.Connected)
	if c.SessionID() != session {
		t.Fatal("the session changed on reconnect")
	}
	if err := readable(c); err != nil {
		t.Fatalf("after reconnect: %v", err)
	}
	if err := zktest.ExpireSession(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := readable(c); err != nil {
		t.Fatalf("in a new session: %v", err)
	}
}

func waitState(t *testing.T, sub *kazoo.StateSubscription, want kazoo.State) {
	t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	for {
		select {
		case s := <-sub.C():
			if s == want {
				return
			}
		case <-timer.C:
			t.Fatalf("no %v within 10s", want)
		}
	}
}

// TestKeytabRenewal: a keytab client whose tickets last seconds keeps
// authenticating new connections after they expired.
func TestKeytabRenewal(t *testing.T) {
	kdc, srv, _ := kerberized(t)
	mech := keytabMech(t, kdc, "client")
	if err := kdc.SetMaxLife("client", 4*time.Second); err != nil {
		t.Fatal(err)
	}
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, strings.Replace(proxy.Addr(), "127.0.0.1", "localhost", 1), kazoo.WithSASL(mech))
	expires := time.Now().Add(4 * time.Second)
	sub := c.SubscribeStates()
	defer sub.Stop()
	for range 2 { // once after the first tickets expired, once after their successors did
		time.Sleep(time.Until(expires.Add(time.Second))) // the tickets' end is known: wait for it
		expires = time.Now().Add(4 * time.Second)
		proxy.ResetAll()
		waitState(t, sub, kazoo.Suspended)
		waitState(t, sub, kazoo.Connected)
		if err := c.Sync(testCtx(t), "/"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCredentialCache uses kinit's tickets: a renewable ticket is renewed
// once expired, one that is not fails clearly, and so does a missing cache.
func TestCredentialCache(t *testing.T) {
	kdc, _, addr := kerberized(t)
	mech := func(renewable time.Duration) *gssapi.Mechanism {
		ccache := filepath.Join(t.TempDir(), "ccache")
		if err := kdc.Kinit("client", ccache, 5*time.Second, renewable); err != nil {
			t.Fatal(err)
		}
		m, err := gssapi.New(gssapi.WithCredentialCache(ccache), gssapi.WithKrb5Conf(kdc.Krb5Conf()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	expires := time.Now().Add(5 * time.Second)
	renewable, once := mech(10*time.Minute), mech(0)
	zktest.Connect(t, addr, kazoo.WithSASL(renewable)).Close()
	zktest.Connect(t, addr, kazoo.WithSASL(once)).Close()

	// The tickets' end is known: wait for it.
	time.Sleep(time.Until(expires.Add(time.Second)))
	zktest.Connect(t, addr, kazoo.WithSASL(renewable)).Close()
	connectFails(t, addr, "expired", kazoo.WithSASL(once))

	if _, err := gssapi.New(gssapi.WithCredentialCache(filepath.Join(t.TempDir(), "none")), gssapi.WithKrb5Conf(kdc.Krb5Conf())); err == nil || !strings.Contains(err.Error(), "run kinit") {
		t.Fatalf("New without a credential cache: %v", err)
	}
}

// TestKerberosRefused: an unknown service principal, a keytab for another
// principal: ErrAuthFailed at once, saying why.
func TestKerberosRefused(t *testing.T) {
	kdc, _, addr := kerberized(t)
	connectFails(t, addr, "nosuch/localhost", kazoo.WithSASL(keytabMech(t, kdc, "client", gssapi.WithServiceName("nosuch"))))

	keytab, err := kdc.Keytab("client")
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := gssapi.New(gssapi.WithKeytab(keytab, "other"), gssapi.WithKrb5Conf(kdc.Krb5Conf()))
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	connectFails(t, addr, "keytab", kazoo.WithSASL(wrong))

}

// TestKDCDown: an unreachable KDC is not a refusal: the client keeps
// trying, saying why, and authenticates once the KDC is back.
func TestKDCDown(t *testing.T) {
	kdc, _, addr := kerberized(t)
	mech := keytabMech(t, kdc, "client")
	kdc.Stop()
	ctx, cancel := context.WithTimeout(testCtx(t), 2*time.Second)
	defer cancel()
	c, err := kazoo.Connect(ctx, addr, kazoo.WithSASL(mech))
	if err == nil {
		c.Close()
		t.Fatal("connected without a KDC")
	}
	if errors.Is(err, kazoo.ErrAuthFailed) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "KDC") {
		t.Fatalf("Connect = %v; want it to keep trying until its deadline, naming the KDC", err)
	}
	if err := kdc.Start(); err != nil {
		t.Fatal(err)
	}
	zktest.Connect(t, addr, kazoo.WithSASL(mech))
}

// TestSecretsStayOut authenticates from a keytab and from a credential
// cache, and fails, with a debug logger, then searches everything written
// (logs, errors) for the keytab's keys and the cached tickets and keys.
func TestSecretsStayOut(t *testing.T) {
	kdc, _, addr := kerberized(t)
	var out bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return out.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))

	zktest.Connect(t, addr, kazoo.WithSASL(keytabMech(t, kdc, "client")), kazoo.WithLogger(log)).Close()
	ccache := filepath.Join(t.TempDir(), "ccache")
	if err := kdc.Kinit("client", ccache, time.Minute, 0); err != nil {
		t.Fatal(err)
	}
	cc, err := gssapi.New(gssapi.WithCredentialCache(ccache), gssapi.WithKrb5Conf(kdc.Krb5Conf()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	zktest.Connect(t, addr, kazoo.WithSASL(cc), kazoo.WithLogger(log)).Close()
	ctx, cancel := context.WithTimeout(testCtx(t), 10*time.Second)
	defer cancel()
	_, err = kazoo.Connect(ctx, addr, kazoo.WithSASL(keytabMech(t, kdc, "client", gssapi.WithServiceName("nosuch"))), kazoo.WithLogger(log))
	mu.Lock()
	fmt.Fprintf(&out, "%v\n%+v\n%#v\n", err, err, err)
	written := bytes.Clone(out.Bytes())
	mu.Unlock()

	var secrets [][]byte
	path, _ := kdc.Keytab("client")
	kt, err := keytab.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range kt.Entries {
		secrets = append(secrets, e.Key.KeyValue)
	}
	cache, err := credentials.LoadCCache(ccache)
	if err != nil {
		t.Fatal(err)
	}
	for _, cred := range cache.GetEntries() {
		secrets = append(secrets, cred.Key.KeyValue, cred.Ticket)
	}
	if len(secrets) < 3 || !bytes.Contains(written, []byte("SASL")) {
		t.Fatalf("nothing to search for (%d secrets) or in (%q)", len(secrets), written)
	}
	for _, s := range secrets {
		for _, f := range [][]byte{s, []byte(hex.EncodeToString(s)), []byte(base64.StdEncoding.EncodeToString(s))} {
			if len(s) > 0 && bytes.Contains(written, f) {
				t.Errorf("a secret (%d bytes) appears in what was written:\n%s", len(s), written)
			}
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
