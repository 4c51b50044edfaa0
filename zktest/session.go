package zktest

import (
	"context"
	"errors"
	"fmt"

	"github.com/kazoo-go/kazoo"
)

// ExpireSession expires c's session on the server for real, the way a long
// partition would: it opens a second connection with the same session id and
// password, closes the session there, and waits until c has seen it (its
// state became Lost). c then opens a new session by itself.
func ExpireSession(ctx context.Context, c *kazoo.Client) error {
	sub := c.SubscribeStates()
	defer sub.Stop()
	addr := c.ConnectedServer()
	if addr == "" {
		return errors.New("zktest: ExpireSession needs a connected client")
	}
	id, passwd := c.SessionID(), c.SessionPassword()
	if err := expireSessionRaw(ctx, addr, id, passwd); err != nil {
		return err
	}
	for {
		select {
		case s, ok := <-sub.C():
			if !ok || s == kazoo.Closed {
				return fmt.Errorf("zktest: client closed while waiting for session 0x%x to expire", id)
			}
			if s == kazoo.Lost {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("zktest: waiting for the client to see session 0x%x expire: %w", id, ctx.Err())
		}
	}
}
