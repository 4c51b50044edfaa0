package kazoo_test

import (
	"errors"
	"testing"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestIPACLParse(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1": "127.0.0.1", "10.9.8.7/8": "10.0.0.0/8", "::1": "::1", "fd00::1/8": "fd00::/8",
	} {
		acl, err := kazoo.IPACL(kazoo.PermRead, in)
		if err != nil || acl.Scheme != "ip" || acl.ID != want || acl.Perms != kazoo.PermRead {
			t.Errorf("IPACL(%q) = %+v, %v; want ip:%s", in, acl, err, want)
		}
	}
	for _, bad := range []string{"", "zk.example.com", "10.0.0.0/33", "fe80::1%eth0", "1.2.3"} {
		if _, err := kazoo.IPACL(kazoo.PermRead, bad); !errors.Is(err, kazoo.ErrInvalidArgument) {
			t.Errorf("IPACL(%q): err = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

// TestACLSchemes checks the ip and auth helpers against the server: a CIDR
// block admits the loopback client or not, and an auth entry becomes the
// creator's digest identity.
func TestACLSchemes(t *testing.T) {
	ctx := testCtx(t)
	servers := zktest.Shared(t).Chroot(t)
	c := zktest.Connect(t, servers)
	loopbackID, elsewhereID := "127.0.0.0/8", "10.0.0.0/8"
	if zktest.Shared(t).Version().Less(proto.Version{Major: 3, Minor: 5}) {
		loopbackID, elsewhereID = "127.0.0.1", "10.0.0.1" // 3.4 refuses CIDR blocks
	}
	loopback, _ := kazoo.IPACL(kazoo.PermAll, loopbackID)
	elsewhere, _ := kazoo.IPACL(kazoo.PermAll, elsewhereID)
	for path, acl := range map[string]kazoo.ACL{"/loopback": loopback, "/elsewhere": elsewhere} {
		if _, _, err := c.Create(ctx, path, nil, kazoo.WithACL(acl)); err != nil {
			t.Fatal(err)
		}
	}
	checkAccess(t, c, "/loopback", true)
	checkAccess(t, c, "/elsewhere", false)

	owner := zktest.Connect(t, servers, kazoo.WithAuth("digest", []byte("carol:pw")))
	if _, _, err := owner.Create(ctx, "/carols", nil, kazoo.WithACL(kazoo.AuthACL(kazoo.PermAll))); err != nil {
		t.Fatal(err)
	}
	acl, _, err := owner.GetACL(ctx, "/carols")
	if err != nil || len(acl) != 1 || acl[0] != kazoo.DigestACL(kazoo.PermAll, "carol", "pw") {
		t.Fatalf("GetACL = %v, %v; want carol's digest", acl, err)
	}
	checkAccess(t, owner, "/carols", true)
	checkAccess(t, c, "/carols", false)
}
