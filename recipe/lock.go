package recipe

import (
	"context"
	"fmt"

	"github.com/kazoo-go/kazoo"
)

// Lock is a distributed mutual-exclusion lock, kazoo's Lock (or, with
// WithCurator, Curator's InterProcessMutex): holders on the same path, in
// any process and any of the three libraries using the same layout, exclude
// each other, and are admitted in the order they asked.
//
// A Lock value is one contender: Lock and TryLock on a value already
// acquiring or holding return ErrBusy. Any goroutine may Unlock.
//
// Holding a ZooKeeper lock is a belief, not a fact: the session may be lost
// while the holder works. Context ends when that belief is no longer safe
// (see LossPolicy), and Txn makes writes that commit only while the lock
// node still exists, which no paused or partitioned ex-holder can get
// around. Token gives a fencing token for systems outside ZooKeeper.
type Lock struct {
	k *contender
}

// NewLock returns a Lock on path. Options: WithIdentifier, WithCurator,
// WithLossPolicy, WithSuspendGrace, WithLogger. Nothing is sent before Lock
// or TryLock.
func NewLock(c *kazoo.Client, path string, opts ...Option) (*Lock, error) {
	o, err := newOptions("Lock", opts, "WithIdentifier", "WithCurator", "WithLossPolicy", "WithSuspendGrace", "WithLogger")
	if err != nil {
		return nil, err
	}
	if err := checkClient("Lock", c, path); err != nil {
		return nil, err
	}
	return &Lock{k: mutex(c, o, path)}, nil
}

// mutex returns the contender of a mutual-exclusion lock on path: kazoo's
// "<uuid>__lock__<seq>" or Curator's "_c_<uuid>-lock-<seq>".
func mutex(c *kazoo.Client, o *options, path string) *contender {
	kind := "__lock__"
	if o.curator {
		kind = "lock-"
	}
	k := newContender(c, o, path, kind)
	k.kinds, k.blocker = []string{kind}, predecessor
	return k
}

// predecessor: everyone before us blocks us; we watch the one right before.
func predecessor(_ []member, i int) int { return i - 1 }

// Lock waits until the lock is ours or ctx ends. A waiting Lock that ctx
// cancels leaves nothing behind: its node is deleted, retrying through
// connection loss.
func (l *Lock) Lock(ctx context.Context) error {
	_, err := l.k.acquire(ctx, true)
	return err
}

// TryLock takes the lock if nobody holds or waits for it, and reports
// whether it did.
func (l *Lock) TryLock(ctx context.Context) (bool, error) {
	return l.k.acquire(ctx, false)
}

// Unlock releases the lock: it ends Context at once, then deletes the lock
// node, retrying through connection loss until ctx ends. The lock is
// forgotten only once the node is gone, so an Unlock that failed can be
// repeated; unlocking a lock not held does nothing.
func (l *Lock) Unlock(ctx context.Context) error { return l.k.release(ctx) }

// Context returns a context that ends when the lock is released or its
// ownership is lost or in doubt; context.Cause says which (ErrReleased,
// ErrLost, ErrSuspended). When not held, it is already ended (ErrNotHeld).
func (l *Lock) Context() context.Context { return ownedContext(l.k.holding()) }

// Token returns a fencing token for the current holding: the lock node's
// creation zxid, which grows with every new holder of the lock. Pass it to
// systems that can refuse requests bearing a token lower than one already
// seen. It returns ErrNotHeld when not held.
func (l *Lock) Token() (int64, error) {
	own := l.k.holding()
	if own == nil {
		return 0, ErrNotHeld
	}
	return own.stat.Czxid, nil
}

// Txn returns a transaction guarded by the lock: its first operation checks
// that our lock node exists, so that Commit applies the operations added
// next only while we hold the lock (the check's result comes first). It
// returns ErrNotHeld when not held.
func (l *Lock) Txn() (*kazoo.Txn, error) {
	own := l.k.holding()
	if own == nil {
		return nil, ErrNotHeld
	}
	return l.k.c.Txn().Check(own.node, kazoo.AnyVersion), nil
}

// Node returns the path of our lock node while we hold the lock, or "".
func (l *Lock) Node() string {
	if own := l.k.holding(); own != nil {
		return own.node
	}
	return ""
}

// Contenders returns the identifiers (WithIdentifier) of the holder and
// the waiters, in the order they will hold the lock.
func (l *Lock) Contenders(ctx context.Context) ([]string, error) {
	return l.k.contenders(ctx)
}

// String describes the lock for logs.
func (l *Lock) String() string { return fmt.Sprintf("Lock(%s)", l.k.dir) }
