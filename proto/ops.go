package proto

import "strconv"

// Op is a request type (opcode).
type Op int32

// Opcodes of ZooKeeper 3.3 to 3.9.
const (
	OpNotification         Op = 0
	OpCreate               Op = 1
	OpDelete               Op = 2
	OpExists               Op = 3
	OpGetData              Op = 4
	OpSetData              Op = 5
	OpGetACL               Op = 6
	OpSetACL               Op = 7
	OpGetChildren          Op = 8
	OpSync                 Op = 9
	OpPing                 Op = 11
	OpGetChildren2         Op = 12
	OpCheck                Op = 13
	OpMulti                Op = 14
	OpCreate2              Op = 15
	OpReconfig             Op = 16
	OpCheckWatches         Op = 17
	OpRemoveWatches        Op = 18
	OpCreateContainer      Op = 19
	OpDeleteContainer      Op = 20
	OpCreateTTL            Op = 21
	OpMultiRead            Op = 22
	OpAuth                 Op = 100
	OpSetWatches           Op = 101
	OpSASL                 Op = 102
	OpGetEphemerals        Op = 103
	OpGetAllChildrenNumber Op = 104
	OpSetWatches2          Op = 105
	OpAddWatch             Op = 106
	OpWhoAmI               Op = 107
	OpCreateSession        Op = -10
	OpCloseSession         Op = -11
	OpError                Op = -1
)

// Version is a ZooKeeper release as major, minor, patch.
type Version struct{ Major, Minor, Patch int }

// Less reports whether v is an earlier release than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// String returns "major.minor.patch".
func (v Version) String() string {
	return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) + "." + strconv.Itoa(v.Patch)
}

type opInfo struct {
	name  string
	since Version
}

var opInfos = map[Op]opInfo{
	OpNotification:         {"notification", Version{3, 3, 0}},
	OpCreate:               {"create", Version{3, 3, 0}},
	OpDelete:               {"delete", Version{3, 3, 0}},
	OpExists:               {"exists", Version{3, 3, 0}},
	OpGetData:              {"getData", Version{3, 3, 0}},
	OpSetData:              {"setData", Version{3, 3, 0}},
	OpGetACL:               {"getACL", Version{3, 3, 0}},
	OpSetACL:               {"setACL", Version{3, 3, 0}},
	OpGetChildren:          {"getChildren", Version{3, 3, 0}},
	OpSync:                 {"sync", Version{3, 3, 0}},
	OpPing:                 {"ping", Version{3, 3, 0}},
	OpGetChildren2:         {"getChildren2", Version{3, 3, 0}},
	OpCheck:                {"check", Version{3, 4, 0}},
	OpMulti:                {"multi", Version{3, 4, 0}},
	OpCreate2:              {"create2", Version{3, 5, 0}},
	OpReconfig:             {"reconfig", Version{3, 5, 0}},
	OpCheckWatches:         {"checkWatches", Version{3, 5, 0}},
	OpRemoveWatches:        {"removeWatches", Version{3, 5, 0}},
	OpCreateContainer:      {"createContainer", Version{3, 5, 1}},
	OpDeleteContainer:      {"deleteContainer", Version{3, 5, 1}},
	OpCreateTTL:            {"createTTL", Version{3, 5, 3}},
	OpMultiRead:            {"multiRead", Version{3, 6, 0}},
	OpAuth:                 {"auth", Version{3, 3, 0}},
	OpSetWatches:           {"setWatches", Version{3, 3, 0}},
	OpSASL:                 {"sasl", Version{3, 4, 0}},
	OpGetEphemerals:        {"getEphemerals", Version{3, 6, 0}},
	OpGetAllChildrenNumber: {"getAllChildrenNumber", Version{3, 6, 0}},
	OpSetWatches2:          {"setWatches2", Version{3, 6, 0}},
	OpAddWatch:             {"addWatch", Version{3, 6, 0}},
	OpWhoAmI:               {"whoAmI", Version{3, 7, 0}},
	OpCreateSession:        {"createSession", Version{3, 3, 0}},
	OpCloseSession:         {"closeSession", Version{3, 3, 0}},
	OpError:                {"error", Version{3, 4, 0}},
}

// String returns the opcode's name as ZooKeeper spells it, e.g. "getData".
func (o Op) String() string {
	if i, ok := opInfos[o]; ok {
		return i.name
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Since returns the first server release that understands o, and false for
// an unknown opcode.
func (o Op) Since() (Version, bool) {
	i, ok := opInfos[o]
	return i.since, ok
}

// Special xids. Normal requests use xids from 1 up to 2^31-1, then wrap to 1.
const (
	XidNotification int32 = -1
	XidPing         int32 = -2
	XidAuth         int32 = -4
	XidSetWatches   int32 = -8
)
