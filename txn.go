package kazoo

import (
	"context"
	"fmt"

	"github.com/kazoo-go/kazoo/internal/session"
	"github.com/kazoo-go/kazoo/proto"
)

// Txn is a transaction: operations that all succeed or all fail, applied in
// one step (ZooKeeper's multi). Build it with Client.Txn and the chained
// methods, then Commit. Invalid arguments are reported by Commit, before
// anything is sent.
type Txn struct {
	c   *Client
	ops []session.TxnOp
	err error
}

// Txn starts a transaction.
func (c *Client) Txn() *Txn { return &Txn{c: c} }

func (t *Txn) add(o session.TxnOp) *Txn {
	if t.err == nil {
		sequential := o.Create != nil && o.Create.Flags.Sequential()
		if err := validatePath(o.Path, sequential); err != nil {
			t.err = clientError(o.Op, o.Path, err)
		} else if o.Version < -1 {
			t.err = clientError(o.Op, o.Path, fmt.Errorf("%w: version %d", ErrInvalidArgument, o.Version))
		}
	}
	if len(t.ops) == cap(t.ops) {
		// Double: append grows large slices by a quarter, which copies a
		// transaction of many operations over and over.
		t.ops = append(make([]session.TxnOp, 0, max(8, 2*cap(t.ops))), t.ops...)
	}
	t.ops = append(t.ops, o)
	return t
}

// Create adds a create; WithParents is not allowed in a transaction.
func (t *Txn) Create(path string, data []byte, opts ...CreateOption) *Txn {
	k := session.Call{Op: proto.OpCreate, Path: path}
	_, o := t.c.prepCreateArgs(&k, data, opts)
	if k.Err == nil && (o.parents || o.protect != nil) {
		k.Err = fmt.Errorf("%w: WithParents and WithProtected are not allowed in a transaction", ErrInvalidArgument)
	}
	if k.Err != nil && t.err == nil {
		t.err = clientError(proto.OpCreate, path, k.Err)
	}
	op := proto.OpCreate
	switch {
	case o.mode.TTL():
		op = proto.OpCreateTTL
	case o.mode == ModeContainer:
		op = proto.OpCreateContainer
	}
	return t.add(session.TxnOp{Op: op, Path: path, Data: data, Create: &session.CreateArgs{ACL: o.acl, Flags: o.mode, TTL: o.ttl.Milliseconds()}})
}

// Delete adds a delete of the node if its version matches (AnyVersion: any).
func (t *Txn) Delete(path string, version int32) *Txn {
	return t.add(session.TxnOp{Op: proto.OpDelete, Path: path, Version: version})
}

// Set adds a data change if the node's version matches.
func (t *Txn) Set(path string, data []byte, version int32) *Txn {
	return t.add(session.TxnOp{Op: proto.OpSetData, Path: path, Data: data, Version: version})
}

// Check adds a condition: the node's version must match.
func (t *Txn) Check(path string, version int32) *Txn {
	return t.add(session.TxnOp{Op: proto.OpCheck, Path: path, Version: version})
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

func (t *Txn) prep(ctx context.Context, k *session.Call) *session.Call {
	switch {
	case t.err != nil:
		k.Err = t.err
	case len(t.ops) == 0:
		k.Err = fmt.Errorf("%w: empty transaction", ErrInvalidArgument)
	default:
		k.Ops = t.ops
		if err := t.c.s.Supports(proto.OpMulti); err != nil {
			k.Err = err
		}
	}
	return k
}

// extractTxn turns multi results into OpResults, each with its own error,
// and for a transaction the first failing operation's error (the server
// marks the operations after it RuntimeInconsistency).
func extractTxn(k *session.Call) ([]OpResult, error) {
	if err := result(k); err != nil {
		return nil, err
	}
	if len(k.Results) != len(k.Ops) {
		return nil, &Error{Code: proto.CodeMarshallingError, Op: k.Op.String(), Err: fmt.Errorf("%w: %d results for %d operations", ErrMarshallingError, len(k.Results), len(k.Ops))}
	}
	out := make([]OpResult, len(k.Results))
	var first error
	for i, r := range k.Results {
		o := &k.Ops[i]
		res := OpResult{Op: o.Op.String(), Path: o.Path, Stat: r.Stat, Data: r.Data, Children: r.Children}
		switch o.Op {
		case proto.OpCreate, proto.OpCreateContainer, proto.OpCreateTTL:
			res.Op = "create"
			if r.Path != "" {
				res.Path = r.Path
			}
		}
		if r.Err != proto.CodeOK {
			res.Err = opError(o.Op, o.Path, r.Err)
			if first == nil && k.Op == proto.OpMulti {
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
	return run(ctx, t.prep(ctx, t.c.s.GetCall(proto.OpMulti, "")), extractTxn)
}

// CommitAsync starts Commit and returns at once.
func (t *Txn) CommitAsync(ctx context.Context) *Future[[]OpResult] {
	return start(ctx, t.prep(ctx, t.c.s.NewAsyncCall(proto.OpMulti, "")), extractTxn)
}

// ReadOp is one read of MultiRead: GetDataOp or GetChildrenOp.
type ReadOp struct{ op session.TxnOp }

// GetDataOp reads a node's data and Stat in MultiRead.
func GetDataOp(path string) ReadOp { return ReadOp{session.TxnOp{Op: proto.OpGetData, Path: path}} }

// GetChildrenOp lists a node's children in MultiRead.
func GetChildrenOp(path string) ReadOp {
	return ReadOp{session.TxnOp{Op: proto.OpGetChildren, Path: path}}
}

func (c *Client) prepMultiRead(ctx context.Context, k *session.Call, reads []ReadOp) *session.Call {
	if len(reads) == 0 {
		k.Err = fmt.Errorf("%w: no reads", ErrInvalidArgument)
		return k
	}
	k.Ops = make([]session.TxnOp, len(reads))
	for i, r := range reads {
		if err := ValidatePath(r.op.Path); err != nil {
			k.Err = clientError(r.op.Op, r.op.Path, err)
			return k
		}
		k.Ops[i] = r.op
	}
	if err := c.s.Supports(proto.OpMultiRead); err != nil {
		k.Err = err
	}
	return k
}

// MultiRead performs several reads in one round trip, from one consistent
// view (ZooKeeper 3.6+). Each result carries its own error: a missing node
// fails only its own read.
func (c *Client) MultiRead(ctx context.Context, reads ...ReadOp) ([]OpResult, error) {
	return run(ctx, c.prepMultiRead(ctx, c.s.GetCall(proto.OpMultiRead, ""), reads), extractTxn)
}

// MultiReadAsync starts MultiRead and returns at once.
func (c *Client) MultiReadAsync(ctx context.Context, reads ...ReadOp) *Future[[]OpResult] {
	return start(ctx, c.prepMultiRead(ctx, c.s.NewAsyncCall(proto.OpMultiRead, ""), reads), extractTxn)
}
