package kazoo

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how Client.Retry repeats an operation, like kazoo's
// KazooRetry. The zero value tries once.
type RetryPolicy struct {
	MaxTries     int           // total attempts; 0 or 1: no retry; -1: until Deadline or ctx ends
	Delay        time.Duration // pause before the second attempt
	Backoff      float64       // multiplier per attempt (>= 1; 0 means 2)
	Jitter       float64       // random fraction added to or removed from each pause, 0 to 1
	MaxDelay     time.Duration // cap on one pause; 0: no cap
	Deadline     time.Duration // give up after this long overall; 0: none
	RetryExpired bool          // also retry after session expiry (the client opens a new session)
}

// DefaultRetry retries transient errors up to 5 times over about 3 seconds.
var DefaultRetry = RetryPolicy{MaxTries: 5, Delay: 100 * time.Millisecond, Backoff: 2, Jitter: 0.2, MaxDelay: 2 * time.Second}

// ErrRetriesExhausted wraps the last error when a RetryPolicy gives up.
var ErrRetriesExhausted = errors.New("retries exhausted")

// Retry calls fn until it succeeds, returns an error that is not transient
// (see IsRetryable), the policy gives up, or ctx ends. The error returned
// when giving up wraps both ErrRetriesExhausted and fn's last error.
func (p RetryPolicy) Retry(ctx context.Context, fn func(ctx context.Context) error) error {
	backoff := p.Backoff
	if backoff < 1 {
		backoff = 2
	}
	var deadline time.Time
	if p.Deadline > 0 {
		deadline = time.Now().Add(p.Deadline)
	}
	delay := p.Delay
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		retryable := IsRetryable(err) || (p.RetryExpired && errors.Is(err, ErrSessionExpired))
		if !retryable {
			return err
		}
		if p.MaxTries >= 0 && attempt >= max(p.MaxTries, 1) {
			return errors.Join(ErrRetriesExhausted, err)
		}
		pause := delay
		if p.Jitter > 0 {
			pause = time.Duration(float64(pause) * (1 + p.Jitter*(2*rand.Float64()-1)))
		}
		if p.MaxDelay > 0 && pause > p.MaxDelay {
			pause = p.MaxDelay
		}
		if !deadline.IsZero() && time.Now().Add(pause).After(deadline) {
			return errors.Join(ErrRetriesExhausted, err)
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(ctx.Err(), err)
		case <-t.C:
		}
		delay = time.Duration(float64(delay) * backoff)
		if p.MaxDelay > 0 && delay > p.MaxDelay {
			delay = p.MaxDelay
		}
	}
}

// Retry runs fn under the client's retry policy (WithRetry, default
// DefaultRetry).
func (c *Client) Retry(ctx context.Context, fn func(ctx context.Context) error) error {
	return c.opts.retry.Retry(ctx, fn)
}
