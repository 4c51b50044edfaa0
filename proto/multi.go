package proto

import (
	"errors"
	"fmt"
)

// ErrUnknownOp is reported by a Decoder that met, inside a multi request or
// response, an operation type it cannot decode.
var ErrUnknownOp = errors.New("proto: unknown operation type")

// Record is anything that appends its jute encoding to a byte slice: every
// request and response record of this package.
type Record interface {
	Append(b []byte) []byte
}

// MultiHeader precedes each operation of a multi request and each result of
// a multi response. A header with Done set (type -1, err -1) ends the
// sequence.
type MultiHeader struct {
	Type Op
	Done bool
	Err  Code
}

// Append appends the encoded header.
func (h *MultiHeader) Append(b []byte) []byte {
	b = AppendInt32(b, int32(h.Type))
	b = AppendBool(b, h.Done)
	return AppendInt32(b, int32(h.Err))
}

// Decode reads a MultiHeader.
func (h *MultiHeader) Decode(d *Decoder) {
	h.Type = Op(d.Int32())
	h.Done = d.Bool()
	h.Err = Code(d.Int32())
}

// AppendMultiEnd appends the header that ends a multi request or response.
func AppendMultiEnd(b []byte) []byte {
	end := MultiHeader{Type: OpError, Done: true, Err: -1}
	return end.Append(b)
}

// MultiOp is one operation of a multi (or multiRead) request.
//
// Body must match Op; these are the types MultiRequest.Decode produces:
//   - OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL: *CreateRequest
//     (OpCreateTTL exactly when Flags.TTL(): see CreateRequest)
//   - OpDelete: *DeleteRequest
//   - OpSetData: *SetDataRequest
//   - OpCheck: *CheckVersionRequest
//   - OpGetData, OpGetChildren (multiRead only): *PathWatchRequest (the
//     reference client always sends Watch false there)
//
// A write multi (OpMulti) may hold only the write ops, a multiRead
// (OpMultiRead) only the reads.
type MultiOp struct {
	Op   Op
	Body Record
}

// MultiRequest is the body of multi and multiRead.
type MultiRequest struct {
	Ops []MultiOp
}

// Append appends each operation as a MultiHeader{op, false, -1} and its
// body, then the closing header {-1, true, -1}. A nil Body appends nothing
// after its header.
func (r *MultiRequest) Append(b []byte) []byte {
	b = reserve(b, len(r.Ops)*multiOpRoom)
	for i := range r.Ops {
		b = reserve(b, multiOpRoom)
		h := MultiHeader{Type: r.Ops[i].Op, Err: -1}
		b = h.Append(b)
		if r.Ops[i].Body != nil {
			b = r.Ops[i].Body.Append(b)
		}
	}
	return AppendMultiEnd(b)
}

// decodableRecord is a record that can also be decoded.
type decodableRecord interface {
	Record
	Decode(d *Decoder)
}

// newMultiBody returns an empty request body for a multi operation type, or
// nil for a type that cannot appear in a multi.
func newMultiBody(op Op) decodableRecord {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL:
		return new(CreateRequest)
	case OpDelete:
		return new(DeleteRequest)
	case OpSetData:
		return new(SetDataRequest)
	case OpCheck:
		return new(CheckVersionRequest)
	case OpGetData, OpGetChildren:
		return new(PathWatchRequest)
	}
	return nil
}

// Decode reads operations until the closing header, decoding each body into
// the concrete type listed at MultiOp. An unknown operation type fails with
// ErrUnknownOp. On error r.Ops is nil. Decode never allocates more operations
// than the input holds: each costs at least its header's 9 bytes.
func (r *MultiRequest) Decode(d *Decoder) {
	var ops []MultiOp
	for d.Err() == nil {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			break
		}
		body := newMultiBody(h.Type)
		if body == nil {
			d.Fail(fmt.Errorf("%w: %v in multi request", ErrUnknownOp, h.Type))
			break
		}
		body.Decode(d)
		ops = append(ops, MultiOp{Op: h.Type, Body: body})
	}
	if d.Err() != nil {
		ops = nil
	}
	r.Ops = ops
}

// MultiResult is the result of one operation of a multi or multiRead. Which
// fields are set depends on Op, the result type the server sent:
//   - OpCreate: Path
//   - OpCreate2 (the server's answer to create2, createContainer and
//     createTTL; OpCreateContainer and OpCreateTTL are read the same way):
//     Path, Stat
//   - OpDelete, OpCheck: nothing
//   - OpSetData: Stat
//   - OpGetData: Data, Stat
//   - OpGetChildren: Children
//   - OpError: Err, the operation's code
//
// For types other than OpError, Err is the code from the result's header,
// which servers always set to CodeOK.
type MultiResult struct {
	Op       Op
	Err      Code
	Path     string
	Stat     Stat
	Data     []byte // aliases the decoded frame: copy it to keep it
	Children []string
}

// DecodeNext reads the next result of a multi response into m and reports
// whether there was one: it returns false at the closing header, and when d
// fails (an unknown result type fails with ErrUnknownOp). m.Data aliases the
// input. A caller that keeps the results in its own form decodes them one
// by one with DecodeNext, with no []MultiResult in between.
func (m *MultiResult) DecodeNext(d *Decoder) bool {
	var h MultiHeader
	h.Decode(d)
	if d.Err() != nil || h.Done {
		return false
	}
	*m = MultiResult{Op: h.Type, Err: h.Err}
	switch h.Type {
	case OpCreate:
		m.Path = d.String()
	case OpCreate2, OpCreateContainer, OpCreateTTL:
		m.Path = d.String()
		m.Stat.Decode(d)
	case OpDelete, OpCheck:
	case OpSetData:
		m.Stat.Decode(d)
	case OpGetData:
		m.Data = d.Buffer()
		m.Stat.Decode(d)
	case OpGetChildren:
		m.Children = d.Strings()
	case OpError:
		m.Err = Code(d.Int32())
	default:
		d.Fail(fmt.Errorf("%w: %v in multi response", ErrUnknownOp, h.Type))
	}
	return d.Err() == nil
}

// MultiResponse is the reply to multi and multiRead.
//
// A failed multi is a reply with ReplyHeader.Err CodeOK whose results all
// have type OpError: CodeOK for the operations before the failing one, the
// failure's code for it, CodeRuntimeInconsistency for those after it. Use
// FirstError to find the failure. In a multiRead each read fails or succeeds
// on its own.
type MultiResponse struct {
	Results []MultiResult
}

// FirstError returns the index and code of the first result whose Err is not
// CodeOK, or -1 and CodeOK when every result succeeded.
func (r *MultiResponse) FirstError() (index int, code Code) {
	for i := range r.Results {
		if r.Results[i].Err != CodeOK {
			return i, r.Results[i].Err
		}
	}
	return -1, CodeOK
}

// Append appends each result as a MultiHeader{Op, false, Err} and the body
// its type calls for (see MultiResult), then the closing header. A result of
// a type not listed at MultiResult is written with no body.
func (r *MultiResponse) Append(b []byte) []byte {
	for i := range r.Results {
		m := &r.Results[i]
		h := MultiHeader{Type: m.Op, Err: m.Err}
		b = h.Append(b)
		switch m.Op {
		case OpCreate:
			b = AppendString(b, m.Path)
		case OpCreate2, OpCreateContainer, OpCreateTTL:
			b = m.Stat.Append(AppendString(b, m.Path))
		case OpSetData:
			b = m.Stat.Append(b)
		case OpGetData:
			b = m.Stat.Append(AppendBuffer(b, m.Data))
		case OpGetChildren:
			b = AppendStrings(b, m.Children)
		case OpError:
			b = AppendInt32(b, int32(m.Err))
		}
	}
	return AppendMultiEnd(b)
}

// Decode reads results until the closing header. An unknown result type
// fails with ErrUnknownOp. On error r.Results is nil. There is no count on
// the wire, so the loop ends when the frame does: results are appended one
// by one as they are read, and each costs at least its header's 9 bytes of
// input, so a hostile frame cannot make Decode allocate beyond its size.
func (r *MultiResponse) Decode(d *Decoder) {
	// Room for as many results as the frame holds if each is a setData's
	// (a header and a Stat: no result of another kind with a body is
	// smaller, so this never reserves far beyond the input), rather than
	// growing a large slice step by step.
	results := make([]MultiResult, 0, d.Remaining()/(9+StatSize))
	var m MultiResult
	for m.DecodeNext(d) {
		results = append(results, m)
	}
	if d.Err() != nil || len(results) == 0 {
		results = nil
	}
	r.Results = results
}
