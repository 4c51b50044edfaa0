package session

import (
	"errors"
	"fmt"

	"github.com/kazoo-go/kazoo/proto"
)

// The errors the engine makes. Package kazoo exports them under the same
// names (kazoo.ErrClosed is ErrClosed), with their documentation: each is
// made once, here, so that errors.Is matches whichever layer returned it.

// CodeError is the sentinel type for a server error code (kazoo's
// ErrNoNode, ErrSessionExpired, ...): two sentinels of one code are equal.
type CodeError proto.Code

// Error returns "zookeeper: " and the code's description.
func (c CodeError) Error() string { return "zookeeper: " + proto.Code(c).String() }

// Code reports the server error code the sentinel stands for.
func (c CodeError) Code() proto.Code { return proto.Code(c) }

// Server codes the engine itself reports.
var (
	ErrConnectionLoss           error = CodeError(proto.CodeConnectionLoss)
	ErrMarshallingError         error = CodeError(proto.CodeMarshallingError)
	ErrSessionExpired           error = CodeError(proto.CodeSessionExpired)
	ErrAuthFailed               error = CodeError(proto.CodeAuthFailed)
	ErrSessionClosedRequireSASL error = CodeError(proto.CodeSessionClosedRequireSASL)
)

// Client-side causes (see kazoo's documentation of each).
var (
	ErrClosed          = errors.New("client is closed")
	ErrDataTooLarge    = errors.New("request too large for the packet limit")
	ErrInvalidArgument = errors.New("invalid argument")
	ErrUnsupported     = errors.New("operation not supported by the server version")
	ErrReplyTooLarge   = errors.New("reply exceeds the client's limit; raise it with kazoo.WithMaxPacket")
	ErrSASL            = errors.New("SASL authentication failed")
	ErrSASLTemporary   = errors.New("SASL authentication temporarily impossible")
)

// errSASLRequired: the server refused a request because the client has not
// authenticated with SASL. Whichever request met the refusal first, every
// call failed by it says so.
var errSASLRequired = fmt.Errorf("the server requires SASL authentication (see WithSASL): %w (%w)", ErrAuthFailed, ErrSessionClosedRequireSASL)
