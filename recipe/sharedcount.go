package recipe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"

	"github.com/kazoo-go/kazoo"
)

// SharedCount is Curator's SharedCount (and kazoo's
// Counter(support_curator=True)): a 32-bit integer stored as 4 big-endian
// bytes. Writes are versioned: TrySet succeeds only if nobody wrote since
// the value was read. Changes are followed with Watch.
//
// Curator cannot read an empty node, which kazoo creates: SharedCount
// creates the node with 4 bytes, and reads an empty node as the seed.
type SharedCount struct {
	client *kazoo.Client
	path   string
	seed   int32
}

// VersionedValue is a count and the node version it was read at.
type VersionedValue struct {
	Value   int32
	Version int32
}

// NewSharedCount returns the shared count at path; seed is the value the
// node is created with, when missing.
func NewSharedCount(client *kazoo.Client, path string, seed int32) *SharedCount {
	return &SharedCount{client: client, path: path, seed: seed}
}

// Get returns the count and its version, creating the node with the seed
// if it is missing.
func (s *SharedCount) Get(ctx context.Context) (VersionedValue, error) {
	data, st, err := s.client.Get(ctx, s.path)
	if errors.Is(err, kazoo.ErrNoNode) {
		_, _, err = s.client.Create(ctx, s.path, int32Bytes(s.seed), kazoo.WithParents())
		if err == nil || errors.Is(err, kazoo.ErrNodeExists) {
			data, st, err = s.client.Get(ctx, s.path)
		}
	}
	if err != nil {
		return VersionedValue{}, fmt.Errorf("recipe: shared count %s: %w", s.path, err)
	}
	v, err := s.decode(data)
	return VersionedValue{Value: v, Version: st.Version}, err
}

func (s *SharedCount) decode(data []byte) (int32, error) {
	switch len(data) {
	case 0:
		return s.seed, nil
	case 4:
		return int32(binary.BigEndian.Uint32(data)), nil
	}
	return 0, badValue(s.path, data, fmt.Errorf("%d bytes, want 4", len(data)))
}

func int32Bytes(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

// TrySet sets the count to v if the node is still at prev's version; it
// reports whether it did.
func (s *SharedCount) TrySet(ctx context.Context, prev VersionedValue, v int32) (bool, error) {
	_, err := s.client.Set(ctx, s.path, int32Bytes(v), prev.Version)
	if errors.Is(err, kazoo.ErrBadVersion) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("recipe: shared count %s set: %w", s.path, err)
	}
	return true, nil
}

// Set sets the count to v whatever it was.
func (s *SharedCount) Set(ctx context.Context, v int32) error {
	if _, err := s.Get(ctx); err != nil && !errors.Is(err, ErrBadValue) {
		return err
	}
	if _, err := s.client.Set(ctx, s.path, int32Bytes(v), kazoo.AnyVersion); err != nil {
		return fmt.Errorf("recipe: shared count %s set: %w", s.path, err)
	}
	return nil
}

// Add adds delta with compare-and-set (kazoo's Counter += in Curator mode)
// and returns the new value. A lost connection during the write is not
// retried: the error wraps kazoo.ErrConnectionLoss, and the add may or may
// not have happened.
func (s *SharedCount) Add(ctx context.Context, delta int32) (int32, error) {
	for {
		cur, err := s.Get(ctx)
		if err != nil {
			return 0, err
		}
		ok, err := s.TrySet(ctx, cur, cur.Value+delta)
		if err != nil {
			return 0, err
		}
		if ok {
			return cur.Value + delta, nil
		}
	}
}

// Watch yields the count now and after every change (a data watch, no
// polling), until ctx ends or the loop stops. A value that cannot be read
// is yielded as an error wrapping [ErrBadValue] and watching goes on; other
// errors end it.
func (s *SharedCount) Watch(ctx context.Context) iter.Seq2[VersionedValue, error] {
	return func(yield func(VersionedValue, error) bool) {
		if _, err := s.Get(ctx); err != nil && !errors.Is(err, ErrBadValue) {
			yield(VersionedValue{}, err)
			return
		}
		delay := minDelay
		for ctx.Err() == nil {
			data, st, ch, err := s.client.GetW(ctx, s.path)
			if retryable(err) {
				if !pause(ctx, &delay) {
					return
				}
				continue
			}
			if errors.Is(err, kazoo.ErrNoNode) {
				var ok bool
				if ok, _, ch, err = s.client.ExistsW(ctx, s.path); err == nil && ok {
					continue
				}
			} else if err == nil {
				v, derr := s.decode(data)
				if !yield(VersionedValue{Value: v, Version: st.Version}, derr) {
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				yield(VersionedValue{}, fmt.Errorf("recipe: shared count %s: %w", s.path, err))
				return
			}
			if _, err := wait(ctx, ch); err != nil {
				return
			}
		}
	}
}
