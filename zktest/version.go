package zktest

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/kazoo-go/kazoo/proto"
)

var versionRE = regexp.MustCompile(`(\d+)\.(\d+)(?:\.(\d+))?`)

// ParseVersion finds the first "major.minor[.patch]" in s and returns it.
// It is deliberately loose, because distributions decorate the release in
// their own ways: "3.4.13-6--1, built on ...", "3.9.3-${mvngit.commit.id}",
// "zookeeper-3.8.0.jar" all parse.
func ParseVersion(s string) (proto.Version, bool) {
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return proto.Version{}, false
	}
	var v proto.Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.Patch, _ = strconv.Atoi(m[3])
	}
	return v, true
}

// Versioned is anything that knows the ZooKeeper release it runs: a
// [*Server] or a [*Cluster].
type Versioned interface {
	Version() proto.Version
}

// RequireVersion skips the test, saying so, when srv runs a release older
// than min. An unknown (zero) version does not skip: the test then runs and
// tells by its own failure.
func RequireVersion(t testing.TB, srv Versioned, min proto.Version) {
	t.Helper()
	v := srv.Version()
	if v != (proto.Version{}) && v.Less(min) {
		t.Skipf("zktest: ZooKeeper %s lacks this feature (needs %s or later)", v, min)
	}
}

// RequireOp skips the test when srv runs a release that does not understand
// op (see proto.Op.Since).
func RequireOp(t testing.TB, srv Versioned, op proto.Op) {
	t.Helper()
	since, ok := op.Since()
	if !ok {
		return
	}
	v := srv.Version()
	if v != (proto.Version{}) && v.Less(since) {
		t.Skipf("zktest: ZooKeeper %s lacks %s (added in %s)", v, op, since)
	}
}
