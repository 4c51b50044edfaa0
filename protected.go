package kazoo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/kazoo-go/kazoo/internal/session"
)

// WithProtected makes Create protected, as Curator's protected mode: the
// node's name gets a "_c_<uuid>-" prefix unique to this option value, and
// when an earlier Create with the same option lost its reply (connection
// loss: the node may or may not exist), the next Create with it looks for
// the node carrying that prefix under the parent and returns it instead of
// creating another. Retrying a protected create is therefore safe, also for
// sequential modes:
//
//	protect := kazoo.WithProtected() // one per node to create
//	err := client.Retry(ctx, func(ctx context.Context) error {
//		p, _, err = client.Create(ctx, "/jobs/job-", nil, kazoo.WithMode(kazoo.ModeEphemeralSequential), protect)
//		return err
//	})
//
// Use a fresh WithProtected() for every node: the prefix identifies one
// node. Only Create supports it (not CreateAsync, not transactions).
func WithProtected() CreateOption {
	p := &protection{prefix: "_c_" + newUUID() + "-"}
	return func(o *createOptions) { o.protect = p }
}

// protection is the state of one WithProtected option.
type protection struct {
	prefix string
	lost   atomic.Bool // a create with it lost its reply: look before creating
}

// ErrUnsafeToRetry marks the connection loss of an operation that is not
// idempotent and may have been applied: a sequential create without
// WithProtected. IsRetryable is false for it, so Retry does not create a
// second node.
var ErrUnsafeToRetry = errors.New("a sequential create may have been applied before the connection was lost; retry only with kazoo.WithProtected")

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// protectedPath puts the prefix in front of the node's name.
func (p *protection) path(path string) string {
	i := strings.LastIndexByte(path, '/')
	return path[:i+1] + p.prefix + path[i+1:]
}

// find looks under the parent of path for the node a lost create with p
// made; ok is false when there is none.
func (c *Client) findProtected(ctx context.Context, p *protection, path string) (CreateResult, bool, error) {
	parent := session.ParentPath(path)
	children, _, err := c.Children(ctx, parent)
	if errors.Is(err, ErrNoNode) {
		return CreateResult{}, false, nil
	}
	if err != nil {
		return CreateResult{}, false, err
	}
	for _, name := range children {
		if strings.HasPrefix(name, p.prefix) {
			node := JoinPath(parent, name)
			ok, st, err := c.Exists(ctx, node)
			if err != nil || !ok {
				return CreateResult{}, false, err
			}
			return CreateResult{Path: node, Stat: st}, true, nil
		}
	}
	return CreateResult{}, false, nil
}

// createError adjusts a create's error for Retry: the connection loss of a
// sequential create that is not protected is unsafe to retry; that of a
// protected one is remembered, so that the next attempt looks first.
func createError(err error, o *createOptions) error {
	if !errors.Is(err, ErrConnectionLoss) {
		return err
	}
	switch {
	case o.protect != nil:
		o.protect.lost.Store(true)
	case o.mode.Sequential():
		var e *Error
		if errors.As(err, &e) {
			return &Error{Code: e.Code, Op: e.Op, Path: e.Path, Err: fmt.Errorf("%w: %w", ErrUnsafeToRetry, err)}
		}
	}
	return err
}
