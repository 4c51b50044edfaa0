package recipe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kazoo-go/kazoo"
)

// newUUID returns a random (version 4) UUID: 32 lowercase hex digits as
// kazoo writes it (uuid4().hex), or dashed (36 characters) as Curator does.
func newUUID(dashed bool) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	if !dashed {
		return h
	}
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// protectedPrefix returns Curator's protected name prefix, "_c_<uuid>-":
// a node whose name starts with it can be recognised as ours after a
// connection loss hid the create's answer.
func protectedPrefix() string { return "_c_" + newUUID(true) + "-" }

// createProtected creates parent/name (name must start with a prefix unique
// to this call, such as protectedPrefix or kazoo's uuid) with mode, and
// returns the created path and its Stat (read back on servers before 3.5,
// whose create answers without one).
//
// A create whose answer is lost (connection loss, session expiry) may still
// have happened. Rather than create a second node, it then lists parent and
// adopts the child whose name starts with name: an ephemeral one only when
// it belongs to the client's current session (a node of an earlier session
// of ours dies with that session, and is deleted now so that nobody waits
// for it). It retries until ctx ends or a non-transient error; nothing is
// left behind when it fails.
func createProtected(ctx context.Context, c *kazoo.Client, parent, name string, data []byte, mode kazoo.CreateMode) (string, kazoo.Stat, error) {
	ephemeral := mode == kazoo.ModeEphemeral || mode == kazoo.ModeEphemeralSequential
	full := kazoo.JoinPath(parent, name)
	if err := kazoo.ValidatePath(full); err != nil {
		return "", kazoo.Stat{}, fmt.Errorf("recipe: %q: %w", full, err)
	}
	delay := minDelay
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			p, st, found, err := findOwn(ctx, c, parent, name, func(st kazoo.Stat) bool {
				return !ephemeral || st.EphemeralOwner == c.SessionID()
			})
			if err == nil && found {
				return p, st, nil
			}
			if err != nil && !retryable(err) {
				return "", kazoo.Stat{}, err
			}
			if err != nil {
				if !pause(ctx, &delay) {
					return "", kazoo.Stat{}, context.Cause(ctx)
				}
				continue
			}
		}
		p, st, err := c.Create(ctx, full, data, kazoo.WithMode(mode))
		if err == nil && st.Czxid == 0 { // servers before 3.5 return no Stat
			var ok bool
			if ok, st, err = c.Exists(ctx, p); err == nil && !ok {
				err = fmt.Errorf("recipe: %s vanished after its creation: %w", p, kazoo.ErrNoNode)
			}
			if err != nil {
				_ = cleanup(ctx, c, func(ctx context.Context) error { return deleteUntil(ctx, c, p, ephemeral) })
				return "", kazoo.Stat{}, err
			}
		}
		if err == nil {
			return p, st, nil
		}
		// A lost sequential create is unsafe to retry for the client
		// (ErrUnsafeToRetry); here the next attempt adopts it instead.
		if !(retryable(err) || errors.Is(err, kazoo.ErrUnsafeToRetry)) || ctx.Err() != nil {
			if ctx.Err() != nil {
				// The create may have happened: remove it, as far as we can.
				_ = cleanup(ctx, c, func(ctx context.Context) error {
					_, _, _, err := findOwn(ctx, c, parent, name, func(kazoo.Stat) bool { return false })
					return err
				})
			}
			return "", kazoo.Stat{}, err
		}
	}
}

// findOwn looks for the child of parent whose name starts with prefix and
// returns it if keep accepts its Stat; one that keep rejects is deleted.
func findOwn(ctx context.Context, c *kazoo.Client, parent, prefix string, keep func(kazoo.Stat) bool) (string, kazoo.Stat, bool, error) {
	children, _, err := c.Children(ctx, parent)
	if err != nil {
		return "", kazoo.Stat{}, false, err
	}
	for _, ch := range children {
		if !strings.HasPrefix(ch, prefix) {
			continue
		}
		p := kazoo.JoinPath(parent, ch)
		ok, st, err := c.Exists(ctx, p)
		if err != nil || !ok {
			return "", kazoo.Stat{}, false, err
		}
		if keep(st) {
			return p, st, true, nil
		}
		if err := c.Delete(ctx, p, kazoo.AnyVersion); err != nil && !errors.Is(err, kazoo.ErrNoNode) {
			return "", kazoo.Stat{}, false, err
		}
	}
	return "", kazoo.Stat{}, false, nil
}

// retryable reports whether an operation may succeed if repeated: a
// transient error, or the expiry of the session it was sent in (the client
// opens a new one by itself).
func retryable(err error) bool {
	return kazoo.IsRetryable(err) || errors.Is(err, kazoo.ErrSessionExpired)
}

// pause sleeps for *delay (doubling it up to a second) or until ctx ends,
// and reports whether ctx is still live.
func pause(ctx context.Context, delay *time.Duration) bool {
	t := time.NewTimer(*delay)
	defer t.Stop()
	*delay = min(*delay*2, time.Second)
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// cleanup runs fn, retrying transient errors, with a context that outlives
// the caller's (which may be cancelled: that is often why we clean up) but
// gives up after twice the session timeout: by then an ephemeral node of a
// session we cannot reach has expired with it.
func cleanup(parent context.Context, c *kazoo.Client, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 2*c.SessionTimeout())
	defer cancel()
	delay := minDelay
	for {
		err := fn(ctx)
		if err == nil || !retryable(err) {
			return err
		}
		if !pause(ctx, &delay) {
			return err
		}
	}
}

// minDelay is the first pause between retries.
const minDelay = 10 * time.Millisecond

// deleteUntil deletes node, retrying through connection loss until ctx
// ends (guaranteed delete); a node already gone is fine, and so is an
// ephemeral node whose delete the server refused because the session
// expired: the node dies with it. (A client can be told so on every call
// while still reporting Connected: retrying then would never end.)
func deleteUntil(ctx context.Context, c *kazoo.Client, node string, ephemeral bool) error {
	delay := minDelay
	for {
		err := c.Delete(ctx, node, kazoo.AnyVersion)
		if err == nil || errors.Is(err, kazoo.ErrNoNode) || (ephemeral && errors.Is(err, kazoo.ErrSessionExpired)) {
			return nil
		}
		if !retryable(err) || !pause(ctx, &delay) {
			return fmt.Errorf("recipe: releasing %s: %w", node, err)
		}
	}
}
