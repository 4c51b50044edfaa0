package recipe

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/kazoo-go/kazoo"
)

// Option configures a recipe. Options that a recipe does not use are
// refused with an error naming them.
type Option func(*options) error

type options struct {
	id      string
	curator bool
	policy  LossPolicy
	grace   time.Duration
	log     *slog.Logger
	set     map[string]bool // which options were given, for per-recipe checks
}

// LossPolicy says when a holder (of a lock, a lease of a semaphore,
// leadership) is told that its ownership is in doubt.
type LossPolicy int

const (
	// StandardPolicy ends ownership when the session is lost and when the
	// connection stays Suspended (or ReadOnly) longer than the grace period
	// (WithSuspendGrace, default 0), like Curator's standard connection
	// state error policy. With a grace below a third of the session timeout
	// the holder is told before the server can expire the session and admit
	// another holder. This is the default.
	StandardPolicy LossPolicy = iota
	// SessionPolicy ends ownership only when the session is lost, like
	// Curator's session-based policy: a holder cut off from the servers
	// believes it owns the lock until its client declares the session lost,
	// which may be after another holder was admitted.
	SessionPolicy
)

// WithIdentifier sets the text stored in the recipe's node (kazoo's
// identifier), which Contenders and Leader report. Default: empty.
func WithIdentifier(id string) Option {
	return func(o *options) error { o.id = id; return o.mark("WithIdentifier") }
}

// WithCurator selects Curator's znode layout instead of kazoo's, so that
// the recipe excludes Curator's recipe of the same kind on the same path
// (kazoo's and Curator's recipes are blind to each other).
func WithCurator() Option {
	return func(o *options) error { o.curator = true; return o.mark("WithCurator") }
}

// WithLossPolicy sets when ownership ends (default StandardPolicy).
func WithLossPolicy(p LossPolicy) Option {
	return func(o *options) error {
		if p != StandardPolicy && p != SessionPolicy {
			return fmt.Errorf("recipe: unknown LossPolicy %d: %w", p, kazoo.ErrInvalidArgument)
		}
		o.policy = p
		return o.mark("WithLossPolicy")
	}
}

// WithSuspendGrace sets how long StandardPolicy tolerates a Suspended
// connection before ending ownership (default 0: at once). Keep it well
// below a third of the session timeout: the client notices a dead
// connection two thirds of the session timeout after last hearing from
// the server, which may expire the session at the full timeout.
func WithSuspendGrace(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("recipe: negative suspend grace %v: %w", d, kazoo.ErrInvalidArgument)
		}
		o.grace = d
		return o.mark("WithSuspendGrace")
	}
}

// WithLogger makes the recipe log ownership changes to l (default: silent).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("recipe: nil logger: %w", kazoo.ErrInvalidArgument)
		}
		o.log = l
		return o.mark("WithLogger")
	}
}

func (o *options) mark(name string) error {
	if o.set == nil {
		o.set = map[string]bool{}
	}
	o.set[name] = true
	return nil
}

// newOptions applies opts, refusing any option that the recipe named what
// does not take (allowed lists the ones it does).
func newOptions(what string, opts []Option, allowed ...string) (*options, error) {
	o := &options{log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("recipe: %s: nil Option: %w", what, kazoo.ErrInvalidArgument)
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	for name := range o.set {
		if !contains(allowed, name) {
			return nil, fmt.Errorf("recipe: %s does not take %s: %w", what, name, kazoo.ErrInvalidArgument)
		}
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkClient refuses a nil or closed client and an invalid path before
// anything is sent.
func checkClient(what string, c *kazoo.Client, path string) error {
	if c == nil {
		return fmt.Errorf("recipe: %s: nil client: %w", what, kazoo.ErrInvalidArgument)
	}
	if c.State() == kazoo.Closed {
		return fmt.Errorf("recipe: %s %q: %w", what, path, kazoo.ErrClosed)
	}
	if path == "/" {
		return fmt.Errorf("recipe: %s: the root cannot hold a recipe: %w", what, kazoo.ErrInvalidPath)
	}
	if err := kazoo.ValidatePath(path); err != nil {
		return fmt.Errorf("recipe: %s %q: %w", what, path, err)
	}
	return nil
}
