package kazoo

import (
	"context"
	"errors"
	"fmt"

	"github.com/kazoo-go/kazoo/internal/session"
	"github.com/kazoo-go/kazoo/proto"
)

// Future is the pending result of an asynchronous operation. Operations
// started from one goroutine while connected are sent, answered and
// completed in the order they were started.
//
// A Future is its call: starting an operation allocates nothing more.
type Future[T any] session.Call

func (f *Future[T]) call() *session.Call { return (*session.Call)(f) }

// Done is closed when the result is ready.
func (f *Future[T]) Done() <-chan struct{} {
	k := f.call()
	k.Flush() // its waiter is about to block
	return k.DoneChan()
}

// Result waits for the operation and returns its result.
func (f *Future[T]) Result() (T, error) {
	k := f.call()
	k.Wait(context.Background())
	return k.Extract.(func(*session.Call) (T, error))(k)
}

// Wait returns the result, or ctx's error if ctx ends first (the operation
// itself goes on; its result is still available later).
func (f *Future[T]) Wait(ctx context.Context) (T, error) {
	k := f.call()
	if ctx == nil {
		var zero T
		return zero, clientError(k.Op, k.Path, errNilContext)
	}
	if !k.Wait(ctx) {
		var zero T
		return zero, ctx.Err()
	}
	return k.Extract.(func(*session.Call) (T, error))(k)
}

// start submits an async call and returns its future at once. While
// disconnected the engine keeps the call in its backlog, which the next
// connection of its session sends first, in order.
func start[T any](ctx context.Context, k *session.Call, extract func(*session.Call) (T, error)) *Future[T] {
	k.Extract = extract
	f := (*Future[T])(k)
	if k.Err == nil && ctx == nil {
		k.Err = errNilContext
	}
	if ctx != nil {
		k.Time(ctx)
	}
	if k.Err == nil {
		k.Err = ctx.Err() // nothing is sent for a context already done
	}
	if k.Err == nil {
		// Once submitted, k belongs to the connection or the backlog.
		if err := k.SubmitAsync(ctx); err != nil {
			k.Fail(err)
		}
		return f
	}
	k.Finish()
	return f
}

// run executes a pooled call synchronously and extracts its result.
func run[T any](ctx context.Context, k *session.Call, extract func(*session.Call) (T, error)) (T, error) {
	op, path := k.Op, k.Path // k is not ours to read once abandoned
	if ctx == nil {
		k.Release()
		var zero T
		return zero, clientError(op, path, errNilContext)
	}
	k.Time(ctx)
	if k.Exec(ctx) {
		var zero T
		return zero, clientError(op, path, fmt.Errorf("%w: %w", ctx.Err(), ErrOutcomeUnknown))
	}
	v, err := extract(k)
	k.Release()
	return v, err
}

// result returns the call's error as the API reports it.
func result(k *session.Call) error {
	gone := k.Code == proto.CodeSessionExpired || k.Code == proto.CodeUnknownSession
	if k.Err != nil || gone {
		if cause := k.CloseCause(); cause != nil {
			// What a closing client's calls meet (the server dropping the
			// connection, or answering "expired" or "unknown session" after
			// closeSession) is the close, not a failure.
			if _, ok := k.Err.(*Error); !ok || gone {
				return clientError(k.Op, k.Path, cause)
			}
		}
	}
	if k.Err != nil {
		var e *Error
		if errors.As(k.Err, &e) {
			return k.Err
		}
		if code, ok := k.Err.(codeError); ok {
			return &Error{Code: proto.Code(code), Op: k.Op.String(), Path: k.Path}
		}
		return &Error{Code: k.Code, Op: k.Op.String(), Path: k.Path, Err: k.Err}
	}
	if k.Code != proto.CodeOK {
		return opError(k.Op, k.Path, k.Code)
	}
	return nil
}
