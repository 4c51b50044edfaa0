package kazoo

import "sync"

// queue is an unbounded FIFO drained into a channel by its own goroutine,
// so that a producer on the connection's reader never blocks and a slow
// consumer never loses an item.
type queue[T any] struct {
	mu     sync.Mutex
	items  []T
	wake   chan struct{} // capacity 1
	out    chan T
	stop   chan struct{}
	closed bool // no more puts; drain what is queued, then close out
	done   chan struct{}
	once   sync.Once
}

func newQueue[T any]() *queue[T] {
	q := &queue[T]{
		wake: make(chan struct{}, 1),
		out:  make(chan T),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go q.pump()
	return q
}

// put queues v; it never blocks. It reports false after close.
func (q *queue[T]) put(v T) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// close stops accepting items; the consumer still receives what was queued,
// then sees the channel closed.
func (q *queue[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// cancel drops whatever is queued and stops at once; out is closed.
func (q *queue[T]) cancel() {
	q.mu.Lock()
	q.closed = true
	q.items = nil
	q.mu.Unlock()
	q.once.Do(func() { close(q.stop) })
	<-q.done
}

func (q *queue[T]) pump() {
	defer close(q.done)
	defer close(q.out)
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
				return
			}
			var zero T
			batch[i] = zero
		}
		if len(batch) > 0 {
			continue
		}
		if closed {
			return
		}
		select {
		case <-q.wake:
		case <-q.stop:
			return
		}
	}
}
