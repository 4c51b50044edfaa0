package kazoo

import (
	"errors"
	"fmt"

	"github.com/kazoo-go/kazoo/internal/session"
	"github.com/kazoo-go/kazoo/proto"
)

// Error is the error returned by every operation: the server's code (or
// CodeOK for a client-side failure, then Err says what), the operation and
// the path, as the caller gave it (without the chroot).
//
// Match it with errors.Is against the sentinels below, e.g.
// errors.Is(err, kazoo.ErrNoNode), and read its fields with errors.As.
type Error struct {
	Code proto.Code // the server's error code; CodeOK when Err is a client-side cause
	Op   string     // the operation, as ZooKeeper names it: "getData", "create", ...
	Path string     // the node the operation was about, if any
	Err  error      // a client-side cause (ErrClosed, ErrInvalidPath, ...), or nil
}

// Error returns "kazoo: <op> <path>: <reason>".
func (e *Error) Error() string {
	reason := ""
	if e.Err != nil {
		reason = e.Err.Error()
	} else {
		reason = e.Code.String()
	}
	if e.Path != "" {
		return fmt.Sprintf("kazoo: %s %s: %s", e.Op, e.Path, reason)
	}
	return fmt.Sprintf("kazoo: %s: %s", e.Op, reason)
}

// Unwrap returns the client-side cause, or the sentinel for the server code.
func (e *Error) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return codeError(e.Code)
}

// codeError is the sentinel type for a server error code, the engine's:
// the engine reports the same sentinels (see package internal/session).
type codeError = session.CodeError

// Sentinels for every server error code. errors.Is(err, ErrNoNode) is true
// for any *Error carrying that code.
var (
	ErrSystemError              error = codeError(proto.CodeSystemError)
	ErrRuntimeInconsistency     error = codeError(proto.CodeRuntimeInconsistency)
	ErrDataInconsistency        error = codeError(proto.CodeDataInconsistency)
	ErrConnectionLoss           error = codeError(proto.CodeConnectionLoss)
	ErrMarshallingError         error = codeError(proto.CodeMarshallingError)
	ErrUnimplemented            error = codeError(proto.CodeUnimplemented)
	ErrOperationTimeout         error = codeError(proto.CodeOperationTimeout)
	ErrBadArguments             error = codeError(proto.CodeBadArguments)
	ErrUnknownSession           error = codeError(proto.CodeUnknownSession)
	ErrNewConfigNoQuorum        error = codeError(proto.CodeNewConfigNoQuorum)
	ErrReconfigInProgress       error = codeError(proto.CodeReconfigInProgress)
	ErrAPIError                 error = codeError(proto.CodeAPIError)
	ErrNoNode                   error = codeError(proto.CodeNoNode)
	ErrNoAuth                   error = codeError(proto.CodeNoAuth)
	ErrBadVersion               error = codeError(proto.CodeBadVersion)
	ErrNoChildrenForEphemerals  error = codeError(proto.CodeNoChildrenForEphemerals)
	ErrNodeExists               error = codeError(proto.CodeNodeExists)
	ErrNotEmpty                 error = codeError(proto.CodeNotEmpty)
	ErrSessionExpired           error = codeError(proto.CodeSessionExpired)
	ErrInvalidCallback          error = codeError(proto.CodeInvalidCallback)
	ErrInvalidACL               error = codeError(proto.CodeInvalidACL)
	ErrAuthFailed               error = codeError(proto.CodeAuthFailed)
	ErrSessionMoved             error = codeError(proto.CodeSessionMoved)
	ErrNotReadOnly              error = codeError(proto.CodeNotReadOnly)
	ErrEphemeralOnLocalSession  error = codeError(proto.CodeEphemeralOnLocalSession)
	ErrNoWatcher                error = codeError(proto.CodeNoWatcher)
	ErrRequestTimeout           error = codeError(proto.CodeRequestTimeout)
	ErrReconfigDisabled         error = codeError(proto.CodeReconfigDisabled)
	ErrSessionClosedRequireSASL error = codeError(proto.CodeSessionClosedRequireSASL)
	ErrQuotaExceeded            error = codeError(proto.CodeQuotaExceeded)
	ErrThrottledOp              error = codeError(proto.CodeThrottledOp)
)

// Client-side causes, carried in Error.Err. Nothing was sent to the server
// when one of these is returned, except ErrClosed for calls already in flight
// when Close ran.
var (
	// ErrClosed: the client was closed.
	ErrClosed = session.ErrClosed
	// ErrInvalidPath: the path breaks ZooKeeper's path rules.
	ErrInvalidPath = errors.New("invalid path")
	// ErrDataTooLarge: the request would exceed the server's packet limit.
	ErrDataTooLarge = session.ErrDataTooLarge
	// ErrInvalidArgument: an invalid flag combination, TTL, version or option.
	ErrInvalidArgument = session.ErrInvalidArgument
	// ErrUnsupported: the connected server's version lacks the operation.
	ErrUnsupported = session.ErrUnsupported
	// ErrOutcomeUnknown: the call's context ended after its request was
	// sent; the server may or may not have applied it. The error also
	// matches the context's error.
	ErrOutcomeUnknown = errors.New("the request was sent; its outcome is unknown")
)

// IsRetryable reports whether err is a transient condition after which
// retrying the operation may succeed: connection loss, an operation timeout,
// a throttled operation or session moved. Session expiry is not, because
// ephemeral nodes and watches are gone with the session; nor is the
// connection loss of a sequential create without WithProtected
// (ErrUnsafeToRetry), which may have created its node.
func IsRetryable(err error) bool {
	if errors.Is(err, ErrUnsafeToRetry) || errors.Is(err, ErrReplyTooLarge) {
		return false
	}
	return errors.Is(err, ErrConnectionLoss) || errors.Is(err, ErrOperationTimeout) ||
		errors.Is(err, ErrThrottledOp) || errors.Is(err, ErrSessionMoved) ||
		errors.Is(err, ErrRequestTimeout)
}

func opError(op proto.Op, path string, code proto.Code) error {
	if code == proto.CodeUnimplemented {
		// The server's version was not known in advance: it answers
		// what it lacks, so both sentinels match.
		return &Error{Code: code, Op: op.String(), Path: path, Err: fmt.Errorf("%w (%w)", ErrUnsupported, ErrUnimplemented)}
	}
	return &Error{Code: code, Op: op.String(), Path: path}
}

// ErrReplyTooLarge: a reply exceeded the client's packet limit (see
// WithMaxPacket). The reply was skipped and the connection kept; retrying
// does not help.
var ErrReplyTooLarge = session.ErrReplyTooLarge

func clientError(op proto.Op, path string, err error) error {
	return &Error{Op: op.String(), Path: path, Err: err}
}
