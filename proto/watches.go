package proto

// WatchesRequest is the body of checkWatches and removeWatches: a path and
// the kind of watch. The reply has no body; CodeNoWatcher means no such
// watch was found.
type WatchesRequest struct {
	Path string
	Type WatcherType
}

// Append appends the encoded request.
func (r *WatchesRequest) Append(b []byte) []byte {
	return AppendInt32(AppendString(b, r.Path), int32(r.Type))
}

// Decode reads the request.
func (r *WatchesRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Type = WatcherType(d.Int32())
}

// AddWatchRequest is the body of addWatch: a persistent, optionally
// recursive, watch on Path. The reply has no body.
type AddWatchRequest struct {
	Path string
	Mode AddWatchMode
}

// Append appends the encoded request.
func (r *AddWatchRequest) Append(b []byte) []byte {
	return AppendInt32(AppendString(b, r.Path), int32(r.Mode))
}

// Decode reads the request.
func (r *AddWatchRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Mode = AddWatchMode(d.Int32())
}

// SetWatchesRequest is the body of setWatches (op OpSetWatches, xid
// XidSetWatches), sent after a reconnect to re-register one-shot watches.
// RelativeZxid is the last zxid the client saw: the server fires the events
// missed since then. Nil slices are encoded as empty vectors.
type SetWatchesRequest struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

// Append appends the encoded request.
func (r *SetWatchesRequest) Append(b []byte) []byte {
	b = AppendInt64(b, r.RelativeZxid)
	b = AppendStrings(b, r.DataWatches)
	b = AppendStrings(b, r.ExistWatches)
	return AppendStrings(b, r.ChildWatches)
}

// Decode reads the request.
func (r *SetWatchesRequest) Decode(d *Decoder) {
	r.RelativeZxid = d.Int64()
	r.DataWatches = d.Strings()
	r.ExistWatches = d.Strings()
	r.ChildWatches = d.Strings()
}

// SetWatches2Request is the body of setWatches2 (op OpSetWatches2, xid
// XidSetWatches, servers 3.6+): SetWatchesRequest plus persistent and
// persistent recursive watches. Nil slices are encoded as empty vectors.
type SetWatches2Request struct {
	RelativeZxid               int64
	DataWatches                []string
	ExistWatches               []string
	ChildWatches               []string
	PersistentWatches          []string
	PersistentRecursiveWatches []string
}

// Append appends the encoded request.
func (r *SetWatches2Request) Append(b []byte) []byte {
	b = AppendInt64(b, r.RelativeZxid)
	b = AppendStrings(b, r.DataWatches)
	b = AppendStrings(b, r.ExistWatches)
	b = AppendStrings(b, r.ChildWatches)
	b = AppendStrings(b, r.PersistentWatches)
	return AppendStrings(b, r.PersistentRecursiveWatches)
}

// Decode reads the request.
func (r *SetWatches2Request) Decode(d *Decoder) {
	r.RelativeZxid = d.Int64()
	r.DataWatches = d.Strings()
	r.ExistWatches = d.Strings()
	r.ChildWatches = d.Strings()
	r.PersistentWatches = d.Strings()
	r.PersistentRecursiveWatches = d.Strings()
}
