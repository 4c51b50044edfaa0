package hostlist

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in     string
		addrs  []string
		chroot string
	}{
		{"h1:2181,h2,[::1]:2182/chroot", []string{"h1:2181", "h2:2181", "[::1]:2182"}, "/chroot"},
		{"127.0.0.1", []string{"127.0.0.1:2181"}, ""},
		{" a:1 , b:2 /x/y/", []string{"a:1", "b:2"}, "/x/y"},
		{"[fe80::1]", []string{"[fe80::1]:2181"}, ""},
		{"::1", []string{"[::1]:2181"}, ""},
		{"h/", []string{"h:2181"}, ""},
	}
	for _, tc := range cases {
		addrs, chroot, err := Parse(tc.in)
		if err != nil || !slices.Equal(addrs, tc.addrs) || chroot != tc.chroot {
			t.Errorf("Parse(%q) = %v, %q, %v; want %v, %q", tc.in, addrs, chroot, err, tc.addrs, tc.chroot)
		}
	}
	for _, bad := range []string{"", ",", "h:0", "h:70000", "h:x", "[::1", ":2181", "[::1]x"} {
		if _, _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

type fakeResolver map[string][]string

func (f fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if ips, ok := f[host]; ok {
		return ips, nil
	}
	return nil, errors.New("no such host")
}

func TestListResolvesEachTime(t *testing.T) {
	r := fakeResolver{"zk": {"10.0.0.1", "10.0.0.2"}}
	l := New([]string{"zk:2181", "127.0.0.1:2182", "gone:1"}, r)
	ctx := context.Background()
	seen := map[string]bool{}
	for i := 0; i < 4; i++ { // two passes (the unresolvable name is skipped)
		srv, newPass, err := l.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && !newPass {
			t.Error("first Next: newPass false")
		}
		if srv.Addr != "127.0.0.1:2182" && srv.Host != "zk" {
			t.Errorf("%s: host %q, want the configured name", srv.Addr, srv.Host)
		}
		seen[srv.Addr] = true
	}
	for _, want := range []string{"10.0.0.1:2181", "10.0.0.2:2181", "127.0.0.1:2182"} {
		if !seen[want] {
			t.Errorf("two passes missed %s: %v", want, seen)
		}
	}
	// The next use of the name sees the new DNS answer.
	r["zk"] = []string{"10.0.0.9"}
	addrs := map[string]bool{}
	for i := 0; i < 2; i++ {
		srv, _, _ := l.Next(ctx)
		addrs[srv.Addr] = true
	}
	if !addrs["10.0.0.9:2181"] {
		t.Errorf("the name was not resolved again: %v", addrs)
	}
	// Nothing resolves: an error.
	if _, _, err := New([]string{"gone:1"}, r).Next(ctx); err == nil {
		t.Error("Next with nothing resolvable succeeded")
	}
}

func TestHostNamesResolvedAddress(t *testing.T) {
	l := New([]string{"zk.example:2181", "10.0.0.9:2182"}, fakeResolver{"zk.example": {"10.0.0.1"}})
	seen := map[string]string{}
	for range 2 {
		srv, _, err := l.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		seen[srv.Addr] = srv.Host
	}
	if seen["10.0.0.1:2181"] != "zk.example" || seen["10.0.0.9:2182"] != "10.0.0.9" {
		t.Fatalf("hosts by address: %v", seen)
	}
}
