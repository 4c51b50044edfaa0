package zktest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kazoo-go/kazoo/proto"
)

func TestFindInstallation(t *testing.T) {
	inst, err := FindInstallation()
	if err != nil {
		t.Fatal(err)
	}
	if len(inst.Classpath) == 0 || inst.Java == "" || inst.Source == "" {
		t.Fatalf("incomplete installation: %+v", inst)
	}
	if inst.Version == (proto.Version{}) {
		t.Errorf("version of %s not found", inst.Source)
	}
	t.Logf("ZooKeeper %s from %s", inst.Version, inst.Source)
}

func TestFindInstallationBadClasspath(t *testing.T) {
	t.Setenv("ZOOKEEPER_CLASSPATH", filepath.Join(t.TempDir(), "missing.jar"))
	_, err := FindInstallation()
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("err = %v, want ErrNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "apt-get install zookeeper") {
		t.Errorf("error does not say how to install: %v", err)
	}
}

func TestFindInstallationHome(t *testing.T) {
	home := t.TempDir()
	lib := filepath.Join(home, "lib")
	os.Mkdir(lib, 0o755)
	// Not real jars: the version then comes from the file name.
	for _, name := range []string{"zookeeper-3.7.1.jar", "zookeeper-jute-3.7.1.jar", "slf4j-api-1.7.30.jar"} {
		os.WriteFile(filepath.Join(lib, name), nil, 0o644)
	}
	t.Setenv("ZOOKEEPER_CLASSPATH", "")
	t.Setenv("ZOOKEEPER_HOME", home)
	inst, err := FindInstallation()
	if err != nil {
		t.Fatal(err)
	}
	if want := (proto.Version{Major: 3, Minor: 7, Patch: 1}); inst.Version != want {
		t.Errorf("version %v, want %v", inst.Version, want)
	}
	if len(inst.Classpath) != 3 || !strings.HasPrefix(inst.Source, "ZOOKEEPER_HOME=") {
		t.Errorf("installation %+v", inst)
	}

	t.Setenv("ZOOKEEPER_HOME", t.TempDir())
	if _, err := FindInstallation(); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("empty ZOOKEEPER_HOME: err = %v, want ErrNotInstalled", err)
	}
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want proto.Version
		ok   bool
	}{
		{"3.4.13-6--1, built on Sat, 28 Oct 2023 23:16:44 +0200", proto.Version{Major: 3, Minor: 4, Patch: 13}, true},
		{" 3.9.3-${mvngit.commit.id}, built on 2026-03-08", proto.Version{Major: 3, Minor: 9, Patch: 3}, true},
		{"zookeeper-3.8.0.jar", proto.Version{Major: 3, Minor: 8}, true},
		{"3.6", proto.Version{Major: 3, Minor: 6}, true},
		{"unknown", proto.Version{}, false},
	} {
		got, ok := ParseVersion(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDigest(t *testing.T) {
	// base64(sha1("bob:pw")), as ZooKeeper's DigestAuthenticationProvider
	// computes it.
	if got, want := Digest("bob", "pw"), "bob:ikIaKsbtGweaHnb/jKn7OHqbunM="; got != want {
		t.Errorf("Digest = %q, want %q", got, want)
	}
}

type fixedVersion proto.Version

func (v fixedVersion) Version() proto.Version { return proto.Version(v) }

func TestRequireVersion(t *testing.T) {
	run := func(f func(t *testing.T)) (skipped bool) {
		t.Run("", func(t *testing.T) {
			defer func() { skipped = t.Skipped() }()
			f(t)
		})
		return skipped
	}
	old := fixedVersion{Major: 3, Minor: 4, Patch: 13}
	if !run(func(t *testing.T) { RequireVersion(t, old, proto.Version{Major: 3, Minor: 6}) }) {
		t.Error("RequireVersion did not skip on an older server")
	}
	if run(func(t *testing.T) { RequireVersion(t, old, proto.Version{Major: 3, Minor: 4}) }) {
		t.Error("RequireVersion skipped on a recent enough server")
	}
	if run(func(t *testing.T) { RequireVersion(t, fixedVersion{}, proto.Version{Major: 3, Minor: 6}) }) {
		t.Error("RequireVersion skipped on an unknown version")
	}
	if !run(func(t *testing.T) { RequireOp(t, old, proto.OpAddWatch) }) {
		t.Error("RequireOp did not skip addWatch on 3.4")
	}
	if run(func(t *testing.T) { RequireOp(t, old, proto.OpMulti) }) {
		t.Error("RequireOp skipped multi on 3.4")
	}
}
