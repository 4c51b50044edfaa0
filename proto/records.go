package proto

// Stat is a znode's metadata.
type Stat struct {
	Czxid          int64 // zxid of the change that created the node
	Mzxid          int64 // zxid of the last change to the node's data
	Ctime          int64 // creation time, ms since the epoch
	Mtime          int64 // last data change time, ms since the epoch
	Version        int32 // number of data changes
	Cversion       int32 // number of child changes
	Aversion       int32 // number of ACL changes
	EphemeralOwner int64 // owning session id for an ephemeral node, else 0
	DataLength     int32 // length of the data
	NumChildren    int32 // number of children
	Pzxid          int64 // zxid of the last change to the children
}

// StatSize is the encoded size of a Stat.
const StatSize = 4*8 + 3*4 + 8 + 2*4 + 8

// Append appends the encoded Stat.
func (s *Stat) Append(b []byte) []byte {
	b = AppendInt64(b, s.Czxid)
	b = AppendInt64(b, s.Mzxid)
	b = AppendInt64(b, s.Ctime)
	b = AppendInt64(b, s.Mtime)
	b = AppendInt32(b, s.Version)
	b = AppendInt32(b, s.Cversion)
	b = AppendInt32(b, s.Aversion)
	b = AppendInt64(b, s.EphemeralOwner)
	b = AppendInt32(b, s.DataLength)
	b = AppendInt32(b, s.NumChildren)
	return AppendInt64(b, s.Pzxid)
}

// Decode reads a Stat.
func (s *Stat) Decode(d *Decoder) {
	s.Czxid = d.Int64()
	s.Mzxid = d.Int64()
	s.Ctime = d.Int64()
	s.Mtime = d.Int64()
	s.Version = d.Int32()
	s.Cversion = d.Int32()
	s.Aversion = d.Int32()
	s.EphemeralOwner = d.Int64()
	s.DataLength = d.Int32()
	s.NumChildren = d.Int32()
	s.Pzxid = d.Int64()
}

// RequestHeader starts every request after the handshake.
type RequestHeader struct {
	Xid int32
	Op  Op
}

// Append appends the encoded header.
func (h *RequestHeader) Append(b []byte) []byte {
	return AppendInt32(AppendInt32(b, h.Xid), int32(h.Op))
}

// Decode reads a RequestHeader.
func (h *RequestHeader) Decode(d *Decoder) {
	h.Xid = d.Int32()
	h.Op = Op(d.Int32())
}

// ReplyHeader starts every reply after the handshake. The body follows only
// when Err is CodeOK.
type ReplyHeader struct {
	Xid  int32
	Zxid int64
	Err  Code
}

// ReplyHeaderSize is the encoded size of a ReplyHeader.
const ReplyHeaderSize = 16

// Append appends the encoded header.
func (h *ReplyHeader) Append(b []byte) []byte {
	b = AppendInt32(b, h.Xid)
	b = AppendInt64(b, h.Zxid)
	return AppendInt32(b, int32(h.Err))
}

// Decode reads a ReplyHeader.
func (h *ReplyHeader) Decode(d *Decoder) {
	h.Xid = d.Int32()
	h.Zxid = d.Int64()
	h.Err = Code(d.Int32())
}

// PasswordSize is the length of a session password.
const PasswordSize = 16

// ConnectRequest is the first frame a client sends on a connection.
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeoutMs       int32
	SessionID       int64
	Passwd          []byte // 16 zero bytes for a new session
	ReadOnly        bool
}

// Append appends the encoded request.
func (r *ConnectRequest) Append(b []byte) []byte {
	b = AppendInt32(b, r.ProtocolVersion)
	b = AppendInt64(b, r.LastZxidSeen)
	b = AppendInt32(b, r.TimeoutMs)
	b = AppendInt64(b, r.SessionID)
	passwd := r.Passwd
	if passwd == nil {
		passwd = make([]byte, PasswordSize)
	}
	b = AppendBuffer(b, passwd)
	return AppendBool(b, r.ReadOnly)
}

// Decode reads a ConnectRequest. The trailing read-only flag is optional.
func (r *ConnectRequest) Decode(d *Decoder) {
	r.ProtocolVersion = d.Int32()
	r.LastZxidSeen = d.Int64()
	r.TimeoutMs = d.Int32()
	r.SessionID = d.Int64()
	r.Passwd = d.Buffer()
	if d.Err() == nil && d.Remaining() > 0 {
		r.ReadOnly = d.Bool()
	}
}

// ConnectResponse is the server's answer to a ConnectRequest. A TimeoutMs of
// zero or less means the session has expired.
type ConnectResponse struct {
	ProtocolVersion int32
	TimeoutMs       int32
	SessionID       int64
	Passwd          []byte // aliases the decoded frame
	ReadOnly        bool
}

// Append appends the encoded response.
func (r *ConnectResponse) Append(b []byte) []byte {
	b = AppendInt32(b, r.ProtocolVersion)
	b = AppendInt32(b, r.TimeoutMs)
	b = AppendInt64(b, r.SessionID)
	b = AppendBuffer(b, r.Passwd)
	return AppendBool(b, r.ReadOnly)
}

// Decode reads a ConnectResponse. A 3.4 server omits the read-only byte; that
// is accepted as false.
func (r *ConnectResponse) Decode(d *Decoder) {
	r.ProtocolVersion = d.Int32()
	r.TimeoutMs = d.Int32()
	r.SessionID = d.Int64()
	r.Passwd = d.Buffer()
	r.ReadOnly = false
	if d.Err() == nil && d.Remaining() > 0 {
		r.ReadOnly = d.Bool()
	}
}

// PathWatchRequest is the body of exists, getData and getChildren(2)
// requests: a path and whether to leave a watch.
type PathWatchRequest struct {
	Path  string
	Watch bool
}

// Append appends the encoded request.
func (r *PathWatchRequest) Append(b []byte) []byte {
	return AppendBool(AppendString(b, r.Path), r.Watch)
}

// Decode reads the request.
func (r *PathWatchRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Watch = d.Bool()
}

// GetDataResponse is the reply to getData.
type GetDataResponse struct {
	Data []byte // aliases the decoded frame: copy it to keep it
	Stat Stat
}

// Append appends the encoded response.
func (r *GetDataResponse) Append(b []byte) []byte {
	return r.Stat.Append(AppendBuffer(b, r.Data))
}

// Decode reads the response.
func (r *GetDataResponse) Decode(d *Decoder) {
	r.Data = d.Buffer()
	r.Stat.Decode(d)
}
