package goclients

import (
	"context"
	"fmt"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/bench/internal/workload"
)

// oursSync runs every workload through kazoo's synchronous API, with
// goroutines for concurrency.
type oursSync struct {
	c     *kazoo.Client
	ctx   context.Context
	chans []<-chan kazoo.Event // watches left by SetWatches
}

func dialOurs(addr string) (*oursSync, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kazoo.Connect(ctx, addr, kazoo.WithSessionTimeout(sessionTimeout))
	if err != nil {
		return nil, err
	}
	return &oursSync{c: c, ctx: context.Background()}, nil
}

func dialOursSync(addr string) (workload.Runner, error) { return dialOurs(addr) }

func (o *oursSync) Close() error { return o.c.Close() }

func (o *oursSync) SeqGet(b *workload.Budget, path string, lat []time.Duration) (int, error) {
	for i := range lat {
		if b.Expired() {
			return i, nil
		}
		t := time.Now()
		if _, _, err := o.c.Get(o.ctx, path); err != nil {
			return i, err
		}
		lat[i] = time.Since(t)
	}
	return len(lat), nil
}

func (o *oursSync) Read(b *workload.Budget, path string, ops, inflight int) (int, error) {
	return parallel(b, ops, inflight, func(int) error {
		_, _, err := o.c.Get(o.ctx, path)
		return err
	})
}

func (o *oursSync) CreateDelete(b *workload.Budget, prefix string, ops, inflight int) (int, error) {
	mode := kazoo.WithMode(kazoo.ModeEphemeralSequential)
	n, err := parallel(b, ops/2, inflight, func(int) error {
		p, _, err := o.c.Create(o.ctx, prefix, nil, mode)
		if err != nil {
			return err
		}
		return o.c.Delete(o.ctx, p, kazoo.AnyVersion)
	})
	return 2 * n, err
}

// SetWatches uses GetW from goroutines: kazoo has no asynchronous form of
// the watching reads, so ours-async sets watches this way too.
func (o *oursSync) SetWatches(b *workload.Budget, paths []string, inflight int) error {
	o.chans = make([]<-chan kazoo.Event, len(paths))
	n, err := parallel(b, len(paths), inflight, func(i int) error {
		_, _, ch, err := o.c.GetW(o.ctx, paths[i])
		o.chans[i] = ch
		return err
	})
	if err == nil && n < len(paths) {
		err = fmt.Errorf("set %d of %d watches before the timeout", n, len(paths))
	}
	return err
}

func (o *oursSync) FireWatches(paths []string, batch int) (int, error) {
	data := []byte("x")
	for start := 0; start < len(paths); start += batch {
		t := o.c.Txn()
		for _, p := range paths[start:min(start+batch, len(paths))] {
			t.Set(p, data, kazoo.AnyVersion)
		}
		if _, err := t.Commit(o.ctx); err != nil {
			return 0, fmt.Errorf("multi: %w", err)
		}
	}
	deadline, stop := timer(eventWait)
	defer stop()
	for i, ch := range o.chans {
		select {
		case ev := <-ch:
			if ev.Type != kazoo.EventNodeDataChanged {
				return i, fmt.Errorf("event %v on %s, want NodeDataChanged", ev.Type, ev.Path)
			}
		case <-deadline:
			return i, errEventTimeout
		}
	}
	n := len(o.chans)
	o.chans = nil
	return n, nil
}

// oursAsync runs the reads and writes through kazoo's futures from a
// single goroutine, waiting for the oldest request before issuing the next
// (results complete in request order).
type oursAsync struct{ *oursSync }

func dialOursAsync(addr string) (workload.Runner, error) {
	o, err := dialOurs(addr)
	if err != nil {
		return nil, err
	}
	return oursAsync{o}, nil
}

func (o oursAsync) SeqGet(b *workload.Budget, path string, lat []time.Duration) (int, error) {
	for i := range lat {
		if b.Expired() {
			return i, nil
		}
		t := time.Now()
		if _, err := o.c.GetAsync(o.ctx, path).Result(); err != nil {
			return i, err
		}
		lat[i] = time.Since(t)
	}
	return len(lat), nil
}

func (o oursAsync) Read(b *workload.Budget, path string, ops, inflight int) (int, error) {
	ring := make([]*kazoo.Future[kazoo.GetResult], max(min(inflight, ops), 1))
	issued, done := 0, 0
	for ; issued < len(ring) && issued < ops; issued++ {
		ring[issued] = o.c.GetAsync(o.ctx, path)
	}
	for head := 0; done < issued; head = (head + 1) % len(ring) {
		if _, err := ring[head].Result(); err != nil {
			drain(ring, head, issued-done)
			return done, err
		}
		done++
		ring[head] = nil
		if issued < ops && !b.Expired() {
			ring[head] = o.c.GetAsync(o.ctx, path)
			issued++
		}
	}
	return done, nil
}

// drain waits for the n futures from head on, so that no request of a
// failed loop is still running when the next one starts.
func drain[T any](ring []*kazoo.Future[T], head, n int) {
	for i := range n {
		if f := ring[(head+i)%len(ring)]; f != nil {
			f.Result()
		}
	}
}

// cdSlot is one request of the create/delete pipeline: a create or the
// delete of the node it created.
type cdSlot struct {
	create *kazoo.Future[kazoo.CreateResult]
	del    *kazoo.Future[struct{}]
}

func (o oursAsync) CreateDelete(b *workload.Budget, prefix string, ops, inflight int) (int, error) {
	mode := kazoo.WithMode(kazoo.ModeEphemeralSequential)
	pairs := ops / 2
	ring := make([]cdSlot, max(min(inflight, pairs), 1))
	creates, pending, done := 0, 0, 0
	var firstErr error
	for ; creates < len(ring) && creates < pairs; creates++ {
		ring[creates].create = o.c.CreateAsync(o.ctx, prefix, nil, mode)
		pending++
	}
	// Each slot alternates create, delete, create...: the slot at head
	// always holds the oldest request. Every created node is deleted, so
	// a run ends with 2 operations per create.
	for head := 0; pending > 0; head = (head + 1) % len(ring) {
		s := &ring[head]
		switch {
		case s.create != nil:
			r, err := s.create.Result()
			s.create = nil
			pending--
			if err != nil {
				firstErr = cmpErr(firstErr, err)
				continue
			}
			done++
			s.del = o.c.DeleteAsync(o.ctx, r.Path, kazoo.AnyVersion)
			pending++
		case s.del != nil:
			_, err := s.del.Result()
			s.del = nil
			pending--
			if err != nil {
				firstErr = cmpErr(firstErr, err)
				continue
			}
			done++
			if firstErr == nil && creates < pairs && !b.Expired() {
				s.create = o.c.CreateAsync(o.ctx, prefix, nil, mode)
				creates++
				pending++
			}
		}
	}
	return done, firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
