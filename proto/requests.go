package proto

// PathRequest is the body of getACL, sync, getAllChildrenNumber and
// getEphemerals (where Path is the prefix): a single path.
type PathRequest struct {
	Path string
}

// Append appends the encoded request.
func (r *PathRequest) Append(b []byte) []byte { return AppendString(b, r.Path) }

// Decode reads the request.
func (r *PathRequest) Decode(d *Decoder) { r.Path = d.String() }

// CreateRequest is the body of create, create2, createContainer and
// createTTL. TTL is on the wire only when Flags.TTL() is true, which is
// exactly when the request must be sent as OpCreateTTL: the server reads the
// body by opcode, so sending a TTL mode under another opcode (or the reverse)
// is a request the server misreads.
type CreateRequest struct {
	Path  string
	Data  []byte // nil is sent as null, which servers store as empty data
	ACL   []ACL
	Flags CreateFlags
	TTL   int64 // milliseconds, 1 to MaxTTL; only for TTL modes
}

// Append appends the encoded request.
func (r *CreateRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	b = AppendBuffer(b, r.Data)
	b = AppendACLs(b, r.ACL)
	b = AppendInt32(b, int32(r.Flags))
	if r.Flags.TTL() {
		b = AppendInt64(b, r.TTL)
	}
	return b
}

// Decode reads the request. As Append does, it reads a TTL only when the
// decoded flags are a TTL mode, and sets TTL to 0 otherwise.
func (r *CreateRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = d.ACLs()
	r.Flags = CreateFlags(d.Int32())
	r.TTL = 0
	if r.Flags.TTL() {
		r.TTL = d.Int64()
	}
}

// DeleteRequest is the body of delete. Version -1 matches any version.
type DeleteRequest struct {
	Path    string
	Version int32
}

// Append appends the encoded request.
func (r *DeleteRequest) Append(b []byte) []byte {
	return AppendInt32(AppendString(b, r.Path), r.Version)
}

// Decode reads the request.
func (r *DeleteRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Version = d.Int32()
}

// CheckVersionRequest is the body of check (only inside multi). Version -1
// matches any version, so the op only checks that the node exists.
type CheckVersionRequest struct {
	Path    string
	Version int32
}

// Append appends the encoded request.
func (r *CheckVersionRequest) Append(b []byte) []byte {
	return AppendInt32(AppendString(b, r.Path), r.Version)
}

// Decode reads the request.
func (r *CheckVersionRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Version = d.Int32()
}

// SetDataRequest is the body of setData. Version -1 matches any version.
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

// Append appends the encoded request.
func (r *SetDataRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	b = AppendBuffer(b, r.Data)
	return AppendInt32(b, r.Version)
}

// Decode reads the request. Data aliases the decoder's input.
func (r *SetDataRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.Version = d.Int32()
}

// SetACLRequest is the body of setACL. Version is the expected ACL version
// (Stat.Aversion); -1 matches any.
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

// Append appends the encoded request.
func (r *SetACLRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	b = AppendACLs(b, r.ACL)
	return AppendInt32(b, r.Version)
}

// Decode reads the request.
func (r *SetACLRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.ACL = d.ACLs()
	r.Version = d.Int32()
}

// ReconfigRequest is the body of reconfig; the reply is a GetDataResponse
// holding the new configuration.
//
// Unlike every other record in this package, an empty string field is
// encoded as a null ustring (length -1), because the server tells "not set"
// from "set to nothing" by null: an incremental reconfig sends
// JoiningServers and/or LeavingServers and leaves NewMembers null, a
// non-incremental one sends only NewMembers. Decode reads null as "".
// CurConfigID -1 skips the server's configuration version check.
type ReconfigRequest struct {
	JoiningServers string
	LeavingServers string
	NewMembers     string
	CurConfigID    int64
}

// appendOptString appends s as a ustring, or null when s is empty.
func appendOptString(b []byte, s string) []byte {
	if s == "" {
		return AppendInt32(b, -1)
	}
	return AppendString(b, s)
}

// Append appends the encoded request, empty strings as null.
func (r *ReconfigRequest) Append(b []byte) []byte {
	b = appendOptString(b, r.JoiningServers)
	b = appendOptString(b, r.LeavingServers)
	b = appendOptString(b, r.NewMembers)
	return AppendInt64(b, r.CurConfigID)
}

// Decode reads the request; null and empty strings both read as "".
func (r *ReconfigRequest) Decode(d *Decoder) {
	r.JoiningServers = d.String()
	r.LeavingServers = d.String()
	r.NewMembers = d.String()
	r.CurConfigID = d.Int64()
}

// AuthRequest is the body of an auth packet (op OpAuth, xid XidAuth). Type
// is always 0 in practice.
type AuthRequest struct {
	Type   int32
	Scheme string // e.g. "digest"
	Auth   []byte // e.g. "user:password" for digest
}

// Append appends the encoded request.
func (r *AuthRequest) Append(b []byte) []byte {
	b = AppendInt32(b, r.Type)
	b = AppendString(b, r.Scheme)
	return AppendBuffer(b, r.Auth)
}

// Decode reads the request. Auth aliases the decoder's input.
func (r *AuthRequest) Decode(d *Decoder) {
	r.Type = d.Int32()
	r.Scheme = d.String()
	r.Auth = d.Buffer()
}

// SASLRequest is the body of a sasl request: one token of the SASL exchange.
type SASLRequest struct {
	Token []byte
}

// Append appends the encoded request.
func (r *SASLRequest) Append(b []byte) []byte { return AppendBuffer(b, r.Token) }

// Decode reads the request. Token aliases the decoder's input.
func (r *SASLRequest) Decode(d *Decoder) { r.Token = d.Buffer() }
