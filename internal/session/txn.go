package session

import "github.com/kazoo-go/kazoo/proto"

// TxnOp is one operation of a multi or multiRead.
type TxnOp struct {
	c       *Session // for the chroot, once sent
	Op      proto.Op
	Version int32
	Path    string
	Data    []byte
	Create  *CreateArgs // creates only: kept out of line, transactions are mostly sets
}

// CreateArgs are the arguments only a create has.
type CreateArgs struct {
	ACL   []proto.ACL
	Flags proto.CreateFlags
	TTL   int64
}

// multiRequest is the body of a multi or multiRead: each operation
// encodes itself (TxnOp.Append) with proto's records.
func (c *Session) multiRequest(ops []TxnOp) *proto.MultiRequest {
	r := &proto.MultiRequest{Ops: make([]proto.MultiOp, len(ops))}
	for i := range ops {
		ops[i].c = c
		r.Ops[i] = proto.MultiOp{Op: ops[i].Op, Body: &ops[i]}
	}
	return r
}

// Append encodes the operation's body with proto's records, the chroot
// applied (proto.Record).
func (o *TxnOp) Append(b []byte) []byte {
	c := o.c
	switch o.Op {
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		r := createRequest(c, o.Path, o.Data, o.Create.ACL, o.Create.Flags, o.Create.TTL)
		return r.Append(b)
	case proto.OpDelete:
		r := proto.DeleteRequest{Path: c.serverPath(o.Path), Version: o.Version}
		return r.Append(b)
	case proto.OpCheck:
		r := proto.CheckVersionRequest{Path: c.serverPath(o.Path), Version: o.Version}
		return r.Append(b)
	case proto.OpSetData:
		r := proto.SetDataRequest{Path: c.serverPath(o.Path), Data: stored(o.Data), Version: o.Version}
		return r.Append(b)
	case proto.OpGetData, proto.OpGetChildren:
		r := proto.PathWatchRequest{Path: c.serverPath(o.Path)}
		return r.Append(b)
	}
	return b
}
