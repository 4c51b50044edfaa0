package cache

import "sync"

// latest calls fn with the newest value on a goroutine of its own: values
// put while fn runs replace one another, so a slow fn sees the current
// value next rather than a backlog. fn returning false ends the calls and
// calls stop.
type latest[T any] struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending *T
	closed  bool
	calling bool
	done    chan struct{}
}

func newLatest[T any](fn func(T) bool, stop func(), log func(panic any)) *latest[T] {
	l := &latest[T]{done: make(chan struct{})}
	l.cond = sync.NewCond(&l.mu)
	go func() {
		defer close(l.done)
		for {
			l.mu.Lock()
			for l.pending == nil && !l.closed {
				l.cond.Wait()
			}
			if l.closed {
				l.mu.Unlock()
				return
			}
			v := *l.pending
			l.pending, l.calling = nil, true
			l.mu.Unlock()
			more := call(fn, v, log)
			l.mu.Lock()
			l.calling = false
			l.mu.Unlock()
			if !more {
				stop()
				return
			}
		}
	}()
	return l
}

func (l *latest[T]) put(v T) {
	l.mu.Lock()
	l.pending = &v
	l.cond.Signal()
	l.mu.Unlock()
}

// close ends the calls; it waits for the goroutine unless fn is running
// (fn may be what closes), and reports whether it waited.
func (l *latest[T]) close() bool {
	l.mu.Lock()
	l.closed = true
	l.cond.Signal()
	calling := l.calling
	l.mu.Unlock()
	if !calling {
		<-l.done
	}
	return !calling
}

// call runs fn(v); a panic is reported through log and counts as "go on".
func call[T any](fn func(T) bool, v T, log func(any)) (more bool) {
	defer func() {
		if r := recover(); r != nil {
			log(r)
			more = true
		}
	}()
	return fn(v)
}
