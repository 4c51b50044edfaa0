package proto

import "strconv"

// Code is a ZooKeeper error code, as carried in a ReplyHeader or a multi
// result. CodeOK (0) means success.
type Code int32

// Error codes of ZooKeeper 3.4 to 3.9.
const (
	CodeOK                       Code = 0
	CodeSystemError              Code = -1
	CodeRuntimeInconsistency     Code = -2
	CodeDataInconsistency        Code = -3
	CodeConnectionLoss           Code = -4
	CodeMarshallingError         Code = -5
	CodeUnimplemented            Code = -6
	CodeOperationTimeout         Code = -7
	CodeBadArguments             Code = -8
	CodeUnknownSession           Code = -12
	CodeNewConfigNoQuorum        Code = -13
	CodeReconfigInProgress       Code = -14
	CodeAPIError                 Code = -100
	CodeNoNode                   Code = -101
	CodeNoAuth                   Code = -102
	CodeBadVersion               Code = -103
	CodeNoChildrenForEphemerals  Code = -108
	CodeNodeExists               Code = -110
	CodeNotEmpty                 Code = -111
	CodeSessionExpired           Code = -112
	CodeInvalidCallback          Code = -113
	CodeInvalidACL               Code = -114
	CodeAuthFailed               Code = -115
	CodeSessionMoved             Code = -118
	CodeNotReadOnly              Code = -119
	CodeEphemeralOnLocalSession  Code = -120
	CodeNoWatcher                Code = -121
	CodeRequestTimeout           Code = -122
	CodeReconfigDisabled         Code = -123
	CodeSessionClosedRequireSASL Code = -124
	CodeQuotaExceeded            Code = -125
	CodeThrottledOp              Code = -127
)

var codeNames = map[Code]string{
	CodeOK:                       "ok",
	CodeSystemError:              "system error",
	CodeRuntimeInconsistency:     "runtime inconsistency",
	CodeDataInconsistency:        "data inconsistency",
	CodeConnectionLoss:           "connection loss",
	CodeMarshallingError:         "marshalling error",
	CodeUnimplemented:            "unimplemented",
	CodeOperationTimeout:         "operation timeout",
	CodeBadArguments:             "bad arguments",
	CodeUnknownSession:           "unknown session",
	CodeNewConfigNoQuorum:        "new config has no quorum",
	CodeReconfigInProgress:       "reconfig in progress",
	CodeAPIError:                 "api error",
	CodeNoNode:                   "no node",
	CodeNoAuth:                   "not authorized",
	CodeBadVersion:               "bad version",
	CodeNoChildrenForEphemerals:  "ephemeral nodes cannot have children",
	CodeNodeExists:               "node exists",
	CodeNotEmpty:                 "node has children",
	CodeSessionExpired:           "session expired",
	CodeInvalidCallback:          "invalid callback",
	CodeInvalidACL:               "invalid acl",
	CodeAuthFailed:               "authentication failed",
	CodeSessionMoved:             "session moved",
	CodeNotReadOnly:              "server is read-only",
	CodeEphemeralOnLocalSession:  "ephemeral on local session",
	CodeNoWatcher:                "no such watcher",
	CodeRequestTimeout:           "request timeout",
	CodeReconfigDisabled:         "reconfig disabled",
	CodeSessionClosedRequireSASL: "session closed: sasl authentication required",
	CodeQuotaExceeded:            "quota exceeded",
	CodeThrottledOp:              "operation throttled",
}

// String returns a short lower-case description, e.g. "no node".
func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return "error code " + strconv.Itoa(int(c))
}

// Codes returns every error code this package knows, CodeOK first.
func Codes() []Code {
	cs := make([]Code, 0, len(codeNames))
	for c := range codeNames {
		cs = append(cs, c)
	}
	// Stable order: descending (0, -1, -2, ...).
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j] > cs[j-1]; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
	return cs
}
