package kazoo

import (
	"context"
	"fmt"

	"github.com/kazoo-go/kazoo/proto"
)

// txnOp is one operation of a multi or multiRead.
type txnOp struct {
	c       *Client // for the chroot, once sent
	op      proto.Op
	version int32
	path    string
	data    []byte
	create  *createArgs // creates only: kept out of line, transactions are mostly sets
}

// createArgs are the arguments only a create has.
type createArgs struct {
	acl   []ACL
	flags CreateMode
	ttl   int64
}

// multiRequest is the body of a multi or multiRead: each operation
// encodes itself (txnOp.Append) with proto's records.
func (c *Client) multiRequest(ops []txnOp) *proto.MultiRequest {
	r := &proto.MultiRequest{Ops: make([]proto.MultiOp, len(ops))}
	for i := range ops {
		ops[i].c = c
		r.Ops[i] = proto.MultiOp{Op: ops[i].op, Body: &ops[i]}
	}
	return r
}

// Append encodes the operation's body with proto's records, the chroot
// applied (proto.Record).
func (o *txnOp) Append(b []byte) []byte {
	c := o.c
	switch o.op {
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		r := createRequest(c, o.path, o.data, o.create.acl, o.create.flags, o.create.ttl)
		return r.Append(b)
	case proto.OpDelete:
		r := proto.DeleteRequest{Path: c.serverPath(o.path), Version: o.version}
		return r.Append(b)
	case proto.OpCheck:
		r := proto.CheckVersionRequest{Path: c.serverPath(o.path), Version: o.version}
		return r.Append(b)
	case proto.OpSetData:
		r := proto.SetDataRequest{Path: c.serverPath(o.path), Data: stored(o.data), Version: o.version}
		return r.Append(b)
	case proto.OpGetData, proto.OpGetChildren:
		r := proto.PathWatchRequest{Path: c.serverPath(o.path)}
		return r.Append(b)
	}
	return b
}

// Txn is a transaction: operations that all succeed or all fail, applied in
// one step (ZooKeeper's multi). Build it with Client.Txn and the chained
// methods, then Commit. Invalid arguments are reported by Commit, before
// anything is sent.
type Txn struct {
	c   *Client
	ops []txnOp
	err error
}

// Txn starts a transaction.
func (c *Client) Txn() *Txn { return &Txn{c: c} }

func (t *Txn) add(o txnOp) *Txn {
	if t.err == nil {
		sequential := o.create != nil && o.create.flags.Sequential()
		if err := validatePath(o.path, sequential); err != nil {
			t.err = clientError(o.op, o.path, err)
		} else if o.version < -1 {
			t.err = clientError(o.op, o.path, fmt.Errorf("%w: version %d", ErrInvalidArgument, o.version))
		}
	}
	if len(t.ops) == cap(t.ops) {
		// Double: append grows large slices by a quarter, which copies a
		// transaction of many operations over and over.
		t.ops = append(make([]txnOp, 0, max(8, 2*cap(t.ops))), t.ops...)
	}
	t.ops = append(t.ops, o)
	return t
}

// Create adds a create; WithParents is not allowed in a transaction.
func (t *Txn) Create(path string, data []byte, opts ...CreateOption) *Txn {
	k := call{c: t.c, op: proto.OpCreate, path: path}
	_, o := t.c.prepCreateArgs(&k, data, opts)
	if k.err == nil && (o.parents || o.protect != nil) {
		k.err = fmt.Errorf("%w: WithParents and WithProtected are not allowed in a transaction", ErrInvalidArgument)
	}
	if k.err != nil && t.err == nil {
		t.err = clientError(proto.OpCreate, path, k.err)
	}
	op := proto.OpCreate
	switch {
	case o.mode.TTL():
		op = proto.OpCreateTTL
	case o.mode == ModeContainer:
		op = proto.OpCreateContainer
	}
	return t.add(txnOp{op: op, path: path, data: data, create: &createArgs{acl: o.acl, flags: o.mode, ttl: o.ttl.Milliseconds()}})
}

// Delete adds a delete of the node if its version matches (AnyVersion: any).
func (t *Txn) Delete(path string, version int32) *Txn {
	return t.add(txnOp{op: proto.OpDelete, path: path, version: version})
}

// Set adds a data change if the node's version matches.
func (t *Txn) Set(path string, data []byte, version int32) *Txn {
	return t.add(txnOp{op: proto.OpSetData, path: path, data: data, version: version})
}

// Check adds a condition: the node's version must match.
func (t *Txn) Check(path string, version int32) *Txn {
	return t.add(txnOp{op: proto.OpCheck, path: path, version: version})
}

// OpResult is the result of one operation of a transaction or MultiRead.
type OpResult struct {
	Op       string   // "create", "delete", "setData", "check", "getData", "getChildren"
	Path     string   // created path (create), else the operation's path
	Stat     Stat     // set by setData, create2-style creates, getData
	Data     []byte   // getData (MultiRead)
	Children []string // getChildren (MultiRead)
	Err      error    // this operation's error, or nil
}

func (t *Txn) prep(ctx context.Context, k *call) *call {
	switch {
	case t.err != nil:
		k.err = t.err
	case len(t.ops) == 0:
		k.err = fmt.Errorf("%w: empty transaction", ErrInvalidArgument)
	default:
		k.ops = t.ops
		if err := t.c.supports(proto.OpMulti); err != nil {
			k.err = err
		}
	}
	return k
}

// extractTxn turns multi results into OpResults, each with its own error,
// and for a transaction the first failing operation's error (the server
// marks the operations after it RuntimeInconsistency).
func extractTxn(k *call) ([]OpResult, error) {
	if err := k.result(); err != nil {
		return nil, err
	}
	if len(k.results) != len(k.ops) {
		return nil, &Error{Code: proto.CodeMarshallingError, Op: k.op.String(), Err: fmt.Errorf("%w: %d results for %d operations", ErrMarshallingError, len(k.results), len(k.ops))}
	}
	out := make([]OpResult, len(k.results))
	var first error
	for i, r := range k.results {
		o := &k.ops[i]
		res := OpResult{Op: o.op.String(), Path: o.path, Stat: r.Stat, Data: r.Data, Children: r.Children}
		switch o.op {
		case proto.OpCreate, proto.OpCreateContainer, proto.OpCreateTTL:
			res.Op = "create"
			if r.Path != "" {
				res.Path = r.Path
			}
		}
		if r.Err != proto.CodeOK {
			res.Err = opError(o.op, o.path, r.Err)
			if first == nil && k.op == proto.OpMulti {
				first = res.Err
			}
		}
		out[i] = res
	}
	return out, first
}

// Commit sends the transaction. On failure it returns the results (each
// operation's own error: the failing one its code, the others
// RuntimeInconsistency or nil) and the first failing operation's error.
func (t *Txn) Commit(ctx context.Context) ([]OpResult, error) {
	return run(ctx, t.prep(ctx, t.c.getCall(proto.OpMulti, "")), extractTxn)
}

// CommitAsync starts Commit and returns at once.
func (t *Txn) CommitAsync(ctx context.Context) *Future[[]OpResult] {
	return start(ctx, t.prep(ctx, t.c.newAsyncCall(proto.OpMulti, "")), extractTxn)
}

// ReadOp is one read of MultiRead: GetDataOp or GetChildrenOp.
type ReadOp struct{ op txnOp }

// GetDataOp reads a node's data and Stat in MultiRead.
func GetDataOp(path string) ReadOp { return ReadOp{txnOp{op: proto.OpGetData, path: path}} }

// GetChildrenOp lists a node's children in MultiRead.
func GetChildrenOp(path string) ReadOp { return ReadOp{txnOp{op: proto.OpGetChildren, path: path}} }

func (c *Client) prepMultiRead(ctx context.Context, k *call, reads []ReadOp) *call {
	if len(reads) == 0 {
		k.err = fmt.Errorf("%w: no reads", ErrInvalidArgument)
		return k
	}
	k.ops = make([]txnOp, len(reads))
	for i, r := range reads {
		if err := ValidatePath(r.op.path); err != nil {
			k.err = clientError(r.op.op, r.op.path, err)
			return k
		}
		k.ops[i] = r.op
	}
	if err := c.supports(proto.OpMultiRead); err != nil {
		k.err = err
	}
	return k
}

// MultiRead performs several reads in one round trip, from one consistent
// view (ZooKeeper 3.6+). Each result carries its own error: a missing node
// fails only its own read.
func (c *Client) MultiRead(ctx context.Context, reads ...ReadOp) ([]OpResult, error) {
	return run(ctx, c.prepMultiRead(ctx, c.getCall(proto.OpMultiRead, ""), reads), extractTxn)
}

// MultiReadAsync starts MultiRead and returns at once.
func (c *Client) MultiReadAsync(ctx context.Context, reads ...ReadOp) *Future[[]OpResult] {
	return start(ctx, c.prepMultiRead(ctx, c.newAsyncCall(proto.OpMultiRead, ""), reads), extractTxn)
}
