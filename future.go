package kazoo

import (
	"context"
	"fmt"

	"github.com/kazoo-go/kazoo/internal/conn"
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
// disconnected the call joins the client's backlog, which the next
// connection of its session sends first, in order (see Client.established).
func start[T any](ctx context.Context, k *call, extract func(*call) (T, error)) *Future[T] {
	k.extract = extract
	f := (*Future[T])(k)
	c := k.c
	if k.err == nil && ctx == nil {
		k.err = errNilContext
	}
	if ctx != nil {
		c.timeRequest(ctx, k)
	}
	if k.err == nil {
		k.err = ctx.Err() // nothing is sent for a context already done
	}
	if k.err == nil {
		// Once submitted, k belongs to the connection or the backlog.
		if err := c.submitAsync(ctx, k); err != nil {
			k.fail(err)
		}
		return f
	}
	k.finish()
	return f
}

// submitAsync sends k on the live connection of its session, or queues it
// in the backlog while there is none.
func (c *Client) submitAsync(ctx context.Context, k *call) error {
	if l := c.live.Load(); l != nil && l.epoch == k.epoch {
		if err := c.sendOn(l.cn, k, false); err == nil || errorIsFinal(err) {
			return err
		}
	}
	if len(k.Append(nil))+12 > c.opts.maxPacket {
		return ErrDataTooLarge // no connection would take it
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closeErr != nil:
		return c.closeErr
	case c.epoch.Load() != k.epoch:
		return ErrSessionExpired
	}
	if l := c.live.Load(); l != nil && l.epoch == k.epoch {
		// Live since the first look: the backlog was sent before it was
		// published, so this call comes after it.
		return c.sendOn(l.cn, k, false)
	}
	k.queued = true
	k.stop = context.AfterFunc(ctx, func() { c.unqueue(k, ctx.Err()) })
	c.backlog = append(c.backlog, k)
	return nil
}

// unqueue fails a backlog call with err, unless it was sent meanwhile.
func (c *Client) unqueue(k *call, err error) {
	c.mu.Lock()
	queued := k.queued
	k.queued = false
	c.mu.Unlock()
	if queued {
		k.fail(err)
	}
}

// sendBacklog sends the backlog on cn, in order, or fails it with err when
// cn is nil (c.mu held).
func (c *Client) sendBacklog(cn *conn.Conn, epoch uint64, err error) {
	backlog := c.backlog
	c.backlog = nil
	for _, k := range backlog {
		if !k.queued {
			continue // its context ended
		}
		k.queued = false
		k.stop()
		cause := err
		if cause == nil && k.epoch != epoch {
			cause = ErrSessionExpired
		}
		if cause == nil {
			if cause = c.sendOn(cn, k, false); cause == nil {
				continue
			}
		}
		k.fail(cause)
	}
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
	k.c.timeRequest(ctx, k)
	if k.c.exec(ctx, k) {
		var zero T
		return zero, clientError(op, path, fmt.Errorf("%w: %w", ctx.Err(), ErrOutcomeUnknown))
	}
	v, err := extract(k)
	k.release()
	return v, err
}
