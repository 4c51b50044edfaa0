package zktest

import (
	"errors"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/internal/rawclient"
	"github.com/kazoo-go/kazoo/proto"
)

func TestExpireSessionRaw(t *testing.T) {
	srv := Shared(t)
	root := srv.Chroot(t)[len(srv.Addr()):]
	victim := dial(t, srv.Addr())
	observer := dial(t, srv.Addr())
	eph := root + "/eph"
	if _, err := victim.Create(eph, nil, proto.FlagEphemeral); err != nil {
		t.Fatal(err)
	}

	ctx := ctxTimeout(t, 10*time.Second)
	if err := expireSessionRaw(ctx, srv.Addr(), victim.SessionID(), victim.Password()); err != nil {
		t.Fatal(err)
	}
	// Gone at once, not after the session timeout.
	if _, _, err := observer.Get(eph); !rawclient.IsCode(err, proto.CodeNoNode) {
		t.Errorf("ephemeral node after expiry: %v, want NoNode", err)
	}
	if _, _, err := victim.Get(eph); err == nil {
		t.Error("the expired session's connection still works")
	}
	_, err := rawclient.Dial(ctx, srv.Addr(), 10*time.Second, rawclient.WithSession(victim.SessionID(), victim.Password()))
	if !errors.Is(err, rawclient.ErrSessionExpired) {
		t.Errorf("resuming an expired session: %v, want ErrSessionExpired", err)
	}
	// Expiring it again is harmless.
	if err := expireSessionRaw(ctx, srv.Addr(), victim.SessionID(), victim.Password()); err != nil {
		t.Errorf("expiring an expired session: %v", err)
	}
}
