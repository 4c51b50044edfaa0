package kazoo

import "context"

// Future is the pending result of an asynchronous operation. Operations
// started from one goroutine while connected are sent, answered and
// completed in the order they were started.
//
// A Future is its call: starting an operation allocates nothing more.
type Future[T any] call

func (f *Future[T]) call() *call { return (*call)(f) }

// Done is closed when the result is ready.
func (f *Future[T]) Done() <-chan struct{} {
	k := f.call()
	k.watched()
	return k.doneChan()
}

// Result waits for the operation and returns its result.
func (f *Future[T]) Result() (T, error) {
	k := f.call()
	k.wait(context.Background())
	return k.extract.(func(*call) (T, error))(k)
}

// Wait returns the result, or ctx's error if ctx ends first (the operation
// itself goes on; its result is still available later).
func (f *Future[T]) Wait(ctx context.Context) (T, error) {
	k := f.call()
	if !k.wait(ctx) {
		var zero T
		return zero, ctx.Err()
	}
	return k.extract.(func(*call) (T, error))(k)
}

// start sends an async call and returns its future at once. While
// disconnected the call waits (bounded by ctx) on a goroutine of its own.
func start[T any](ctx context.Context, k *call, extract func(*call) (T, error)) *Future[T] {
	k.extract = extract
	f := (*Future[T])(k)
	c := k.c
	if k.err != nil {
		k.finish()
		return f
	}
	if l := c.live.Load(); l != nil && l.epoch == c.epoch.Load() {
		k.epoch = l.epoch
		k.cn.Store(l.cn)
		if l.cn.Send(k.op, k, k) == nil {
			return f
		}
	}
	go func() {
		if _, err := c.send(ctx, k, false); err != nil {
			k.fail(err)
		} else if k.passive.Load() == 1 {
			k.cn.Load().Hurry() // someone waits without reading (see call.watched)
		}
	}()
	return f
}

// run executes a pooled call synchronously and extracts its result.
func run[T any](ctx context.Context, k *call, extract func(*call) (T, error)) (T, error) {
	op, path := k.op, k.path // k is not ours to read once abandoned
	if k.c.exec(ctx, k) {
		var zero T
		return zero, clientError(op, path, ctx.Err())
	}
	v, err := extract(k)
	k.release()
	return v, err
}
