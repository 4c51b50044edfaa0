package proto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/bits"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// codec is a record that can be encoded and decoded.
type codec interface {
	Append(b []byte) []byte
	Decode(d *Decoder)
}

// unhex decodes hex digits, ignoring white space and "#" comments that run
// to the end of a line.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var digits strings.Builder
	for line := range strings.Lines(s) {
		line, _, _ = strings.Cut(line, "#")
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	s = digits.String()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

var sampleStat = Stat{
	Czxid: 0x100000001, Mzxid: 0x100000002, Ctime: 1700000000000, Mtime: 1700000000001,
	Version: 3, Cversion: -2, Aversion: 1, EphemeralOwner: 0x1234567890abcdef,
	DataLength: 5, NumChildren: 2, Pzxid: 0x100000003,
}

var sampleACLs = []ACL{
	{Perms: PermAll, Scheme: "world", ID: "anyone"},
	{Perms: PermRead | PermAdmin, Scheme: "digest", ID: "bob:hash="},
	{Perms: 0, Scheme: "", ID: ""},
}

// samples returns, for every record of the package, values to round-trip.
// Slices are non-nil: nil vectors are written as empty ones, which read back
// as empty (not nil) slices.
func samples() map[string][]codec {
	return map[string][]codec{
		"Stat":          {&Stat{}, &Stat{Czxid: -1, Pzxid: 1 << 62}, ptr(sampleStat)},
		"RequestHeader": {&RequestHeader{Xid: 1, Op: OpGetData}, &RequestHeader{Xid: XidPing, Op: OpPing}},
		"ReplyHeader":   {&ReplyHeader{Xid: 5, Zxid: 0x20, Err: CodeNoNode}, &ReplyHeader{Xid: -1, Zxid: -1}},
		"ConnectRequest": {
			&ConnectRequest{Passwd: make([]byte, 16)},
			&ConnectRequest{LastZxidSeen: 9, TimeoutMs: 30000, SessionID: 77, Passwd: []byte("0123456789abcdef"), ReadOnly: true},
		},
		"ConnectResponse": {
			&ConnectResponse{TimeoutMs: 4000, SessionID: 1, Passwd: make([]byte, 16)},
			&ConnectResponse{Passwd: []byte{}, ReadOnly: true},
		},
		"PathWatchRequest": {&PathWatchRequest{Path: "/a/b", Watch: true}, &PathWatchRequest{}},
		"GetDataResponse": {
			&GetDataResponse{Data: []byte("hello"), Stat: sampleStat},
			&GetDataResponse{Data: []byte{}}, &GetDataResponse{},
		},
		"WatcherEvent": {&WatcherEvent{Type: EventNodeDeleted, State: StateSyncConnected, Path: "/x"}},
		"ACL":          {&sampleACLs[0], &sampleACLs[1], &ACL{}},
		"PathRequest":  {&PathRequest{Path: "/zookeeper/config"}, &PathRequest{}},
		"PathResponse": {&PathResponse{Path: "/seq-0000000007"}},
		"CreateRequest": {
			&CreateRequest{Path: "/a", Data: []byte("x"), ACL: sampleACLs, Flags: FlagEphemeralSequential},
			&CreateRequest{Path: "/t", ACL: []ACL{}, Flags: FlagPersistentWithTTL, TTL: MaxTTL},
			&CreateRequest{Path: "/t", Data: []byte{}, ACL: sampleACLs[:1], Flags: FlagPersistentSequentialWithTTL, TTL: 1},
			&CreateRequest{Path: "/c", ACL: sampleACLs[:1], Flags: FlagContainer},
		},
		"Create2Response":     {&Create2Response{Path: "/a", Stat: sampleStat}},
		"DeleteRequest":       {&DeleteRequest{Path: "/a", Version: -1}},
		"CheckVersionRequest": {&CheckVersionRequest{Path: "/a", Version: 7}},
		"SetDataRequest": {
			&SetDataRequest{Path: "/a", Data: []byte("new"), Version: 2},
			&SetDataRequest{Path: "/a", Version: -1},
		},
		"StatResponse":   {&StatResponse{Stat: sampleStat}},
		"GetACLResponse": {&GetACLResponse{ACL: sampleACLs, Stat: sampleStat}, &GetACLResponse{ACL: []ACL{}}},
		"SetACLRequest":  {&SetACLRequest{Path: "/a", ACL: sampleACLs, Version: 0}},
		"GetChildrenResponse": {
			&GetChildrenResponse{Children: []string{"a", "", "ccc"}},
			&GetChildrenResponse{Children: []string{}},
		},
		"GetChildren2Response": {&GetChildren2Response{Children: []string{"x"}, Stat: sampleStat}},
		"ReconfigRequest": {
			&ReconfigRequest{JoiningServers: "server.4=h4:2888:3888;2181", LeavingServers: "1,2", CurConfigID: -1},
			&ReconfigRequest{NewMembers: "server.1=h1:2888:3888;2181", CurConfigID: 0x100000000},
			&ReconfigRequest{},
		},
		"WatchesRequest":  {&WatchesRequest{Path: "/w", Type: WatcherAny}},
		"AddWatchRequest": {&AddWatchRequest{Path: "/w", Mode: AddWatchPersistentRecursive}},
		"SetWatchesRequest": {&SetWatchesRequest{
			RelativeZxid: 0x300000001, DataWatches: []string{"/d1", "/d2"}, ExistWatches: []string{},
			ChildWatches: []string{"/"},
		}},
		"SetWatches2Request": {&SetWatches2Request{
			RelativeZxid: 42, DataWatches: []string{"/d"}, ExistWatches: []string{"/e"}, ChildWatches: []string{},
			PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{"/r", "/r2"},
		}},
		"AuthRequest":                  {&AuthRequest{Scheme: "digest", Auth: []byte("user:pass")}, &AuthRequest{Type: 1}},
		"SASLRequest":                  {&SASLRequest{Token: []byte{1, 2, 3}}, &SASLRequest{}},
		"SASLResponse":                 {&SASLResponse{Token: []byte{}}, &SASLResponse{Token: []byte("tok")}},
		"GetEphemeralsResponse":        {&GetEphemeralsResponse{Ephemerals: []string{"/e/1", "/e/2"}}},
		"GetAllChildrenNumberResponse": {&GetAllChildrenNumberResponse{Number: 12345}},
		"ClientInfo":                   {&ClientInfo{AuthScheme: "ip", User: "127.0.0.1"}},
		"WhoAmIResponse": {
			&WhoAmIResponse{ClientInfo: []ClientInfo{{"ip", "127.0.0.1"}, {"digest", "bob"}}},
			&WhoAmIResponse{ClientInfo: []ClientInfo{}},
		},
		"ErrorResponse": {&ErrorResponse{Err: CodeNoNode}, &ErrorResponse{}},
		"MultiHeader":   {&MultiHeader{Type: OpCreate, Err: -1}, &MultiHeader{Type: OpError, Done: true, Err: -1}},
		"MultiRequest": {
			&MultiRequest{Ops: []MultiOp{
				{OpCreate, &CreateRequest{Path: "/a", Data: []byte("x"), ACL: sampleACLs, Flags: FlagEphemeral}},
				{OpCreate2, &CreateRequest{Path: "/b", ACL: sampleACLs[:1]}},
				{OpCreateContainer, &CreateRequest{Path: "/c", ACL: sampleACLs[:1], Flags: FlagContainer}},
				{OpCreateTTL, &CreateRequest{Path: "/d", ACL: sampleACLs[:1], Flags: FlagPersistentWithTTL, TTL: 1000}},
				{OpDelete, &DeleteRequest{Path: "/e", Version: -1}},
				{OpSetData, &SetDataRequest{Path: "/f", Data: []byte("y"), Version: 3}},
				{OpCheck, &CheckVersionRequest{Path: "/g", Version: 4}},
			}},
			&MultiRequest{Ops: []MultiOp{
				{OpGetData, &PathWatchRequest{Path: "/h"}},
				{OpGetChildren, &PathWatchRequest{Path: "/i"}},
			}},
			&MultiRequest{},
		},
		"MultiResponse": {
			&MultiResponse{Results: []MultiResult{
				{Op: OpCreate, Path: "/a"},
				{Op: OpCreate2, Path: "/b", Stat: sampleStat},
				{Op: OpDelete},
				{Op: OpSetData, Stat: sampleStat},
				{Op: OpCheck},
				{Op: OpGetData, Data: []byte("data"), Stat: sampleStat},
				{Op: OpGetChildren, Children: []string{"k1", "k2"}},
				{Op: OpError, Err: CodeNoNode},
			}},
			&MultiResponse{Results: []MultiResult{
				{Op: OpError}, {Op: OpError, Err: CodeBadVersion}, {Op: OpError, Err: CodeRuntimeInconsistency},
			}},
			&MultiResponse{},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// decodeFresh decodes b into a new value of v's type.
func decodeFresh(v codec, b []byte) (codec, *Decoder) {
	w := reflect.New(reflect.TypeOf(v).Elem()).Interface().(codec)
	d := NewDecoder(b)
	w.Decode(d)
	return w, d
}

func TestRoundTrip(t *testing.T) {
	for name, vs := range samples() {
		for i, v := range vs {
			b := v.Append(nil)
			w, d := decodeFresh(v, b)
			if d.Err() != nil {
				t.Errorf("%s[%d]: decode: %v", name, i, d.Err())
				continue
			}
			if d.Remaining() != 0 {
				t.Errorf("%s[%d]: %d bytes left over", name, i, d.Remaining())
			}
			if !reflect.DeepEqual(v, w) {
				t.Errorf("%s[%d]: round trip\n got %+v\nwant %+v", name, i, w, v)
			}
			// Appending after existing bytes must not disturb them.
			prefix := []byte{0xde, 0xad}
			b2 := v.Append(prefix)
			if !bytes.Equal(b2[:2], []byte{0xde, 0xad}) || !bytes.Equal(b2[2:], b) {
				t.Errorf("%s[%d]: Append to a non-empty slice differs", name, i)
			}
		}
	}
}

// TestTruncated checks that every strict prefix of a valid encoding fails to
// decode, except the handshake records whose last byte is optional.
func TestTruncated(t *testing.T) {
	for name, vs := range samples() {
		for i, v := range vs {
			b := v.Append(nil)
			for n := 0; n < len(b); n++ {
				if n == len(b)-1 && (name == "ConnectRequest" || name == "ConnectResponse") {
					continue
				}
				if _, d := decodeFresh(v, b[:n]); d.Err() == nil {
					t.Errorf("%s[%d]: prefix of %d/%d bytes decoded without error", name, i, n, len(b))
				}
			}
		}
	}
}

// TestAllRecordsCovered guards against adding a record without a sample.
func TestAllRecordsCovered(t *testing.T) {
	s := samples()
	for _, name := range []string{
		"ACL", "PathRequest", "PathResponse", "CreateRequest", "Create2Response", "DeleteRequest",
		"CheckVersionRequest", "SetDataRequest", "StatResponse", "GetACLResponse", "SetACLRequest",
		"GetChildrenResponse", "GetChildren2Response", "ReconfigRequest", "WatchesRequest",
		"AddWatchRequest", "SetWatchesRequest", "SetWatches2Request", "AuthRequest", "SASLRequest",
		"SASLResponse", "GetEphemeralsResponse", "GetAllChildrenNumberResponse", "ClientInfo",
		"WhoAmIResponse", "ErrorResponse", "MultiHeader", "MultiRequest", "MultiResponse",
	} {
		if len(s[name]) == 0 {
			t.Errorf("no round-trip sample for %s", name)
		}
	}
}

func TestGoldenGetDataRequest(t *testing.T) {
	got := AppendRequest(nil, 1, OpGetData, &PathWatchRequest{Path: "/foo", Watch: true})
	want := unhex(t, `
		00000011            # length 17
		00000001 00000004   # xid 1, getData
		00000004 2f666f6f   # "/foo"
		01                  # watch`)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	d := NewDecoder(got[4:])
	var h RequestHeader
	var r PathWatchRequest
	h.Decode(d)
	r.Decode(d)
	if d.Err() != nil || h != (RequestHeader{1, OpGetData}) || r != (PathWatchRequest{"/foo", true}) {
		t.Fatalf("decoded %+v %+v, err %v", h, r, d.Err())
	}
}

func TestGoldenPing(t *testing.T) {
	got := AppendRequest([]byte{9}, XidPing, OpPing, nil)
	want := unhex(t, `09  00000008 fffffffe 0000000b`)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
}

func TestGoldenConnect(t *testing.T) {
	r := ConnectRequest{
		LastZxidSeen: 0x10, TimeoutMs: 30000, SessionID: 0x0102030405060708,
		Passwd: []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, ReadOnly: true,
	}
	got := AppendConnect(nil, &r)
	want := unhex(t, `
		0000002d                           # length 45
		00000000                           # protocol version
		0000000000000010                   # last zxid seen
		00007530                           # timeout 30000 ms
		0102030405060708                   # session id
		00000010 000102030405060708090a0b0c0d0e0f   # password
		01                                 # read-only`)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	// A nil password is sent as 16 zero bytes.
	r.Passwd = nil
	got = AppendConnect(nil, &r)
	if !bytes.Equal(got[28:48], unhex(t, "00000010 00000000000000000000000000000000")) {
		t.Fatalf("nil password encoded as %x", got[28:48])
	}
}

func TestGoldenMultiRequest(t *testing.T) {
	m := MultiRequest{Ops: []MultiOp{
		{OpCreate, &CreateRequest{Path: "/a", Data: []byte("x"), ACL: []ACL{{PermAll, "world", "anyone"}}, Flags: FlagEphemeral}},
		{OpCheck, &CheckVersionRequest{Path: "/b", Version: 3}},
	}}
	got := AppendRequest(nil, 7, OpMulti, &m)
	want := unhex(t, `
		00000057                  # length 87
		00000007 0000000e         # xid 7, multi
		00000001 00 ffffffff      # header: create, not done, err -1
		00000002 2f61             # "/a"
		00000001 78               # data "x"
		00000001                  # 1 ACL
		0000001f                    # perms ALL
		00000005 776f726c64         # "world"
		00000006 616e796f6e65       # "anyone"
		00000001                  # flags EPHEMERAL
		0000000d 00 ffffffff      # header: check
		00000002 2f62             # "/b"
		00000003                  # version 3
		ffffffff 01 ffffffff      # end`)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	var back MultiRequest
	d := NewDecoder(want[12:])
	back.Decode(d)
	if d.Err() != nil || d.Remaining() != 0 || !reflect.DeepEqual(back, m) {
		t.Fatalf("decoded %+v, err %v", back, d.Err())
	}
}

// A large multi grows its buffer by doubling: a few allocations, not the
// dozens append's quarter steps would take.
func TestLargeMultiRequestGrowsByDoubling(t *testing.T) {
	m := MultiRequest{Ops: make([]MultiOp, 10000)}
	for i := range m.Ops {
		m.Ops[i] = MultiOp{OpSetData, &SetDataRequest{Path: "/watches/node-0000000000", Data: []byte("x"), Version: -1}}
	}
	var size int
	allocs := testing.AllocsPerRun(5, func() { size = len(m.Append(nil)) })
	if limit := float64(bits.Len(uint(size))); allocs > limit {
		t.Fatalf("%v allocations for a %d-byte multi, want at most %v", allocs, size, limit)
	}
}

func TestGoldenFailedMultiReply(t *testing.T) {
	frame := unhex(t, `
		00000040                          # length 64
		00000007 0000000000000020 00000000   # xid 7, zxid 0x20, err 0
		ffffffff 00 00000000  00000000    # error result, code 0
		ffffffff 00 ffffff9b  ffffff9b    # error result, code -101
		ffffffff 00 fffffffe  fffffffe    # error result, code -2
		ffffffff 01 ffffffff              # end`)
	d := NewDecoder(frame[4:])
	var h ReplyHeader
	var r MultiResponse
	h.Decode(d)
	r.Decode(d)
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("err %v, %d bytes left", d.Err(), d.Remaining())
	}
	want := MultiResponse{Results: []MultiResult{
		{Op: OpError, Err: CodeOK}, {Op: OpError, Err: CodeNoNode}, {Op: OpError, Err: CodeRuntimeInconsistency},
	}}
	if h != (ReplyHeader{Xid: 7, Zxid: 0x20}) || !reflect.DeepEqual(r, want) {
		t.Fatalf("decoded %+v %+v", h, r)
	}
	if i, c := r.FirstError(); i != 1 || c != CodeNoNode {
		t.Fatalf("FirstError = %d, %v", i, c)
	}
	if got := AppendReply(nil, h, &want); !bytes.Equal(got, frame) {
		t.Fatalf("AppendReply\n got %x\nwant %x", got, frame)
	}
}

func TestFirstErrorAllOK(t *testing.T) {
	r := MultiResponse{Results: []MultiResult{{Op: OpCreate, Path: "/a"}, {Op: OpCheck}}}
	if i, c := r.FirstError(); i != -1 || c != CodeOK {
		t.Fatalf("FirstError = %d, %v", i, c)
	}
	if i, c := (&MultiResponse{}).FirstError(); i != -1 || c != CodeOK {
		t.Fatalf("empty: FirstError = %d, %v", i, c)
	}
}

func TestMultiResponseServerCreateTypes(t *testing.T) {
	// The server answers create2, createContainer and createTTL with type 15;
	// a fake server writing 19 or 21 is read the same way.
	for _, op := range []Op{OpCreate2, OpCreateContainer, OpCreateTTL} {
		in := MultiResponse{Results: []MultiResult{{Op: op, Path: "/p", Stat: sampleStat}}}
		var out MultiResponse
		d := NewDecoder(in.Append(nil))
		out.Decode(d)
		if d.Err() != nil || !reflect.DeepEqual(in, out) {
			t.Errorf("%v: got %+v, err %v", op, out, d.Err())
		}
	}
}

func TestMultiUnknownType(t *testing.T) {
	bad := unhex(t, `00000003 00 00000000  ffffffff 01 ffffffff`) // exists is not a multi op
	var req MultiRequest
	d := NewDecoder(bad)
	req.Decode(d)
	if !errors.Is(d.Err(), ErrUnknownOp) || req.Ops != nil {
		t.Fatalf("request: err %v, ops %v", d.Err(), req.Ops)
	}
	var resp MultiResponse
	d = NewDecoder(bad)
	resp.Decode(d)
	if !errors.Is(d.Err(), ErrUnknownOp) || resp.Results != nil {
		t.Fatalf("response: err %v, results %v", d.Err(), resp.Results)
	}
}

func TestMultiMissingEnd(t *testing.T) {
	b := unhex(t, `00000002 00 00000000`) // a delete result, then nothing
	var r MultiResponse
	d := NewDecoder(b)
	r.Decode(d)
	if !errors.Is(d.Err(), ErrShortBuffer) || r.Results != nil {
		t.Fatalf("err %v, results %v", d.Err(), r.Results)
	}
}

func TestMultiResponseHeadersOnly(t *testing.T) {
	// Many bodiless results: the decoder stops when the frame ends and never
	// holds more results than the frame had headers.
	var b []byte
	for range 1000 {
		b = (&MultiHeader{Type: OpDelete}).Append(b)
	}
	var r MultiResponse
	d := NewDecoder(b)
	r.Decode(d)
	if !errors.Is(d.Err(), ErrShortBuffer) || r.Results != nil {
		t.Fatalf("err %v, %d results", d.Err(), len(r.Results))
	}
	b = AppendMultiEnd(b)
	d = NewDecoder(b)
	r.Decode(d)
	if d.Err() != nil || len(r.Results) != 1000 || cap(r.Results) > 2*1000 {
		t.Fatalf("err %v, len %d cap %d", d.Err(), len(r.Results), cap(r.Results))
	}
}

func TestConnectResponseWithoutReadOnly(t *testing.T) {
	// A 3.4 server ends the response after the password.
	b := unhex(t, `
		00000000 00001388 0123456789abcdef
		00000010 00112233445566778899aabbccddeeff`)
	var r ConnectResponse
	d := NewDecoder(b)
	r.Decode(d)
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("err %v, %d left", d.Err(), d.Remaining())
	}
	if r.TimeoutMs != 5000 || r.SessionID != 0x0123456789abcdef || len(r.Passwd) != 16 || r.ReadOnly {
		t.Fatalf("decoded %+v", r)
	}
}

func TestCreateRequestTTLOnlyForTTLModes(t *testing.T) {
	plain := (&CreateRequest{Path: "/a", Flags: FlagPersistent, TTL: 99}).Append(nil)
	ttl := (&CreateRequest{Path: "/a", Flags: FlagPersistentWithTTL, TTL: 99}).Append(nil)
	if len(ttl) != len(plain)+8 {
		t.Fatalf("len plain %d, ttl %d", len(plain), len(ttl))
	}
	if !bytes.Equal(ttl[len(ttl)-8:], unhex(t, "0000000000000063")) {
		t.Fatalf("ttl tail %x", ttl[len(ttl)-8:])
	}
	var r CreateRequest
	r.TTL = 5
	r.Decode(NewDecoder(plain))
	if r.TTL != 0 {
		t.Fatalf("TTL %d after decoding a plain create", r.TTL)
	}
}

func TestReconfigNullStrings(t *testing.T) {
	got := (&ReconfigRequest{LeavingServers: "3", CurConfigID: -1}).Append(nil)
	want := unhex(t, `ffffffff 00000001 33 ffffffff ffffffffffffffff`)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
}

func TestAppendACLsNil(t *testing.T) {
	if got := AppendACLs(nil, nil); !bytes.Equal(got, []byte{0, 0, 0, 0}) {
		t.Fatalf("nil ACLs encoded as %x", got)
	}
	d := NewDecoder(unhex(t, "ffffffff"))
	if acls := d.ACLs(); acls != nil || d.Err() != nil {
		t.Fatalf("null vector: %v, %v", acls, d.Err())
	}
}

func TestDecoderHugeBufferLength(t *testing.T) {
	in := append(unhex(t, "7fffffff"), make([]byte, 10)...)
	run := func() {
		d := NewDecoder(in)
		if b := d.Buffer(); b != nil {
			t.Fatalf("got %d bytes", len(b))
		}
		if !errors.Is(d.Err(), ErrBadLength) {
			t.Fatalf("err %v, want ErrBadLength", d.Err())
		}
	}
	// Only the small error value may be allocated, never the buffer.
	if n := testing.AllocsPerRun(100, run); n > 8 {
		t.Errorf("%v allocations per decode", n)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 100
	for range runs {
		run()
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 1024 {
		t.Errorf("%d bytes allocated per decode", per)
	}
	// The same for a string.
	d := NewDecoder(in)
	if s := d.String(); s != "" || !errors.Is(d.Err(), ErrBadLength) {
		t.Fatalf("String: %q, %v", s, d.Err())
	}
}

func TestDecoderNullAndEmpty(t *testing.T) {
	d := NewDecoder(unhex(t, "ffffffff 00000000 ffffffff ffffffff"))
	if b := d.Buffer(); b != nil {
		t.Errorf("null buffer: %v", b)
	}
	if b := d.Buffer(); b == nil || len(b) != 0 {
		t.Errorf("empty buffer: %#v", b)
	}
	if s := d.String(); s != "" {
		t.Errorf("null string: %q", s)
	}
	if ss := d.Strings(); ss != nil {
		t.Errorf("null vector: %v", ss)
	}
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("err %v, %d left", d.Err(), d.Remaining())
	}
	for _, bad := range []string{"fffffffe", "80000000"} {
		d.Reset(unhex(t, bad))
		if d.Buffer(); !errors.Is(d.Err(), ErrBadLength) {
			t.Errorf("length %s: err %v", bad, d.Err())
		}
	}
}

func TestDecoderHugeVectorCounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"max count", append(unhex(t, "7fffffff"), make([]byte, 64)...)},
		// 100 bytes hold at most 25 empty strings.
		{"26 in 100 bytes", append(unhex(t, "0000001a"), make([]byte, 100)...)},
	} {
		d := NewDecoder(tc.in)
		if ss := d.Strings(); ss != nil || !errors.Is(d.Err(), ErrBadLength) {
			t.Errorf("Strings %s: %d strings, err %v", tc.name, len(ss), d.Err())
		}
		d.Reset(tc.in)
		if acls := d.ACLs(); acls != nil || !errors.Is(d.Err(), ErrBadLength) {
			t.Errorf("ACLs %s: %d ACLs, err %v", tc.name, len(acls), d.Err())
		}
		var w WhoAmIResponse
		d.Reset(tc.in)
		if w.Decode(d); w.ClientInfo != nil || !errors.Is(d.Err(), ErrBadLength) {
			t.Errorf("WhoAmI %s: %d infos, err %v", tc.name, len(w.ClientInfo), d.Err())
		}
	}
	// 25 empty strings do fit in 100 bytes.
	d := NewDecoder(append(unhex(t, "00000019"), make([]byte, 100)...))
	if ss := d.Strings(); len(ss) != 25 || d.Err() != nil {
		t.Errorf("25 empty strings: %d, %v", len(ss), d.Err())
	}
	// Count with a zero minimum must not divide by zero.
	d.Reset(unhex(t, "00000002 0000"))
	if n := d.Count(0); n != 2 || d.Err() != nil {
		t.Errorf("Count(0) = %d, %v", n, d.Err())
	}
}

func TestAppendFrame(t *testing.T) {
	r := ConnectResponse{TimeoutMs: 4000, SessionID: 1, Passwd: make([]byte, 16)}
	got := AppendFrame([]byte{1, 2}, &r)
	body := r.Append(nil)
	if !bytes.Equal(got[:2], []byte{1, 2}) || !bytes.Equal(got[6:], body) ||
		!bytes.Equal(got[2:6], AppendInt32(nil, int32(len(body)))) {
		t.Fatalf("frame %x", got)
	}
	reply := AppendReply(nil, ReplyHeader{Xid: 3, Zxid: 4, Err: CodeNoNode}, nil)
	if !bytes.Equal(reply, unhex(t, "00000010 00000003 0000000000000004 ffffff9b")) {
		t.Fatalf("reply %x", reply)
	}
}
