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

// opInfos is indexed by the opcode (see info); every call looks its op up,
// so it is an array rather than a map.
var opInfos = [...]opInfo{
	OpNotification - opMin:         {"notification", Version{3, 3, 0}},
	OpCreate - opMin:               {"create", Version{3, 3, 0}},
	OpDelete - opMin:               {"delete", Version{3, 3, 0}},
	OpExists - opMin:               {"exists", Version{3, 3, 0}},
	OpGetData - opMin:              {"getData", Version{3, 3, 0}},
	OpSetData - opMin:              {"setData", Version{3, 3, 0}},
	OpGetACL - opMin:               {"getACL", Version{3, 3, 0}},
	OpSetACL - opMin:               {"setACL", Version{3, 3, 0}},
	OpGetChildren - opMin:          {"getChildren", Version{3, 3, 0}},
	OpSync - opMin:                 {"sync", Version{3, 3, 0}},
	OpPing - opMin:                 {"ping", Version{3, 3, 0}},
	OpGetChildren2 - opMin:         {"getChildren2", Version{3, 3, 0}},
	OpCheck - opMin:                {"check", Version{3, 4, 0}},
	OpMulti - opMin:                {"multi", Version{3, 4, 0}},
	OpCreate2 - opMin:              {"create2", Version{3, 5, 0}},
	OpReconfig - opMin:             {"reconfig", Version{3, 5, 0}},
	OpCheckWatches - opMin:         {"checkWatches", Version{3, 5, 0}},
	OpRemoveWatches - opMin:        {"removeWatches", Version{3, 5, 0}},
	OpCreateContainer - opMin:      {"createContainer", Version{3, 5, 1}},
	OpDeleteContainer - opMin:      {"deleteContainer", Version{3, 5, 1}},
	OpCreateTTL - opMin:            {"createTTL", Version{3, 5, 3}},
	OpMultiRead - opMin:            {"multiRead", Version{3, 6, 0}},
	OpAuth - opMin:                 {"auth", Version{3, 3, 0}},
	OpSetWatches - opMin:           {"setWatches", Version{3, 3, 0}},
	OpSASL - opMin:                 {"sasl", Version{3, 4, 0}},
	OpGetEphemerals - opMin:        {"getEphemerals", Version{3, 6, 0}},
	OpGetAllChildrenNumber - opMin: {"getAllChildrenNumber", Version{3, 6, 0}},
	OpSetWatches2 - opMin:          {"setWatches2", Version{3, 6, 0}},
	OpAddWatch - opMin:             {"addWatch", Version{3, 6, 0}},
	OpWhoAmI - opMin:               {"whoAmI", Version{3, 7, 0}},
	OpCreateSession - opMin:        {"createSession", Version{3, 3, 0}},
	OpCloseSession - opMin:         {"closeSession", Version{3, 3, 0}},
	OpError - opMin:                {"error", Version{3, 4, 0}},
}

// opMin is the lowest opcode (closeSession).
const opMin = OpCloseSession

func (o Op) info() (opInfo, bool) {
	if o < opMin || int(o-opMin) >= len(opInfos) || opInfos[o-opMin].name == "" {
		return opInfo{}, false
	}
	return opInfos[o-opMin], true
}

// String returns the opcode's name as ZooKeeper spells it, e.g. "getData".
func (o Op) String() string {
	if i, ok := o.info(); ok {
		return i.name
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Since returns the first server release that understands o, and false for
// an unknown opcode.
func (o Op) Since() (Version, bool) {
	i, ok := o.info()
	return i.since, ok
}

// Special xids. Normal requests use xids from 1 up to 2^31-1, then wrap to 1.
const (
	XidNotification int32 = -1
	XidPing         int32 = -2
	XidAuth         int32 = -4
	XidSetWatches   int32 = -8
)
