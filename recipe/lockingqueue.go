package recipe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/kazoo-go/kazoo"
)

// LockingQueue is kazoo's LockingQueue: items are persistent-sequential
// nodes path/entries/entry-<ppp>-<seq>; a consumer claims one with an
// ephemeral node path/taken/<same name> holding its uuid, processes it, and
// then Consume deletes both in one transaction, or Release gives the item
// back. A consumer that dies (its session lost) loses its claim, and the
// item goes to someone else.
//
// One LockingQueue value holds at most one item at a time, like kazoo's: Get
// returns the held item again until it is consumed or released.
type LockingQueue struct {
	client  *kazoo.Client
	path    string
	entries string
	taken   string
	id      []byte
	order   *seqQueue // sorts entries, reports foreign children once

	mu      sync.Mutex
	holding string // entry name of the held item
	item    []byte
}

// NewLockingQueue returns the kazoo locking queue at path.
func NewLockingQueue(client *kazoo.Client, path string) (*LockingQueue, error) {
	if err := kazoo.ValidatePath(path); err != nil {
		return nil, fmt.Errorf("recipe: locking queue %q: %w", path, err)
	}
	entries := childPath(path, "entries")
	order, err := newSeqQueue(client, entries, "entry-", parseEntry)
	if err != nil {
		return nil, err
	}
	return &LockingQueue{client: client, path: path, entries: entries,
		taken: childPath(path, "taken"), id: []byte(newUUID(false)), order: order}, nil
}

func (l *LockingQueue) ensure(ctx context.Context) error {
	for _, p := range []string{l.entries, l.taken} {
		if err := l.client.EnsurePath(ctx, p); err != nil {
			return fmt.Errorf("recipe: locking queue %s: %w", l.path, err)
		}
	}
	return nil
}

// Put adds an item with the default priority.
func (l *LockingQueue) Put(ctx context.Context, item []byte) error {
	return l.PutAll(ctx, DefaultPriority, item)
}

// PutAll adds items with priority (0 first .. 999) in one transaction.
func (l *LockingQueue) PutAll(ctx context.Context, priority int, items ...[]byte) error {
	if priority < 0 || priority > 999 {
		return fmt.Errorf("recipe: locking queue put: %w: priority %d not in 0..999", kazoo.ErrInvalidArgument, priority)
	}
	if err := l.ensure(ctx); err != nil {
		return err
	}
	txn := l.client.Txn()
	prefix := childPath(l.entries, fmt.Sprintf("entry-%03d-", priority))
	for _, it := range items {
		txn.Create(prefix, it, kazoo.WithMode(kazoo.ModePersistentSequential))
	}
	if _, err := txn.Commit(ctx); err != nil {
		return fmt.Errorf("recipe: locking queue %s put: %w", l.path, err)
	}
	return nil
}

// Get claims the next unclaimed item and returns it, waiting (on child
// watches) while there is none. If an item is held already, Get returns it.
func (l *LockingQueue) Get(ctx context.Context) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holding != "" {
		return l.item, nil
	}
	if err := l.ensure(ctx); err != nil {
		return nil, err
	}
	for {
		var ents, taken []string
		var ech, tch <-chan kazoo.Event
		err := untilNotTransient(ctx, func() (err error) {
			if ents, _, ech, err = l.client.ChildrenW(ctx, l.entries); err != nil {
				return err
			}
			taken, _, tch, err = l.client.ChildrenW(ctx, l.taken)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("recipe: locking queue %s get: %w", l.path, err)
		}
		for _, name := range l.available(ents, taken) {
			item, ok, err := l.claim(ctx, name)
			if err != nil {
				return nil, err
			}
			if ok {
				l.holding, l.item = name, item
				return item, nil
			}
		}
		select {
		case <-ech:
		case <-tch:
		case <-ctx.Done():
			return nil, fmt.Errorf("recipe: locking queue %s get: %w", l.path, ctx.Err())
		}
	}
}

// available returns the unclaimed entries in queue order.
func (l *LockingQueue) available(ents, taken []string) []string {
	es := l.order.entries(ents)
	return slices.DeleteFunc(es, func(e string) bool { return slices.Contains(taken, e) })
}

func (l *LockingQueue) claim(ctx context.Context, name string) ([]byte, bool, error) {
	claim := childPath(l.taken, name)
	_, _, err := l.client.Create(ctx, claim, l.id, kazoo.WithMode(kazoo.ModeEphemeral))
	if errors.Is(err, kazoo.ErrNodeExists) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("recipe: locking queue %s claim: %w", l.path, err)
	}
	item, _, err := l.client.Get(ctx, childPath(l.entries, name))
	if errors.Is(err, kazoo.ErrNoNode) { // consumed meanwhile
		_ = l.client.Delete(ctx, claim, kazoo.AnyVersion)
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("recipe: locking queue %s get: %w", l.path, err)
	}
	return item, true, nil
}

// HoldsLock reports whether our claim on the held item still stands (it
// does not after a session loss).
func (l *LockingQueue) HoldsLock(ctx context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holdsLock(ctx)
}

func (l *LockingQueue) holdsLock(ctx context.Context) (bool, error) {
	if l.holding == "" {
		return false, nil
	}
	claim := childPath(l.taken, l.holding)
	if err := l.client.Sync(ctx, claim); err != nil {
		return false, fmt.Errorf("recipe: locking queue %s: %w", l.path, err)
	}
	data, _, err := l.client.Get(ctx, claim)
	if errors.Is(err, kazoo.ErrNoNode) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("recipe: locking queue %s: %w", l.path, err)
	}
	return bytes.Equal(data, l.id), nil
}

// Consume removes the held item for good. It reports false, and forgets the
// item, when the claim was lost (someone else may have it now).
func (l *LockingQueue) Consume(ctx context.Context) (bool, error) {
	return l.finish(ctx, true)
}

// Release gives the held item back to the queue unprocessed.
func (l *LockingQueue) Release(ctx context.Context) (bool, error) {
	return l.finish(ctx, false)
}

func (l *LockingQueue) finish(ctx context.Context, consume bool) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ok, err := l.holdsLock(ctx)
	if err != nil || !ok {
		if err == nil {
			l.holding, l.item = "", nil
		}
		return false, err
	}
	txn := l.client.Txn()
	if consume {
		txn.Delete(childPath(l.entries, l.holding), kazoo.AnyVersion)
	}
	txn.Delete(childPath(l.taken, l.holding), kazoo.AnyVersion)
	if _, err := txn.Commit(ctx); err != nil {
		return false, fmt.Errorf("recipe: locking queue %s: %w", l.path, err)
	}
	l.holding, l.item = "", nil
	return true, nil
}

// Len returns the number of items, claimed ones included.
func (l *LockingQueue) Len(ctx context.Context) (int, error) {
	kids, _, err := l.client.Children(ctx, l.entries)
	if errors.Is(err, kazoo.ErrNoNode) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("recipe: locking queue %s: %w", l.path, err)
	}
	return len(kids), nil
}
