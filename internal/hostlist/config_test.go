package hostlist

import (
	"slices"
	"testing"
)

func TestParseConfig(t *testing.T) {
	cfg := "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n" +
		"server.2=zk2.example:2889:3889:participant;2182\n" +
		"server.3=[::1]:2890:3890:observer;[::1]:2183\n" +
		"server.4=10.0.0.4:2891:3891:participant\n" + // serves no clients
		"server.5=10.0.0.5:2892:3892;10.0.1.5:2185\n" +
		"version=10000000a\n"
	addrs, version, err := ParseConfig([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1:2181", "zk2.example:2182", "[::1]:2183", "10.0.1.5:2185"}
	if !slices.Equal(addrs, want) || version != 0x10000000a {
		t.Fatalf("got %v version %x, want %v version 10000000a", addrs, version, want)
	}
}

func TestParseConfigRefusesGarbage(t *testing.T) {
	for _, cfg := range []string{
		"",
		"hello",
		"server.1=127.0.0.1:2888:3888:participant;0.0.0.0:99999",
		"server.1=127.0.0.1:2888:3888:participant;notaport",
		"version=xyz\nserver.1=a:1:2;2181",
		"server.1=127.0.0.1:2888:3888", // nobody serves clients
		"server.1=:2888:3888;2181",
	} {
		if addrs, _, err := ParseConfig([]byte(cfg)); err == nil {
			t.Errorf("%q: parsed as %v, want an error", cfg, addrs)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\nversion=1"))
	f.Add([]byte("server.3=[::1]:2890:3890:observer;[::1]:2183"))
	f.Fuzz(func(t *testing.T, data []byte) {
		addrs, _, err := ParseConfig(data)
		if err == nil && len(addrs) == 0 {
			t.Fatal("no error and no address")
		}
		for _, a := range addrs {
			if _, _, err := Parse(a); err != nil {
				t.Fatalf("address %q does not parse back: %v", a, err)
			}
		}
	})
}
