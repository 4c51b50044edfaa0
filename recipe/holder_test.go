package recipe

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestOwnershipPolicies(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	ctx := testCtx(t, 60*time.Second)
	for _, tc := range []struct {
		name   string
		opts   []Option
		expire bool  // expire the session instead of suspending
		want   error // cause; nil: survives the suspension
	}{
		{"standard/suspended", nil, false, ErrSuspended},
		{"standard-grace/short-suspension", []Option{WithSuspendGrace(time.Minute)}, false, nil},
		{"session/suspended", []Option{WithLossPolicy(SessionPolicy)}, false, nil},
		{"session/expired", []Option{WithLossPolicy(SessionPolicy)}, true, ErrLost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy, through := proxied(t, servers)
			c := zktest.Connect(t, through, kazoo.WithSessionTimeout(4*time.Second))
			o, err := newOptions("test", tc.opts, "WithSuspendGrace", "WithLossPolicy")
			if err != nil {
				t.Fatal(err)
			}
			node, st, err := createProtected(ctx, c, "/", "n", nil, kazoo.ModeEphemeralSequential)
			if err != nil {
				t.Fatal(err)
			}
			own := watchOwnership(c, o, node, st)
			defer own.cancel(ErrReleased)
			sub := c.SubscribeStates()
			defer sub.Stop()
			if tc.expire {
				if err := zktest.ExpireSession(ctx, c); err != nil {
					t.Fatal(err)
				}
			} else {
				proxy.ResetAll()
				for s := range sub.C() { // wait until the client was Suspended and is back
					if s == kazoo.Suspended {
						break
					}
				}
				for s := range sub.C() {
					if s == kazoo.Connected {
						break
					}
				}
			}
			if tc.want == nil {
				if err := context.Cause(own.ctx); err != nil {
					t.Fatalf("ownership ended (%v) on a suspension the policy tolerates", err)
				}
				return
			}
			select {
			case <-own.ctx.Done():
			case <-ctx.Done():
				t.Fatal("ownership did not end")
			}
			if cause := context.Cause(own.ctx); !errors.Is(cause, tc.want) {
				t.Fatalf("cause %v, want %v", cause, tc.want)
			}
		})
	}
}

func TestOptionsValidated(t *testing.T) {
	for _, opts := range [][]Option{
		{WithSuspendGrace(-time.Second)},
		{WithLossPolicy(LossPolicy(7))},
		{WithLogger(nil)},
		{nil},
		{WithCurator()}, // not allowed below
	} {
		if _, err := newOptions("test", opts, "WithSuspendGrace"); !errors.Is(err, kazoo.ErrInvalidArgument) {
			t.Errorf("newOptions accepted bad options: %v", err)
		}
	}
}
