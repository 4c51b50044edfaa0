package recipe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/kazoo-go/kazoo"
)

// AtomicLong is Curator's DistributedAtomicLong: a 64-bit integer stored as
// 8 big-endian bytes (a missing or empty node reads as 0). Each change is
// optimistic first: read, then write if the version is unchanged, a few
// times; when that keeps losing to other writers and a [PromotionLock] was
// given, it takes the lock and tries again (Curator's PromotedToLock).
// Writers under the lock and optimistic writers exclude each other through
// the node's version, so mixing them, or mixing with Curator, stays exact.
//
// A result with Succeeded false means every try lost: nothing was written.
type AtomicLong struct {
	client *kazoo.Client
	path   string
	tries  int
	lock   PromotionLock
	promo  sync.Mutex // the goroutines of this process take lock one at a time
}

// PromotionLock is the lock an [AtomicLong] takes when optimistic tries
// keep failing: any distributed mutex, such as a [Lock] (Curator's is an
// InterProcessMutex on a path of its own). The AtomicLong calls it from one
// goroutine at a time.
type PromotionLock interface {
	Lock(ctx context.Context) error
	Unlock(ctx context.Context) error
}

// AtomicValue is the outcome of an AtomicLong change.
type AtomicValue struct {
	Succeeded bool
	PreValue  int64
	PostValue int64
	Tries     int  // compare-and-set attempts made
	Promoted  bool // the lock was taken
}

// AtomicLongOption configures an AtomicLong.
type AtomicLongOption func(*AtomicLong) error

// WithOptimisticTries sets how many compare-and-set attempts are made
// before promotion or giving up (default 10; the same number again under
// the lock).
func WithOptimisticTries(n int) AtomicLongOption {
	return func(a *AtomicLong) error {
		if n < 1 {
			return fmt.Errorf("recipe: WithOptimisticTries(%d): %w: at least 1", n, kazoo.ErrInvalidArgument)
		}
		a.tries = n
		return nil
	}
}

// WithPromotion makes a contended change take lock and try again.
func WithPromotion(lock PromotionLock) AtomicLongOption {
	return func(a *AtomicLong) error {
		if lock == nil {
			return fmt.Errorf("recipe: WithPromotion(nil): %w", kazoo.ErrInvalidArgument)
		}
		a.lock = lock
		return nil
	}
}

// NewAtomicLong returns the atomic long at path.
func NewAtomicLong(client *kazoo.Client, path string, opts ...AtomicLongOption) (*AtomicLong, error) {
	if err := kazoo.ValidatePath(path); err != nil {
		return nil, fmt.Errorf("recipe: atomic long %q: %w", path, err)
	}
	a := &AtomicLong{client: client, path: path, tries: 10}
	for _, o := range opts {
		if err := o(a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Get returns the current value.
func (a *AtomicLong) Get(ctx context.Context) (int64, error) {
	v, _, _, err := a.read(ctx)
	return v, err
}

func (a *AtomicLong) read(ctx context.Context) (v int64, version int32, exists bool, err error) {
	data, st, err := a.client.Get(ctx, a.path)
	if errors.Is(err, kazoo.ErrNoNode) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("recipe: atomic long %s: %w", a.path, err)
	}
	switch len(data) {
	case 0:
		return 0, st.Version, true, nil
	case 8:
		return int64(binary.BigEndian.Uint64(data)), st.Version, true, nil
	}
	return 0, 0, false, badValue(a.path, data, fmt.Errorf("%d bytes, want 8", len(data)))
}

// Add adds delta.
func (a *AtomicLong) Add(ctx context.Context, delta int64) (AtomicValue, error) {
	return a.modify(ctx, func(int64) (int64, bool) { return 0, true }, delta)
}

// Increment adds 1.
func (a *AtomicLong) Increment(ctx context.Context) (AtomicValue, error) { return a.Add(ctx, 1) }

// Decrement subtracts 1.
func (a *AtomicLong) Decrement(ctx context.Context) (AtomicValue, error) { return a.Add(ctx, -1) }

// CompareAndSet sets the value to v if it is expected now; Succeeded is
// false (after one read) when it is not.
func (a *AtomicLong) CompareAndSet(ctx context.Context, expected, v int64) (AtomicValue, error) {
	return a.modify(ctx, func(cur int64) (int64, bool) { return v - cur, cur == expected }, 0)
}

// TrySet sets the value to v, if it wins against concurrent writers within
// the tries (and promotion) allowed.
func (a *AtomicLong) TrySet(ctx context.Context, v int64) (AtomicValue, error) {
	return a.modify(ctx, func(cur int64) (int64, bool) { return v - cur, true }, 0)
}

// modify applies cur + delta + extra(cur) while want(cur) holds.
func (a *AtomicLong) modify(ctx context.Context, f func(cur int64) (extra int64, want bool), delta int64) (AtomicValue, error) {
	var res AtomicValue
	attempt := func() (bool, error) {
		for range a.tries {
			res.Tries++
			cur, version, exists, err := a.read(ctx)
			if err != nil {
				return false, err
			}
			extra, want := f(cur)
			if !want {
				res.PreValue, res.PostValue = cur, cur
				return true, nil
			}
			next := cur + delta + extra
			data := binary.BigEndian.AppendUint64(nil, uint64(next))
			if exists {
				_, err = a.client.Set(ctx, a.path, data, version)
			} else {
				_, _, err = a.client.Create(ctx, a.path, data, kazoo.WithParents())
			}
			if errors.Is(err, kazoo.ErrBadVersion) || errors.Is(err, kazoo.ErrNodeExists) {
				continue
			}
			if err != nil {
				return false, fmt.Errorf("recipe: atomic long %s: %w", a.path, err)
			}
			res.Succeeded, res.PreValue, res.PostValue = true, cur, next
			return true, nil
		}
		return false, nil
	}
	if done, err := attempt(); done || err != nil {
		return res, err
	}
	if a.lock == nil {
		return res, nil
	}
	a.promo.Lock()
	defer a.promo.Unlock()
	if err := a.lock.Lock(ctx); err != nil {
		return res, fmt.Errorf("recipe: atomic long %s: promotion: %w", a.path, err)
	}
	res.Promoted = true
	_, err := attempt()
	if uerr := a.lock.Unlock(context.WithoutCancel(ctx)); err == nil && uerr != nil {
		err = fmt.Errorf("recipe: atomic long %s: promotion unlock: %w", a.path, uerr)
	}
	return res, err
}
