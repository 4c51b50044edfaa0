package proto

// PathResponse is the reply to create and sync: a path. For create it is the
// path actually created (with the sequence suffix for sequential modes).
type PathResponse struct {
	Path string
}

// Append appends the encoded response.
func (r *PathResponse) Append(b []byte) []byte { return AppendString(b, r.Path) }

// Decode reads the response.
func (r *PathResponse) Decode(d *Decoder) { r.Path = d.String() }

// Create2Response is the reply to create2, createContainer and createTTL:
// the created path and the new node's Stat.
type Create2Response struct {
	Path string
	Stat Stat
}

// Append appends the encoded response.
func (r *Create2Response) Append(b []byte) []byte {
	return r.Stat.Append(AppendString(b, r.Path))
}

// Decode reads the response.
func (r *Create2Response) Decode(d *Decoder) {
	r.Path = d.String()
	r.Stat.Decode(d)
}

// StatResponse is the reply to exists, setData and setACL: a Stat.
type StatResponse struct {
	Stat Stat
}

// Append appends the encoded response.
func (r *StatResponse) Append(b []byte) []byte { return r.Stat.Append(b) }

// Decode reads the response.
func (r *StatResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

// GetACLResponse is the reply to getACL.
type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

// Append appends the encoded response.
func (r *GetACLResponse) Append(b []byte) []byte {
	return r.Stat.Append(AppendACLs(b, r.ACL))
}

// Decode reads the response.
func (r *GetACLResponse) Decode(d *Decoder) {
	r.ACL = d.ACLs()
	r.Stat.Decode(d)
}

// GetChildrenResponse is the reply to getChildren: the children's names
// (not full paths), in no particular order.
type GetChildrenResponse struct {
	Children []string
}

// Append appends the encoded response.
func (r *GetChildrenResponse) Append(b []byte) []byte { return AppendStrings(b, r.Children) }

// Decode reads the response.
func (r *GetChildrenResponse) Decode(d *Decoder) { r.Children = d.Strings() }

// GetChildren2Response is the reply to getChildren2: the children's names
// and the parent's Stat.
type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

// Append appends the encoded response.
func (r *GetChildren2Response) Append(b []byte) []byte {
	return r.Stat.Append(AppendStrings(b, r.Children))
}

// Decode reads the response.
func (r *GetChildren2Response) Decode(d *Decoder) {
	r.Children = d.Strings()
	r.Stat.Decode(d)
}

// SASLResponse is the reply to a sasl request: the server's next token.
type SASLResponse struct {
	Token []byte
}

// Append appends the encoded response.
func (r *SASLResponse) Append(b []byte) []byte { return AppendBuffer(b, r.Token) }

// Decode reads the response. Token aliases the decoder's input.
func (r *SASLResponse) Decode(d *Decoder) { r.Token = d.Buffer() }

// GetEphemeralsResponse is the reply to getEphemerals: the server paths of
// the session's ephemeral nodes that start with the requested prefix (a
// client with a chroot must strip it).
type GetEphemeralsResponse struct {
	Ephemerals []string
}

// Append appends the encoded response.
func (r *GetEphemeralsResponse) Append(b []byte) []byte { return AppendStrings(b, r.Ephemerals) }

// Decode reads the response.
func (r *GetEphemeralsResponse) Decode(d *Decoder) { r.Ephemerals = d.Strings() }

// GetAllChildrenNumberResponse is the reply to getAllChildrenNumber: the
// number of descendants of the node (not counting the node itself).
type GetAllChildrenNumberResponse struct {
	Number int32
}

// Append appends the encoded response.
func (r *GetAllChildrenNumberResponse) Append(b []byte) []byte { return AppendInt32(b, r.Number) }

// Decode reads the response.
func (r *GetAllChildrenNumberResponse) Decode(d *Decoder) { r.Number = d.Int32() }

// ClientInfo is one identity a session is authenticated as, as reported by
// whoAmI.
type ClientInfo struct {
	AuthScheme string
	User       string
}

// Append appends the encoded record.
func (c *ClientInfo) Append(b []byte) []byte {
	return AppendString(AppendString(b, c.AuthScheme), c.User)
}

// Decode reads the record.
func (c *ClientInfo) Decode(d *Decoder) {
	c.AuthScheme = d.String()
	c.User = d.String()
}

// WhoAmIResponse is the reply to whoAmI.
type WhoAmIResponse struct {
	ClientInfo []ClientInfo
}

// Append appends the encoded response. A nil slice is encoded as an empty
// vector.
func (r *WhoAmIResponse) Append(b []byte) []byte {
	b = AppendInt32(b, int32(len(r.ClientInfo)))
	for i := range r.ClientInfo {
		b = r.ClientInfo[i].Append(b)
	}
	return b
}

// Decode reads the response; a null vector reads as nil.
func (r *WhoAmIResponse) Decode(d *Decoder) {
	r.ClientInfo = nil
	n := d.Count(8) // two ustring lengths
	if n < 0 || d.Err() != nil {
		return
	}
	infos := make([]ClientInfo, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		infos[i].Decode(d)
	}
	if d.Err() == nil {
		r.ClientInfo = infos
	}
}

// ErrorResponse is the body of a multi result of type OpError: the code of
// that operation (CodeOK for operations before the failing one in a failed
// multi, CodeRuntimeInconsistency for those after it).
type ErrorResponse struct {
	Err Code
}

// Append appends the encoded response.
func (r *ErrorResponse) Append(b []byte) []byte { return AppendInt32(b, int32(r.Err)) }

// Decode reads the response.
func (r *ErrorResponse) Decode(d *Decoder) { r.Err = Code(d.Int32()) }
