package kazoo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
)

func TestValidatePath(t *testing.T) {
	valid := []string{"/", "/a", "/a/b", "/a.b", "/..a", "/a..", "/zookeeper", "/ünïcödé", "/a b"}
	invalid := []string{"", "a", "/a/", "//a", "/a//b", "/.", "/..", "/a/.", "/a/../b", "/a\x00", "/\x1f", "/\u007f", "/\u009f", "/\ud7ff\uf8ff", "/\ufff0", "/\U00010000", "\xff"}
	for _, p := range valid {
		if err := kazoo.ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v", p, err)
		}
	}
	for _, p := range invalid {
		if err := kazoo.ValidatePath(p); !errors.Is(err, kazoo.ErrInvalidPath) {
			t.Errorf("ValidatePath(%q) = %v, want ErrInvalidPath", p, err)
		}
	}
	if got := kazoo.JoinPath("/a/", "b", "", "/c/"); got != "/a/b/c" {
		t.Errorf("JoinPath = %q", got)
	}
	if got := kazoo.JoinPath(); got != "/" {
		t.Errorf("JoinPath() = %q", got)
	}
}

func TestErrorsMatchEveryCode(t *testing.T) {
	// Every code has its declared sentinel, which matches it alone.
	sentinels := []error{
		kazoo.ErrSystemError, kazoo.ErrRuntimeInconsistency, kazoo.ErrDataInconsistency,
		kazoo.ErrConnectionLoss, kazoo.ErrMarshallingError, kazoo.ErrUnimplemented,
		kazoo.ErrOperationTimeout, kazoo.ErrBadArguments, kazoo.ErrUnknownSession,
		kazoo.ErrNewConfigNoQuorum, kazoo.ErrReconfigInProgress, kazoo.ErrAPIError,
		kazoo.ErrNoNode, kazoo.ErrNoAuth, kazoo.ErrBadVersion, kazoo.ErrNoChildrenForEphemerals,
		kazoo.ErrNodeExists, kazoo.ErrNotEmpty, kazoo.ErrSessionExpired, kazoo.ErrInvalidCallback,
		kazoo.ErrInvalidACL, kazoo.ErrAuthFailed, kazoo.ErrSessionMoved, kazoo.ErrNotReadOnly,
		kazoo.ErrEphemeralOnLocalSession, kazoo.ErrNoWatcher, kazoo.ErrRequestTimeout,
		kazoo.ErrReconfigDisabled, kazoo.ErrSessionClosedRequireSASL, kazoo.ErrQuotaExceeded,
		kazoo.ErrThrottledOp,
	}
	for _, code := range proto.Codes() {
		if code == proto.CodeOK {
			continue
		}
		err := &kazoo.Error{Code: code, Op: "getData", Path: "/x"}
		matched := 0
		for _, s := range sentinels {
			if errors.Is(err, s) {
				matched++
			}
		}
		if matched != 1 {
			t.Errorf("code %d (%v) matches %d declared sentinels, want 1", code, code, matched)
		}
	}
	err := &kazoo.Error{Code: proto.CodeNoNode, Op: "getData", Path: "/x"}
	if !errors.Is(err, kazoo.ErrNoNode) || errors.Is(err, kazoo.ErrNodeExists) {
		t.Error("errors.Is does not distinguish codes")
	}
	if err.Error() != "kazoo: getData /x: no node" {
		t.Errorf("Error() = %q", err.Error())
	}
	if !kazoo.IsRetryable(&kazoo.Error{Code: proto.CodeConnectionLoss}) || kazoo.IsRetryable(&kazoo.Error{Code: proto.CodeSessionExpired}) {
		t.Error("IsRetryable: connection loss is, session expiry is not")
	}
	closed := &kazoo.Error{Op: "getData", Err: kazoo.ErrClosed}
	if !errors.Is(closed, kazoo.ErrClosed) || errors.Is(closed, kazoo.ErrConnectionLoss) {
		t.Error("client-side causes do not match")
	}
}

func TestRetryPolicy(t *testing.T) {
	ctx := context.Background()
	loss := &kazoo.Error{Code: proto.CodeConnectionLoss}
	calls := 0
	p := kazoo.RetryPolicy{MaxTries: 3, Delay: time.Millisecond}
	err := p.Retry(ctx, func(context.Context) error { calls++; return loss })
	if calls != 3 || !errors.Is(err, kazoo.ErrRetriesExhausted) || !errors.Is(err, kazoo.ErrConnectionLoss) {
		t.Errorf("exhausted after %d calls: %v", calls, err)
	}
	calls = 0
	err = p.Retry(ctx, func(context.Context) error {
		calls++
		if calls < 2 {
			return loss
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Errorf("succeeded after %d calls: %v", calls, err)
	}
	calls = 0
	err = p.Retry(ctx, func(context.Context) error { calls++; return &kazoo.Error{Code: proto.CodeNoNode} })
	if calls != 1 || !errors.Is(err, kazoo.ErrNoNode) {
		t.Errorf("non-retryable error retried %d times: %v", calls, err)
	}
	expired := &kazoo.Error{Code: proto.CodeSessionExpired}
	calls = 0
	_ = kazoo.RetryPolicy{MaxTries: 2, RetryExpired: true}.Retry(ctx, func(context.Context) error { calls++; return expired })
	if calls != 2 {
		t.Errorf("RetryExpired: %d calls", calls)
	}
	// The deadline stops retries that would outlast it.
	start := time.Now()
	err = kazoo.RetryPolicy{MaxTries: -1, Delay: 20 * time.Millisecond, Deadline: 100 * time.Millisecond}.Retry(ctx, func(context.Context) error { return loss })
	if !errors.Is(err, kazoo.ErrRetriesExhausted) || time.Since(start) > time.Second {
		t.Errorf("deadline: %v after %v", err, time.Since(start))
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = kazoo.RetryPolicy{MaxTries: 5, Delay: time.Second}.Retry(cctx, func(context.Context) error { return loss })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestDigest(t *testing.T) {
	if got := kazoo.DigestHash("alice", "secret"); got != "aYXlLOpEooaV1cRAvUL1fp9Qt7E=" {
		t.Errorf("DigestHash = %q", got)
	}
	acl := kazoo.DigestACL(kazoo.PermRead, "alice", "secret")
	if acl.Scheme != "digest" || acl.ID != "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=" || acl.Perms != kazoo.PermRead {
		t.Errorf("DigestACL = %+v", acl)
	}
}

func TestConnectArguments(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, s := range []string{"", "h:0", "h:1/bad/", "h:1/a//b"} {
		if _, err := kazoo.Connect(ctx, s); err == nil {
			t.Errorf("Connect(%q) succeeded", s)
		}
	}
	if _, err := kazoo.Connect(ctx, "127.0.0.1:1", kazoo.WithSessionTimeout(-1)); !errors.Is(err, kazoo.ErrInvalidArgument) {
		t.Errorf("negative timeout: %v", err)
	}
	// Nothing listens: Connect gives up when its context ends.
	short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	if _, err := kazoo.Connect(short, "127.0.0.1:1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Connect to nothing: %v", err)
	}
}
