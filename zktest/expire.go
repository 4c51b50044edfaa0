package zktest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kazoo-go/kazoo/internal/rawclient"
)

// expireSessionRaw ends session id on the server for real: it resumes the
// session on a second connection with the same id and password (the server
// then drops the session's other connection) and closes it, waiting for the
// server's answer. When it returns nil the session and its ephemeral nodes
// are gone, and a client resuming it is told it expired.
//
// A session that is already expired is not an error; nor, since the server
// answers both alike, is a wrong password.
func expireSessionRaw(ctx context.Context, addr string, id int64, passwd []byte) error {
	// The timeout asked for does not matter: the session is closed at once.
	c, err := rawclient.Dial(ctx, addr, 10*time.Second, rawclient.WithSession(id, passwd))
	if errors.Is(err, rawclient.ErrSessionExpired) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("zktest: expiring session 0x%x: %w", id, err)
	}
	// Call has its own timeout; ctx ending must abort it too.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	// The server may drop the connection instead of answering closeSession:
	// the session is closed either way.
	if err := c.CloseSession(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("zktest: expiring session 0x%x: %w", id, err)
	}
	return nil
}
