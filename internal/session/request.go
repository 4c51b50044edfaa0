package session

import (
	"encoding/binary"

	"github.com/kazoo-go/kazoo/proto"
)

// request is what one request record is made of: a Call's fields, or one
// operation of a transaction's. Both are encoded by appendRequest, the one
// place where an operation meets its proto record and the chroot is
// applied.
type request struct {
	op      proto.Op
	path    string // the client's path
	outside bool   // path is the server's own, outside the chroot (Config)
	data    []byte
	version int32
	watch   bool
	wtype   int32 // WatcherType or AddWatchMode
	acl     []proto.ACL
	flags   proto.CreateFlags
	ttl     int64
}

// appendRequest encodes r's body with proto's records, the chroot applied.
//
// The chroot is written into the encoding rather than joined to the path:
// every request that names a node starts with its path, so the record is
// encoded with the client's path after room left for the chroot, and its
// length prefix is then moved to the front. A joined server path would cost
// every request of a chrooted client an allocation.
func (c *Session) appendRequest(b []byte, r *request) []byte {
	root, path := c.chroot, r.path
	switch {
	case r.outside:
		root = ""
	case root == "":
	case path == "/" && r.op != proto.OpGetEphemerals && !r.flags.Sequential():
		// The chroot's own node. (A sequential create of "/" makes
		// children of the chroot; getEphemerals takes a prefix, not a node.)
		path = ""
	}
	start := len(b)
	b = append(b, root...)
	switch r.op {
	case proto.OpGetData, proto.OpExists, proto.OpGetChildren, proto.OpGetChildren2:
		rec := proto.PathWatchRequest{Path: path, Watch: r.watch}
		b = rec.Append(b)
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		rec := proto.CreateRequest{Path: path, Data: stored(r.data), ACL: r.acl, Flags: r.flags, TTL: r.ttl}
		b = rec.Append(b)
	case proto.OpDelete:
		rec := proto.DeleteRequest{Path: path, Version: r.version}
		b = rec.Append(b)
	case proto.OpCheck:
		rec := proto.CheckVersionRequest{Path: path, Version: r.version}
		b = rec.Append(b)
	case proto.OpSetData:
		rec := proto.SetDataRequest{Path: path, Data: stored(r.data), Version: r.version}
		b = rec.Append(b)
	case proto.OpGetACL, proto.OpSync, proto.OpGetAllChildrenNumber, proto.OpGetEphemerals:
		rec := proto.PathRequest{Path: path}
		b = rec.Append(b)
	case proto.OpSetACL:
		rec := proto.SetACLRequest{Path: path, ACL: r.acl, Version: r.version}
		b = rec.Append(b)
	case proto.OpCheckWatches, proto.OpRemoveWatches:
		rec := proto.WatchesRequest{Path: path, Type: proto.WatcherType(r.wtype)}
		b = rec.Append(b)
	case proto.OpAddWatch:
		rec := proto.AddWatchRequest{Path: path, Mode: proto.AddWatchMode(r.wtype)}
		b = rec.Append(b)
	default: // whoAmI, closeSession: no body
		return b[:start]
	}
	if root == "" {
		return b
	}
	// b[start:] is the room for root, then the record: the path's length,
	// the path, the rest. Make it the length of root+path, root, the path,
	// the rest: the length is read before root overwrites it.
	n := binary.BigEndian.Uint32(b[start+len(root):])
	binary.BigEndian.PutUint32(b[start:], n+uint32(len(root)))
	copy(b[start+4:], root)
	return b
}

// stored is the value a create or set sends for data: nil as empty, as
// kazoo does, so that every client reads bytes back (kazoo's recipes fail
// on a node whose value is null).
func stored(data []byte) []byte {
	if data == nil {
		return []byte{}
	}
	return data
}
