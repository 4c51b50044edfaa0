package sasl

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

// TestDigestRFC2831 replays the example exchange of RFC 2831 section 4.
func TestDigestRFC2831(t *testing.T) {
	d := NewDigest("chris", "secret", rand.Reader)
	d.uri, d.cnonce = "imap/elwood.innosoft.com", "OA6MHXh6VqTrRk"
	if tok := d.Start(); len(tok) != 0 {
		t.Fatalf("initial token %q, want empty", tok)
	}
	chal := `realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8`
	resp, done, err := d.Next([]byte(chal))
	if err != nil || done {
		t.Fatalf("Next(challenge) = %q, %v, %v", resp, done, err)
	}
	dirs, err := ParseDirectives(resp)
	if err != nil {
		t.Fatalf("our own response does not parse: %v", err)
	}
	got := map[string]string{}
	for _, kv := range dirs {
		got[kv[0]] = kv[1]
	}
	want := map[string]string{
		"charset": "utf-8", "username": "chris", "realm": "elwood.innosoft.com", "nonce": "OA6MG9tEQGm2hh",
		"nc": "00000001", "cnonce": "OA6MHXh6VqTrRk", "digest-uri": "imap/elwood.innosoft.com",
		"response": "d388dad90d4bbd760a152321f2143af7", "qop": "auth", "maxbuf": "65536",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (response %s)", k, got[k], v, resp)
		}
	}
	if _, done, err := d.Next([]byte("rspauth=ea40f60335c427b5527b84dbabcdfffd")); err != nil || !done {
		t.Fatalf("Next(rspauth) = %v, %v; want done", done, err)
	}
}

// TestDigestZooKeeperChallenge answers a challenge as ZooKeeper's server
// sends it: the response names the digest-uri the server checks.
func TestDigestZooKeeperChallenge(t *testing.T) {
	d := NewDigest(`we"ird\user`, "pw", rand.Reader)
	d.Start()
	resp, _, err := d.Next([]byte(`realm="zk-sasl-md5",nonce="n0nce",charset=utf-8,algorithm=md5-sess`))
	if err != nil {
		t.Fatal(err)
	}
	s := string(resp)
	for _, part := range []string{`digest-uri="zookeeper/zk-sasl-md5"`, `username="we\"ird\\user"`, `realm="zk-sasl-md5"`, "qop=auth"} {
		if !strings.Contains(s, part) {
			t.Errorf("response %s lacks %s", s, part)
		}
	}
	if strings.Contains(s, "pw") {
		t.Errorf("response %s carries the password", s)
	}
}

func TestDigestRejects(t *testing.T) {
	for _, tc := range []struct{ name, chal string }{
		{"no nonce", `realm="r",algorithm=md5-sess`},
		{"no algorithm", `nonce="n"`},
		{"md5 not sess", `nonce="n",algorithm=md5`},
		{"only integrity", `nonce="n",algorithm=md5-sess,qop="auth-int,auth-conf"`},
		{"other charset", `nonce="n",algorithm=md5-sess,charset=latin1`},
		{"repeated nonce", `nonce="n",nonce="m",algorithm=md5-sess`},
		{"unterminated", `nonce="n,algorithm=md5-sess`},
		{"no value", `nonce,algorithm=md5-sess`},
		{"garbage", "\x00\x01\x02"},
		{"too long", `nonce="` + strings.Repeat("x", 3000) + `",algorithm=md5-sess`},
	} {
		d := NewDigest("u", "p", rand.Reader)
		if _, _, err := d.Next([]byte(tc.chal)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", tc.name, err)
		}
	}
}

func TestDigestNoChallenge(t *testing.T) {
	d := NewDigest("u", "p", rand.Reader)
	if _, _, err := d.Next(nil); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("err = %v, want ErrNoChallenge", err)
	}
}

func TestDigestWrongRspauth(t *testing.T) {
	d := NewDigest("u", "p", rand.Reader)
	if _, _, err := d.Next([]byte(`nonce="n",algorithm=md5-sess`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Next([]byte("rspauth=00000000000000000000000000000000")); !errors.Is(err, ErrServerNotAuthenticated) {
		t.Fatalf("err = %v, want ErrServerNotAuthenticated", err)
	}
	if _, _, err := d.Next([]byte("rspauth=x")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a third token: err = %v, want ErrMalformed", err)
	}
}

func TestParseDirectives(t *testing.T) {
	got, err := ParseDirectives([]byte(` , Realm = "a\"b" ,, qop="auth,auth-int" ,x=y,`))
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"realm", `a"b`}, {"qop", "auth,auth-int"}, {"x", "y"}}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if _, err := ParseDirectives([]byte(`a="b" c=d`)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("missing comma: err = %v", err)
	}
}

// FuzzDigest feeds arbitrary server tokens to both steps: an error or an
// answer, never a panic, and never the password in either.
func FuzzDigest(f *testing.F) {
	f.Add([]byte(`realm="zk-sasl-md5",nonce="abc",charset=utf-8,algorithm=md5-sess`), []byte("rspauth=0123"))
	f.Add([]byte(`nonce="a\"b",qop="auth",algorithm=md5-sess`), []byte(`rspauth="x"`))
	f.Add([]byte(`,,`), []byte(``))
	f.Fuzz(func(t *testing.T, chal, final []byte) {
		const secret = "s3cr3t-pw"
		d := NewDigest("user", secret, rand.Reader)
		resp, _, err := d.Next(chal)
		if err != nil {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error carries the password: %v", err)
			}
			return
		}
		if strings.Contains(string(resp), secret) {
			t.Fatalf("response carries the password: %s", resp)
		}
		if _, err := ParseDirectives(resp); err != nil {
			t.Fatalf("our response %q does not parse: %v", resp, err)
		}
		if _, _, err := d.Next(final); err != nil && strings.Contains(err.Error(), secret) {
			t.Fatalf("error carries the password: %v", err)
		}
	})
}

func FuzzParseDirectives(f *testing.F) {
	f.Add([]byte(`a=b,c="d\"e"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dirs, err := ParseDirectives(b)
		if err != nil {
			return
		}
		// Re-encoding what was parsed parses to the same.
		var s strings.Builder
		for _, kv := range dirs {
			s.WriteString(kv[0] + "=" + quote(kv[1]) + ",")
		}
		again, err := ParseDirectives([]byte(s.String()))
		if err != nil || len(again) != len(dirs) {
			t.Fatalf("re-encoded %q: %v, %d directives, want %d", s.String(), err, len(again), len(dirs))
		}
		for i := range dirs {
			if again[i] != dirs[i] {
				t.Fatalf("re-encoded %q: %q, want %q", s.String(), again[i], dirs[i])
			}
		}
	})
}
