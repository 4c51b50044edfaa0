package proto

import "encoding/binary"

// beginFrame appends a 4-byte length placeholder and returns where it is.
func beginFrame(b []byte) ([]byte, int) {
	return append(b, 0, 0, 0, 0), len(b)
}

// endFrame writes, at start, the length of what follows the placeholder.
func endFrame(b []byte, start int) []byte {
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

// AppendRequest appends one complete request frame: the 4-byte length (which
// does not count itself), the RequestHeader{xid, op}, then body. body may be
// nil for requests that have none (ping, closeSession, whoAmI); it must not
// be a nil pointer of a record type. The caller checks the frame against the
// server's packet limit (MaxPacket by default).
func AppendRequest(b []byte, xid int32, op Op, body Record) []byte {
	b, start := beginFrame(b)
	h := RequestHeader{Xid: xid, Op: op}
	b = h.Append(b)
	if body != nil {
		b = body.Append(b)
	}
	return endFrame(b, start)
}

// AppendConnect appends the framed ConnectRequest that opens a connection:
// the 4-byte length, then the request, with no request header.
func AppendConnect(b []byte, r *ConnectRequest) []byte { return AppendFrame(b, r) }

// AppendFrame appends the 4-byte length of body's encoding, then the
// encoding, with no header: the shape of the handshake frames (a fake server
// answers a ConnectRequest with AppendFrame(b, &ConnectResponse{...})).
func AppendFrame(b []byte, body Record) []byte {
	b, start := beginFrame(b)
	b = body.Append(b)
	return endFrame(b, start)
}

// AppendReply appends one complete reply frame, for fake servers and tests:
// the 4-byte length, the ReplyHeader, then body unless it is nil. Real
// servers send no body when h.Err is not CodeOK (a failed multi has Err
// CodeOK and a body); pass nil then.
func AppendReply(b []byte, h ReplyHeader, body Record) []byte {
	b, start := beginFrame(b)
	b = h.Append(b)
	if body != nil {
		b = body.Append(b)
	}
	return endFrame(b, start)
}
