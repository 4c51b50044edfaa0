package recipe

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"sync"

	"github.com/kazoo-go/kazoo"
)

// ErrMaxLeases is returned when a Semaphore's limit disagrees with the one
// stored in its node by another holder.
var ErrMaxLeases = errors.New("recipe: semaphore limit disagrees with the stored one")

// Semaphore lets at most a fixed number of holders in at once: kazoo's
// Semaphore (the limit stored as text in the path node, leases
// "path/<uuid>" ephemeral, acquisition guarded by a kazoo Lock at
// path + "-__lock__"), or with WithCurator Curator's InterProcessSemaphoreV2
// (a mutex under path/locks, leases "path/leases/_c_<uuid>-lease-<seq>").
// A Semaphore value holds at most one lease; use one value per holder.
type Semaphore struct {
	c     *kazoo.Client
	o     *options
	path  string
	max   int
	mutex *contender // guards acquisition
	dir   string     // where leases live

	mu        sync.Mutex
	acquiring bool
	held      *ownership
}

// NewSemaphore returns a semaphore of maxLeases on path. Options:
// WithIdentifier, WithCurator, WithLossPolicy, WithSuspendGrace, WithLogger.
func NewSemaphore(c *kazoo.Client, path string, maxLeases int, opts ...Option) (*Semaphore, error) {
	o, err := newOptions("Semaphore", opts, "WithIdentifier", "WithCurator", "WithLossPolicy", "WithSuspendGrace", "WithLogger")
	if err != nil {
		return nil, err
	}
	if err := checkClient("Semaphore", c, path); err != nil {
		return nil, err
	}
	if maxLeases < 1 || maxLeases > 1<<30 {
		return nil, fmt.Errorf("recipe: Semaphore %s: max leases %d, want at least 1: %w", path, maxLeases, kazoo.ErrInvalidArgument)
	}
	s := &Semaphore{c: c, o: o, path: path, max: maxLeases, dir: path}
	if o.curator {
		s.mutex, s.dir = mutex(c, o, path+"/locks"), path+"/leases"
	} else {
		s.mutex = mutex(c, o, path+"-__lock__")
	}
	return s, nil
}

// Acquire waits until a lease is ours or ctx ends. Context then tells
// when the lease is lost or in doubt.
func (s *Semaphore) Acquire(ctx context.Context) error {
	_, err := s.acquire(ctx, true)
	return err
}

// TryAcquire takes a lease if one is free, and reports whether it did.
func (s *Semaphore) TryAcquire(ctx context.Context) (bool, error) {
	return s.acquire(ctx, false)
}

func (s *Semaphore) acquire(ctx context.Context, wait bool) (bool, error) {
	if err := checkClient("Semaphore", s.c, s.path); err != nil {
		return false, err
	}
	s.mu.Lock()
	if s.acquiring || s.held != nil {
		s.mu.Unlock()
		return false, ErrBusy
	}
	s.acquiring = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.acquiring = false
		s.mu.Unlock()
	}()
	if err := s.prepare(ctx); err != nil {
		return false, err
	}
	if ok, err := s.mutex.acquire(ctx, wait); !ok || err != nil {
		return false, err
	}
	defer s.mutex.release(context.WithoutCancel(ctx))
	own, err := s.lease(ctx, wait)
	if own == nil || err != nil {
		return false, err
	}
	s.mu.Lock()
	s.held = own
	s.mu.Unlock()
	return true, nil
}

// prepare creates the path, or checks the limit stored in it (kazoo).
func (s *Semaphore) prepare(ctx context.Context) error {
	if s.o.curator {
		return s.c.EnsurePath(ctx, s.dir)
	}
	limit := []byte(strconv.Itoa(s.max))
	_, _, err := s.c.Create(ctx, s.path, limit, kazoo.WithParents())
	if !errors.Is(err, kazoo.ErrNodeExists) {
		return err
	}
	data, _, err := s.c.Get(ctx, s.path)
	if err != nil || len(data) == 0 {
		return err
	}
	stored, perr := strconv.Atoi(string(data))
	switch {
	case perr != nil:
		return fmt.Errorf("recipe: Semaphore %s holds %q, not a limit: %w", s.path, data, ErrForeignLayout)
	case stored != s.max:
		return fmt.Errorf("recipe: Semaphore %s: limit %d, stored %d: %w", s.path, s.max, stored, ErrMaxLeases)
	}
	return nil
}

// lease takes a lease while holding the mutex: kazoo creates one only when
// fewer than max exist; Curator creates one, then waits until it is among
// the first max.
func (s *Semaphore) lease(ctx context.Context, wait bool) (*ownership, error) {
	var node string
	var stat kazoo.Stat
	var err error
	if s.o.curator {
		if node, stat, err = createProtected(ctx, s.c, s.dir, protectedPrefix()+"lease-", []byte(s.o.id), kazoo.ModeEphemeralSequential); err != nil {
			return nil, err
		}
	}
	for {
		// A session lost meanwhile took our lease node with it: the
		// listing in the new session says so (below).
		var kids []string
		var ch <-chan kazoo.Event
		err := untilNotTransient(ctx, func() (err error) {
			kids, _, ch, err = s.c.ChildrenW(ctx, s.dir)
			return err
		})
		if err != nil {
			return nil, s.giveUp(ctx, node, err)
		}
		if s.o.curator && !slices.Contains(kids, path.Base(node)) {
			return nil, fmt.Errorf("recipe: Semaphore %s: our lease node %s vanished: %w", s.path, node, ErrLost)
		}
		if s.o.curator && len(kids) <= s.max {
			return watchOwnership(s.c, s.o, node, stat), nil
		}
		if !s.o.curator && len(kids) < s.max {
			node, stat, err = createProtected(ctx, s.c, s.dir, newUUID(false), []byte(s.o.id), kazoo.ModeEphemeral)
			if err != nil {
				return nil, err
			}
			return watchOwnership(s.c, s.o, node, stat), nil
		}
		if !wait {
			return nil, s.giveUp(ctx, node, nil)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, s.giveUp(ctx, node, ctx.Err())
		}
	}
}

func (s *Semaphore) giveUp(ctx context.Context, node string, err error) error {
	if node != "" {
		_ = s.mutex.remove(ctx, node)
	}
	return err
}

// Release returns the lease, retrying through connection loss until ctx
// ends; it is forgotten only once its node is gone. Releasing a lease not
// held does nothing.
func (s *Semaphore) Release(ctx context.Context) error {
	s.mu.Lock()
	own := s.held
	s.mu.Unlock()
	if own == nil {
		return nil
	}
	own.cancel(ErrReleased)
	if err := deleteUntil(ctx, s.c, own.node, true); err != nil {
		return err
	}
	s.mu.Lock()
	if s.held == own {
		s.held = nil
	}
	s.mu.Unlock()
	return nil
}

// Context returns a context that ends when the lease is released, lost or
// in doubt (see Lock.Context).
func (s *Semaphore) Context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ownedContext(s.held)
}

// Holders returns the identifiers of the current lease holders.
func (s *Semaphore) Holders(ctx context.Context) ([]string, error) {
	kids, _, err := s.c.Children(ctx, s.dir)
	if errors.Is(err, kazoo.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return readAll(ctx, s.c, s.dir, kids)
}
