package session

import (
	"context"

	"github.com/kazoo-go/kazoo/internal/conn"
)

// submitAsync sends k on the live connection of its session, or queues it
// in the backlog while there is none.
func (c *Session) submitAsync(ctx context.Context, k *Call) error {
	if l := c.live.Load(); l != nil && l.epoch == k.epoch {
		if err := c.sendOn(l.cn, k, false); err == nil || errorIsFinal(err) {
			return err
		}
	}
	if len(k.Append(nil))+12 > c.cfg.MaxPacket {
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
func (c *Session) unqueue(k *Call, err error) {
	c.mu.Lock()
	queued := k.queued
	k.queued = false
	c.mu.Unlock()
	if queued {
		k.Fail(err)
	}
}

// sendBacklog sends the backlog on cn, in order, or fails it with err when
// cn is nil (c.mu held).
func (c *Session) sendBacklog(cn *conn.Conn, epoch uint64, err error) {
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
		k.Fail(cause)
	}
}

// errorIsFinal reports whether a send error is the request's own fault:
// waiting for another connection would not help.
func errorIsFinal(err error) bool { return err == ErrDataTooLarge }
