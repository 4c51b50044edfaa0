package proto

// Perm is a set of ACL permission bits.
type Perm int32

// Permission bits of an ACL entry.
const (
	PermRead   Perm = 1
	PermWrite  Perm = 2
	PermCreate Perm = 4
	PermDelete Perm = 8
	PermAdmin  Perm = 16
	PermAll    Perm = 31
)

// ACL is one access control entry: the permissions granted to an identity
// (ID) under an authentication scheme (Scheme), e.g. {PermAll, "world",
// "anyone"}.
type ACL struct {
	Perms  Perm
	Scheme string
	ID     string
}

// aclMinSize is the smallest encoded ACL: perms and two empty strings.
const aclMinSize = 4 + 4 + 4

// Append appends the encoded ACL: int perms, then Id{ustring scheme;
// ustring id}.
func (a *ACL) Append(b []byte) []byte {
	b = AppendInt32(b, int32(a.Perms))
	b = AppendString(b, a.Scheme)
	return AppendString(b, a.ID)
}

// Decode reads an ACL.
func (a *ACL) Decode(d *Decoder) {
	a.Perms = Perm(d.Int32())
	a.Scheme = d.String()
	a.ID = d.String()
}

// AppendACLs appends a vector of ACLs. A nil slice is encoded as an empty
// vector (servers answer InvalidACL to an empty list where one is required,
// rather than failing on a null one).
func AppendACLs(b []byte, acls []ACL) []byte {
	b = AppendInt32(b, int32(len(acls)))
	for i := range acls {
		b = acls[i].Append(b)
	}
	return b
}

// ACLs reads a vector of ACLs; null reads as nil, empty as a non-nil empty
// slice. The count is checked against the bytes left before anything is
// allocated.
func (d *Decoder) ACLs() []ACL {
	n := d.length(aclMinSize)
	if n < 0 || d.err != nil {
		return nil
	}
	acls := make([]ACL, n)
	for i := 0; i < n && d.err == nil; i++ {
		acls[i].Decode(d)
	}
	if d.err != nil {
		return nil
	}
	return acls
}
