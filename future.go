package kazoo

import (
	"context"
	"fmt"
)

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
	if cn := k.cn.Load(); cn != nil && !k.completed() {
		cn.Flush() // its waiter is about to block
	}
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
	if ctx == nil {
		var zero T
		return zero, clientError(k.op, k.path, errNilContext)
	}
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
	if k.err == nil && ctx == nil {
		k.err = errNilContext
	}
	if k.err == nil {
		k.err = ctx.Err() // nothing is sent for a context already done
	}
	if k.err != nil {
		k.finish()
		return f
	}
	if l := c.live.Load(); l != nil && l.epoch == k.epoch {
		err := c.sendOn(l.cn, k, false)
		if err == nil {
			return f
		}
		if k.err = err; errorIsFinal(err) {
			k.finish()
			return f
		}
		k.err = nil
	}
	go func() {
		if err := c.submit(ctx, k, false); err != nil {
			k.fail(err)
		}
	}()
	return f
}

// errorIsFinal reports whether a send error is the request's own fault:
// waiting for another connection would not help.
func errorIsFinal(err error) bool { return err == ErrDataTooLarge }

// run executes a pooled call synchronously and extracts its result.
func run[T any](ctx context.Context, k *call, extract func(*call) (T, error)) (T, error) {
	op, path := k.op, k.path // k is not ours to read once abandoned
	if ctx == nil {
		k.release()
		var zero T
		return zero, clientError(op, path, errNilContext)
	}
	if k.c.exec(ctx, k) {
		var zero T
		return zero, clientError(op, path, fmt.Errorf("%w: the request was sent; its outcome is unknown", ctx.Err()))
	}
	v, err := extract(k)
	k.release()
	return v, err
}
