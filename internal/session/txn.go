package session

import (
	"iter"
	"slices"

	"github.com/kazoo-go/kazoo/proto"
)

// TxnOp is one operation of a multi or multiRead.
type TxnOp struct {
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

// TxnOps are the operations of a multi or multiRead, kept in blocks that
// are never copied: adding to a transaction of thousands of operations
// moves none of those before it, and a large transaction holds at most one
// block of unused room (a slice grown by doubling holds up to as much room
// as it uses, after copying itself at every step).
type TxnOps struct {
	blocks [][]TxnOp
	n      int
}

// Block sizes double from firstTxnBlock (most transactions are small) up
// to maxTxnBlock.
const (
	firstTxnBlock = 8
	maxTxnBlock   = 1024
)

// Add appends an operation.
func (t *TxnOps) Add(o TxnOp) {
	last := len(t.blocks) - 1
	if last < 0 || len(t.blocks[last]) == cap(t.blocks[last]) {
		size := firstTxnBlock
		if last >= 0 {
			size = min(2*cap(t.blocks[last]), maxTxnBlock)
		}
		t.blocks = append(t.blocks, make([]TxnOp, 0, size))
		last++
	}
	t.blocks[last] = append(t.blocks[last], o)
	t.n++
}

// Len is the number of operations.
func (t *TxnOps) Len() int { return t.n }

// All yields the operations in order, with their index.
func (t *TxnOps) All() iter.Seq2[int, *TxnOp] {
	return func(yield func(int, *TxnOp) bool) {
		i := 0
		for _, b := range t.blocks {
			for j := range b {
				if !yield(i, &b[j]) {
					return
				}
				i++
			}
		}
	}
}

// appendMulti encodes the body of a multi or multiRead with proto's
// records, the chroot applied: each operation's header and request, then
// the closing header (the layout of proto.MultiRequest, without building
// one).
func (c *Session) appendMulti(b []byte, ops *TxnOps) []byte {
	b = slices.Grow(b, c.multiSize(ops))
	for _, o := range ops.All() {
		h := proto.MultiHeader{Type: o.Op, Err: -1}
		b = c.appendTxnOp(h.Append(b), o)
	}
	return proto.AppendMultiEnd(b)
}

// multiSize is about the encoded size of ops (exact but for creates'
// ACLs), so that a large transaction is encoded into one allocation rather
// than a buffer grown step by step.
func (c *Session) multiSize(ops *TxnOps) int {
	const header, path, data, version = 9, 4, 4, 4
	n := header // the closing header
	for _, o := range ops.All() {
		n += header + path + len(c.chroot) + len(o.Path) + version
		if o.Data != nil || o.Op == proto.OpSetData || o.Create != nil {
			n += data + len(o.Data)
		}
		if o.Create != nil {
			n += 4 + 4 + 8 + len(o.Create.ACL)*32 // ACL count, flags, TTL, ACLs
		}
	}
	return n
}

// appendTxnOp encodes one operation's request (appendRequest).
func (c *Session) appendTxnOp(b []byte, o *TxnOp) []byte {
	r := request{op: o.Op, path: o.Path, data: o.Data, version: o.Version}
	if o.Create != nil {
		r.acl, r.flags, r.ttl = o.Create.ACL, o.Create.Flags, o.Create.TTL
	}
	return c.appendRequest(b, &r)
}
