package kazoo

import (
	"crypto/sha1"
	"encoding/base64"

	"github.com/kazoo-go/kazoo/proto"
)

// ACL is one access control entry: permissions for an identity.
type ACL = proto.ACL

// Perm is a set of permissions.
type Perm = proto.Perm

// Permissions.
const (
	PermRead   = proto.PermRead
	PermWrite  = proto.PermWrite
	PermCreate = proto.PermCreate
	PermDelete = proto.PermDelete
	PermAdmin  = proto.PermAdmin
	PermAll    = proto.PermAll
)

// Common ACLs, as ZooKeeper's Ids defines them.
var (
	// OpenACLUnsafe gives everyone every permission.
	OpenACLUnsafe = []ACL{{Perms: PermAll, Scheme: "world", ID: "anyone"}}
	// ReadACLUnsafe lets everyone read.
	ReadACLUnsafe = []ACL{{Perms: PermRead, Scheme: "world", ID: "anyone"}}
	// CreatorAllACL gives every permission to the creator's authenticated
	// identities; the session must have added auth first.
	CreatorAllACL = []ACL{{Perms: PermAll, Scheme: "auth", ID: ""}}
)

// WorldACL returns an ACL giving perms to everyone.
func WorldACL(perms Perm) []ACL {
	return []ACL{{Perms: perms, Scheme: "world", ID: "anyone"}}
}

// DigestACL returns an ACL entry giving perms to the digest identity
// user:password, hashed the way the server stores it.
func DigestACL(perms Perm, user, password string) ACL {
	return ACL{Perms: perms, Scheme: "digest", ID: user + ":" + DigestHash(user, password)}
}

// DigestHash returns base64(sha1("user:password")), the form ZooKeeper's
// digest scheme compares against (and superDigest expects).
func DigestHash(user, password string) string {
	h := sha1.Sum([]byte(user + ":" + password))
	return base64.StdEncoding.EncodeToString(h[:])
}
