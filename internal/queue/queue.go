// Package queue is an unbounded FIFO drained into a channel by a goroutine
// of its own: the client's watch and state deliveries, which must never
// block the connection's reader nor drop an item for a slow consumer.
package queue

import "sync"

// Queue is an unbounded FIFO drained into a channel by its own goroutine,
// so that a producer on the connection's reader never blocks and a slow
// consumer never loses an item. The goroutine ends when the consumer has
// received everything after close, or at once with cancel or finish, so an
// abandoned consumer keeps nothing alive once its client is closed.
//
// The channel holds up to outBuffer items: Finish leaves there the items
// not yet received, up to that many, and the last one.
type Queue[T any] struct {
	mu     sync.Mutex
	items  []T
	wake   chan struct{} // capacity 1
	out    chan T        // capacity outBuffer: see Finish
	stop   chan struct{}
	closed bool // no more puts; drain what is queued, then close out
	done   chan struct{}
	once   sync.Once // stops the pump
	shut   sync.Once // closes out
}

// New returns a Queue whose goroutine is running.
func New[T any]() *Queue[T] {
	q := &Queue[T]{
		wake: make(chan struct{}, 1),
		out:  make(chan T, outBuffer),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go q.pump()
	return q
}

// Put queues v; it never blocks. It reports false after close.
func (q *Queue[T]) Put(v T) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, v)
	q.mu.Unlock()
	q.signal()
	return true
}

// Len returns how many items wait to be received: queued, and in the
// channel.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) + len(q.out)
}

func (q *Queue[T]) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Close stops accepting items; the consumer still receives what was queued,
// then sees the channel closed.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// Out returns the channel the items are delivered on.
func (q *Queue[T]) Out() <-chan T { return q.out }

// outBuffer is the capacity of a queue's channel.
const outBuffer = 16

// Cancel drops whatever is queued and stops at once; out is closed.
func (q *Queue[T]) Cancel() {
	q.halt()
	q.mu.Lock()
	q.items = nil
	q.mu.Unlock()
	q.shut.Do(func() { close(q.out) })
}

// Finish ends the queue without waiting for the consumer: the items not yet
// received stay in the channel as far as it has room (the oldest dropped
// first), then last, then the channel is closed, and the goroutine ends now.
func (q *Queue[T]) Finish(last T) {
	rest := q.halt()
	q.shut.Do(func() {
		for _, v := range rest {
			if len(q.out) >= cap(q.out)-1 {
				break // the consumer is that far behind: keep room for last
			}
			q.out <- v
		}
		if len(q.out) == cap(q.out) {
			select {
			case <-q.out: // full: the oldest makes room for last
			default:
			}
		}
		q.out <- last // room: the pump has stopped, nothing else sends
		close(q.out)
	})
}

// halt stops the pump and returns what it had not delivered.
func (q *Queue[T]) halt() []T {
	q.once.Do(func() { close(q.stop) })
	<-q.done
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	rest := q.items
	q.items = nil
	return rest
}

func (q *Queue[T]) pump() {
	defer close(q.done)
	var batch []T
	for {
		q.mu.Lock()
		batch, q.items = q.items, batch[:0]
		closed := q.closed
		q.mu.Unlock()
		for i, v := range batch {
			select {
			case q.out <- v:
			case <-q.stop:
				q.mu.Lock()
				q.items = append(batch[i:], q.items...)
				q.mu.Unlock()
				return
			}
			var zero T
			batch[i] = zero
		}
		if len(batch) > 0 {
			continue
		}
		if closed {
			q.shut.Do(func() { close(q.out) })
			return
		}
		select {
		case <-q.wake:
		case <-q.stop:
			return
		}
	}
}
