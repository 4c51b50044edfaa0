package proto

import (
	"bytes"
	"reflect"
	"testing"
)

// cost measures what a decoded value holds: the bytes of its strings and
// byte slices, plus 16 for each slot (capacity, not just length) of its other
// slices.
//
// Bound: every decoded string or byte slice consumed its length plus a 4-byte
// prefix of input, and every vector element consumed at least 4 bytes (an
// empty string; ACLs take 12, ClientInfos 8, multi entries 9 for their header
// plus their body). So 16 per element is at most 4 per input byte, and the
// cost of a value is at most 4*len(input); the multi decoders grow their
// slices by append, whose spare capacity is covered by the gap between the
// 9-byte multi header and the 4 bytes assumed, plus a small constant for
// size-class rounding.
func cost(v reflect.Value) int {
	switch v.Kind() {
	case reflect.String:
		return v.Len()
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Cap()
		}
		n := 16 * v.Cap()
		for i := 0; i < v.Len(); i++ {
			n += cost(v.Index(i))
		}
		return n
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return 0
		}
		return cost(v.Elem())
	case reflect.Struct:
		n := 0
		for i := 0; i < v.NumField(); i++ {
			n += cost(v.Field(i))
		}
		return n
	}
	return 0
}

// fuzzDecoder checks that decoding arbitrary bytes into a P never panics,
// never holds more than the input can pay for, and that a successful decode
// re-encodes to bytes that decode and re-encode to themselves.
func fuzzDecoder[T any, P interface {
	*T
	codec
}](f *testing.F, name string) {
	f.Add([]byte{})
	for _, s := range samples()[name] {
		if _, ok := s.(P); !ok {
			f.Fatalf("sample for %s has type %T", name, s)
		}
		f.Add(s.Append(nil))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var v T
		d := NewDecoder(in)
		P(&v).Decode(d)
		if c := cost(reflect.ValueOf(&v)); c > 4*len(in)+64 {
			t.Fatalf("decoded value costs %d for %d input bytes", c, len(in))
		}
		if d.Err() != nil {
			return
		}
		if d.Remaining() < 0 || d.Remaining() > len(in) {
			t.Fatalf("Remaining %d of %d", d.Remaining(), len(in))
		}
		enc := P(&v).Append(nil)
		var w T
		d2 := NewDecoder(enc)
		P(&w).Decode(d2)
		if d2.Err() != nil || d2.Remaining() != 0 {
			t.Fatalf("re-encoding %x does not decode: err %v, %d left", enc, d2.Err(), d2.Remaining())
		}
		if enc2 := P(&w).Append(nil); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%x\n%x", enc, enc2)
		}
	})
}

// Responses (decoded by clients).

func FuzzConnectResponse(f *testing.F) { fuzzDecoder[ConnectResponse](f, "ConnectResponse") }
func FuzzReplyHeader(f *testing.F)     { fuzzDecoder[ReplyHeader](f, "ReplyHeader") }
func FuzzWatcherEvent(f *testing.F)    { fuzzDecoder[WatcherEvent](f, "WatcherEvent") }
func FuzzGetDataResponse(f *testing.F) { fuzzDecoder[GetDataResponse](f, "GetDataResponse") }
func FuzzPathResponse(f *testing.F)    { fuzzDecoder[PathResponse](f, "PathResponse") }
func FuzzCreate2Response(f *testing.F) { fuzzDecoder[Create2Response](f, "Create2Response") }
func FuzzStatResponse(f *testing.F)    { fuzzDecoder[StatResponse](f, "StatResponse") }
func FuzzGetACLResponse(f *testing.F)  { fuzzDecoder[GetACLResponse](f, "GetACLResponse") }
func FuzzGetChildrenResponse(f *testing.F) {
	fuzzDecoder[GetChildrenResponse](f, "GetChildrenResponse")
}
func FuzzGetChildren2Response(f *testing.F) {
	fuzzDecoder[GetChildren2Response](f, "GetChildren2Response")
}
func FuzzSASLResponse(f *testing.F) { fuzzDecoder[SASLResponse](f, "SASLResponse") }
func FuzzGetEphemeralsResponse(f *testing.F) {
	fuzzDecoder[GetEphemeralsResponse](f, "GetEphemeralsResponse")
}
func FuzzGetAllChildrenNumberResponse(f *testing.F) {
	fuzzDecoder[GetAllChildrenNumberResponse](f, "GetAllChildrenNumberResponse")
}
func FuzzWhoAmIResponse(f *testing.F) { fuzzDecoder[WhoAmIResponse](f, "WhoAmIResponse") }
func FuzzErrorResponse(f *testing.F)  { fuzzDecoder[ErrorResponse](f, "ErrorResponse") }
func FuzzMultiResponse(f *testing.F)  { fuzzDecoder[MultiResponse](f, "MultiResponse") }

// Requests (decoded by fake servers).

func FuzzConnectRequest(f *testing.F)   { fuzzDecoder[ConnectRequest](f, "ConnectRequest") }
func FuzzRequestHeader(f *testing.F)    { fuzzDecoder[RequestHeader](f, "RequestHeader") }
func FuzzPathWatchRequest(f *testing.F) { fuzzDecoder[PathWatchRequest](f, "PathWatchRequest") }
func FuzzPathRequest(f *testing.F)      { fuzzDecoder[PathRequest](f, "PathRequest") }
func FuzzCreateRequest(f *testing.F)    { fuzzDecoder[CreateRequest](f, "CreateRequest") }
func FuzzDeleteRequest(f *testing.F)    { fuzzDecoder[DeleteRequest](f, "DeleteRequest") }
func FuzzCheckVersionRequest(f *testing.F) {
	fuzzDecoder[CheckVersionRequest](f, "CheckVersionRequest")
}
func FuzzSetDataRequest(f *testing.F)    { fuzzDecoder[SetDataRequest](f, "SetDataRequest") }
func FuzzSetACLRequest(f *testing.F)     { fuzzDecoder[SetACLRequest](f, "SetACLRequest") }
func FuzzReconfigRequest(f *testing.F)   { fuzzDecoder[ReconfigRequest](f, "ReconfigRequest") }
func FuzzWatchesRequest(f *testing.F)    { fuzzDecoder[WatchesRequest](f, "WatchesRequest") }
func FuzzAddWatchRequest(f *testing.F)   { fuzzDecoder[AddWatchRequest](f, "AddWatchRequest") }
func FuzzSetWatchesRequest(f *testing.F) { fuzzDecoder[SetWatchesRequest](f, "SetWatchesRequest") }
func FuzzSetWatches2Request(f *testing.F) {
	fuzzDecoder[SetWatches2Request](f, "SetWatches2Request")
}
func FuzzAuthRequest(f *testing.F)  { fuzzDecoder[AuthRequest](f, "AuthRequest") }
func FuzzSASLRequest(f *testing.F)  { fuzzDecoder[SASLRequest](f, "SASLRequest") }
func FuzzMultiRequest(f *testing.F) { fuzzDecoder[MultiRequest](f, "MultiRequest") }

// FuzzWatcherEventView checks the zero-copy decoder against WatcherEvent's:
// the same bytes decode to the same event, or fail alike.
func FuzzWatcherEventView(f *testing.F) {
	f.Add([]byte{})
	f.Add((&WatcherEvent{Type: EventNodeDataChanged, State: 3, Path: "/a/b"}).Append(nil))
	f.Add((&WatcherEvent{Type: EventNodeCreated, State: 3}).Append(nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		var e WatcherEvent
		var v WatcherEventView
		d, dv := NewDecoder(in), NewDecoder(in)
		e.Decode(d)
		v.Decode(dv)
		if (d.Err() == nil) != (dv.Err() == nil) || d.Remaining() != dv.Remaining() {
			t.Fatalf("errors differ: %v, %v", d.Err(), dv.Err())
		}
		if d.Err() == nil && (e.Type != v.Type || e.State != v.State || e.Path != string(v.Path)) {
			t.Fatalf("decoded %+v and %+v (%q)", e, v, v.Path)
		}
	})
}
