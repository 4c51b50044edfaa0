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
	ops session.TxnOps
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
	t.ops.Add(o)
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
	case t.ops.Len() == 0:
		k.Err = fmt.Errorf("%w: empty transaction", ErrInvalidArgument)
	default:
		k.Ops = t.ops
		k.Reply = &txnReply{s: t.c.s, ops: &k.Ops}
		if err := t.c.s.Supports(proto.OpMulti); err != nil {
			k.Err = err
		}
	}
	return k
}

// txnReply decodes the results of a multi or multiRead straight into the
// OpResults returned (session.Reply), each result beside the operation it
// answers.
type txnReply struct {
	s     *session.Session
	ops   *session.TxnOps
	out   []OpResult
	extra bool // more results than operations
}

func (t *txnReply) Decode(body []byte) error {
	var d proto.Decoder
	d.Reset(body)
	t.out = make([]OpResult, 0, t.ops.Len())
	var r proto.MultiResult
	for _, o := range t.ops.All() {
		if !r.DecodeNext(&d) {
			return d.Err() // nil for fewer results than operations: extractTxn says so
		}
		res := OpResult{Op: o.Op.String(), Path: o.Path, Stat: r.Stat, Children: r.Children}
		if r.Data != nil {
			res.Data = append([]byte(nil), r.Data...) // the body is reused
		}
		switch o.Op {
		case proto.OpCreate, proto.OpCreateContainer, proto.OpCreateTTL:
			res.Op = "create"
			if r.Path != "" {
				res.Path = t.s.StripRoot(r.Path)
			}
		}
		if r.Err != proto.CodeOK {
			res.Err = opError(o.Op, o.Path, r.Err)
		}
		t.out = append(t.out, res)
	}
	t.extra = r.DecodeNext(&d)
	return d.Err()
}

// extractTxn returns a multi's results, each with its own error, and for a
// transaction the first failing operation's error (the server marks the
// operations after it RuntimeInconsistency).
func extractTxn(k *session.Call) ([]OpResult, error) {
	if err := result(k); err != nil {
		return nil, err
	}
	t := k.Reply.(*txnReply)
	if n := k.Ops.Len(); t.extra || len(t.out) != n {
		return nil, &Error{Code: proto.CodeMarshallingError, Op: k.Op.String(), Err: fmt.Errorf("%w: %d results for %d operations", ErrMarshallingError, len(t.out), n)}
	}
	if k.Op == proto.OpMulti {
		for i := range t.out {
			if err := t.out[i].Err; err != nil {
				return t.out, err
			}
		}
	}
	return t.out, nil
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
	for _, r := range reads {
		if err := ValidatePath(r.op.Path); err != nil {
			k.Err = clientError(r.op.Op, r.op.Path, err)
			return k
		}
		k.Ops.Add(r.op)
	}
	k.Reply = &txnReply{s: c.s, ops: &k.Ops}
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
