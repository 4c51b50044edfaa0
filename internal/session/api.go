package session

import (
	"context"
	"time"
)

// The methods of Call that package kazoo uses to run it: submit it, wait
// for it, and read what the API reports about it.

// Submit sends k on a live connection of its session, waiting for one
// (bounded by ctx) while disconnected; sync says the caller is about to
// block on the reply. See Session.submit.
func (k *Call) Submit(ctx context.Context, sync bool) error { return k.c.submit(ctx, k, sync) }

// Exec sends k and waits for its reply or ctx. On return the caller owns k
// unless Exec reports abandoned: then the reader recycles it later.
func (k *Call) Exec(ctx context.Context) (abandoned bool) { return k.c.exec(ctx, k) }

// SubmitAsync sends k, a future's call, without waiting: on the live
// connection of its session, or, while there is none, into the backlog
// that the next connection of its session sends first, in order (see
// Session.established). An error means k was not taken.
func (k *Call) SubmitAsync(ctx context.Context) error { return k.c.submitAsync(ctx, k) }

// Time marks k to be reported to the request hooks, if the client has
// any, once it completes.
func (k *Call) Time(ctx context.Context) {
	if k.c.hooks.request {
		k.hctx, k.start = ctx, time.Now()
	}
}

// Sent reports whether k was handed to a connection.
func (k *Call) Sent() bool { return k.cn.Load() != nil }

// CloseCause returns why the client is closing (ErrClosed, or the terminal
// cause) once Close was called or a terminal failure happened, else nil:
// what a closing client's calls meet is the close, not a failure.
func (k *Call) CloseCause() error {
	if !k.c.closing.Load() {
		return nil
	}
	return k.c.CloseCause()
}

// Flush writes what k's connection holds queued, if k is sent and not yet
// complete: its waiter is about to block (see package conn).
func (k *Call) Flush() {
	if cn := k.cn.Load(); cn != nil && !k.completed() {
		cn.Flush()
	}
}
