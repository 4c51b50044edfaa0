package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kazoo-go/kazoo/proto"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newTestSession returns a session that is never started: its engine
// pieces work without a server.
func newTestSession(t *testing.T, chroot string) *Session {
	t.Helper()
	s := New(Config{Chroot: chroot, Logger: slog.New(slog.DiscardHandler), SessionTimeout: time.Second, MaxPacket: proto.MaxPacket})
	t.Cleanup(s.cancel)
	return s
}

// recv waits for a value on ch, or fails the test after a deadline.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing received within 10s")
		panic("unreachable")
	}
}

type stateRecorder struct {
	Hooks
	got []string
}

func (r *stateRecorder) StateChange(from, to State) {
	r.got = append(r.got, from.String()+">"+to.String())
}

func TestStateHub(t *testing.T) {
	var h stateHub
	rec := &stateRecorder{}
	h.hook = rec
	q := h.subscribe()
	if !h.set(Connected) || h.set(Connected) {
		t.Fatal("set reports a change only when the state changes")
	}
	h.set(Suspended)
	h.set(Closed)
	if h.set(Connected) || h.get() != Closed {
		t.Fatal("the state changed after Closed")
	}
	var got []State
	for s := range q.Out() {
		got = append(got, s)
	}
	want := []State{0, Connected, Suspended, Closed}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("subscriber got %v, want %v", got, want)
	}
	if fmt.Sprint(rec.got) != "[State(?)>Connected Connected>Suspended Suspended>Closed]" {
		t.Fatalf("hook got %v", rec.got)
	}
	late := h.subscribe()
	if s, ok := <-late.Out(); s != Closed || !ok {
		t.Fatalf("a subscription after Closed got %v, %v; want Closed", s, ok)
	}
	if _, ok := <-late.Out(); ok {
		t.Fatal("a subscription after Closed stays open")
	}
}

// TestAppendChroot: every request body carries the server's path, built by
// proto's records, in one place, for chroots shorter and longer than the
// length prefix the chroot is written over (see appendRequest).
func TestAppendChroot(t *testing.T) {
	acl := []proto.ACL{{Perms: proto.PermAll, Scheme: "world", ID: "anyone"}}
	for _, root := range []string{"", "/a", "/ab", "/app", "/a/much/longer/chroot"} {
		s := newTestSession(t, root)
		at := func(p string) string { // the server's path of a node
			if p == "/" && root != "" {
				return root
			}
			return root + p
		}
		for _, tc := range []struct {
			name string
			k    *Call
			want proto.Record
		}{
			{"getData /", &Call{Op: proto.OpGetData, Path: "/", Watch: true}, &proto.PathWatchRequest{Path: at("/"), Watch: true}},
			{"getData", &Call{Op: proto.OpGetData, Path: "/a"}, &proto.PathWatchRequest{Path: at("/a")}},
			{"exists", &Call{Op: proto.OpExists, Path: "/a/b", Watch: true}, &proto.PathWatchRequest{Path: at("/a/b"), Watch: true}},
			{"getChildren2", &Call{Op: proto.OpGetChildren2, Path: "/a"}, &proto.PathWatchRequest{Path: at("/a")}},
			{"config, outside the chroot", &Call{Op: proto.OpGetData, Path: "/zookeeper/config", Outside: true}, &proto.PathWatchRequest{Path: "/zookeeper/config"}},
			{"create", &Call{Op: proto.OpCreate, Path: "/a", Data: []byte("d"), ACL: acl, Flags: proto.FlagEphemeral},
				&proto.CreateRequest{Path: at("/a"), Data: []byte("d"), ACL: acl, Flags: proto.FlagEphemeral}},
			{"sequential create of /", &Call{Op: proto.OpCreate2, Path: "/", ACL: acl, Flags: proto.FlagPersistentSequential},
				&proto.CreateRequest{Path: root + "/", Data: []byte{}, ACL: acl, Flags: proto.FlagPersistentSequential}},
			{"createTTL", &Call{Op: proto.OpCreateTTL, Path: "/t", ACL: acl, Flags: proto.FlagPersistentWithTTL, TTL: 5000},
				&proto.CreateRequest{Path: at("/t"), Data: []byte{}, ACL: acl, Flags: proto.FlagPersistentWithTTL, TTL: 5000}},
			{"delete", &Call{Op: proto.OpDelete, Path: "/a", Version: 2}, &proto.DeleteRequest{Path: at("/a"), Version: 2}},
			{"setData nil", &Call{Op: proto.OpSetData, Path: "/a", Version: 3}, &proto.SetDataRequest{Path: at("/a"), Data: []byte{}, Version: 3}},
			{"getACL", &Call{Op: proto.OpGetACL, Path: "/a"}, &proto.PathRequest{Path: at("/a")}},
			{"sync /", &Call{Op: proto.OpSync, Path: "/"}, &proto.PathRequest{Path: at("/")}},
			{"setACL", &Call{Op: proto.OpSetACL, Path: "/a", ACL: acl, Version: 1}, &proto.SetACLRequest{Path: at("/a"), ACL: acl, Version: 1}},
			{"getEphemerals prefix", &Call{Op: proto.OpGetEphemerals, Path: "/a"}, &proto.PathRequest{Path: root + "/a"}},
			{"getEphemerals of all", &Call{Op: proto.OpGetEphemerals, Path: "/"}, &proto.PathRequest{Path: root + "/"}},
			{"removeWatches", &Call{Op: proto.OpRemoveWatches, Path: "/a", WType: int32(proto.WatcherData)},
				&proto.WatchesRequest{Path: at("/a"), Type: proto.WatcherData}},
			{"addWatch", &Call{Op: proto.OpAddWatch, Path: "/", WType: int32(proto.AddWatchPersistentRecursive)},
				&proto.AddWatchRequest{Path: at("/"), Mode: proto.AddWatchPersistentRecursive}},
			{"multi", &Call{Op: proto.OpMulti, Ops: txnOps(TxnOp{Op: proto.OpCheck, Path: "/a", Version: 1})},
				&proto.MultiRequest{Ops: []proto.MultiOp{{Op: proto.OpCheck, Body: &proto.CheckVersionRequest{Path: at("/a"), Version: 1}}}}},
			{"multiRead", &Call{Op: proto.OpMultiRead, Ops: txnOps(TxnOp{Op: proto.OpGetData, Path: "/"}, TxnOp{Op: proto.OpGetChildren, Path: "/b"})},
				&proto.MultiRequest{Ops: []proto.MultiOp{{Op: proto.OpGetData, Body: &proto.PathWatchRequest{Path: at("/")}}, {Op: proto.OpGetChildren, Body: &proto.PathWatchRequest{Path: at("/b")}}}}},
		} {
			k := tc.k
			k.c = s
			if got, want := k.Append(nil), tc.want.Append(nil); !bytes.Equal(got, want) {
				t.Errorf("chroot %q, %s: body %x, want %x", root, tc.name, got, want)
			}
		}
	}
	s := newTestSession(t, "/app")
	k := &Call{c: s, Op: proto.OpMulti, Ops: largeTxn(nil)}
	if got, want := k.Append(nil), largeMulti(nil).Append(nil); !bytes.Equal(got, want) {
		t.Error("large multi: body differs from proto's MultiRequest")
	}
	if b := (&Call{c: s, Op: proto.OpWhoAmI}).Append([]byte{1}); !bytes.Equal(b, []byte{1}) {
		t.Errorf("whoAmI appended %x, want nothing", b[1:])
	}
	if p := s.StripRoot("/app/a/b"); p != "/a/b" {
		t.Errorf("StripRoot = %q", p)
	}
	if p := s.StripRoot("/app"); p != "/" {
		t.Errorf("StripRoot of the chroot = %q", p)
	}
	if p := s.StripRoot("/apple"); p != "/apple" {
		t.Errorf("StripRoot of a sibling = %q", p)
	}
	for p, want := range map[string]string{"/app/a/b": "/a/b", "/app": "/", "/apple": "", "/ap": "", "/": "", "/zookeeper/config": ""} {
		rel, ok := s.relPath([]byte(p))
		if string(rel) != want || ok != (want != "") {
			t.Errorf("relPath(%q) = %q, %v; want %q", p, rel, ok, want)
		}
	}
}

func TestCallPoolKeepsSignal(t *testing.T) {
	s := newTestSession(t, "")
	k := s.GetCall(proto.OpGetData, "/a")
	done := k.done
	k.Err, k.RData = errors.New("x"), []byte("y")
	k.Release()
	if k.done != done || k.Err != nil || k.RData != nil || k.c != nil {
		t.Fatal("Release must clear the call and keep its signal channel")
	}
}

// TestVersionKnowledge: an Unimplemented answer teaches what a server
// lacks, per server.
func TestVersionKnowledge(t *testing.T) {
	s := newTestSession(t, "")
	v35 := proto.Version{Major: 3, Minor: 5}
	if _, known := s.predatesAt("a:1", v35); known {
		t.Fatal("nothing learnt yet")
	}
	s.learnUnimplemented("a:1", proto.OpCreate2)
	if old, known := s.predatesAt("a:1", v35); !old || !known {
		t.Fatal("a server that lacks create2 predates 3.5")
	}
	if _, known := s.predatesAt("b:1", v35); known {
		t.Fatal("what one server lacks says nothing of another")
	}
	// No connection: the persistent types are sent as WatchAny, which
	// every version accepts.
	if typ := s.ServerWatcherType(proto.WatcherPersistent); typ != proto.WatcherAny {
		t.Fatalf("ServerWatcherType = %v, want WatcherAny", typ)
	}
	if typ := s.ServerWatcherType(proto.WatcherData); typ != proto.WatcherData {
		t.Fatalf("ServerWatcherType(data) = %v", typ)
	}
}

func notify(m *watchManager, typ proto.EventType, path string) {
	m.Notify(&proto.WatcherEventView{Type: typ, Path: []byte(path)}, 7)
}

// TestWatchManager: one-shot watches fire once with the client's path;
// persistent and recursive watches see what they should; a lost session
// ends them all.
func TestWatchManager(t *testing.T) {
	s := newTestSession(t, "/app")
	m := &s.watches
	data := &Call{c: s, Op: proto.OpGetData, Path: "/a", WCh: make(chan Event, 1)}
	m.registerReply(data)
	missing := &Call{c: s, Op: proto.OpExists, Path: "/b", WCh: make(chan Event, 1), Code: proto.CodeNoNode}
	m.registerReply(missing)
	failed := &Call{c: s, Op: proto.OpGetData, Path: "/c", WCh: make(chan Event, 1), Code: proto.CodeNoNode}
	m.registerReply(failed)
	child := &Call{c: s, Op: proto.OpGetChildren2, Path: "/a", WCh: make(chan Event, 1)}
	m.registerReply(child)
	persistent := s.AddWatch("/a", false)
	recursive := s.AddWatch("/", true)

	notify(m, proto.EventNodeDataChanged, "/app/a")
	if e := recv(t, data.WCh); e.Type != proto.EventNodeDataChanged || e.Path != "/a" || e.Zxid != 7 {
		t.Fatalf("one-shot got %+v", e)
	}
	notify(m, proto.EventNodeCreated, "/app/b")
	if e := recv(t, missing.WCh); e.Type != proto.EventNodeCreated || e.Path != "/b" {
		t.Fatalf("exists watch got %+v", e)
	}
	notify(m, proto.EventNodeChildrenChanged, "/app/a")
	if e := recv(t, child.WCh); e.Type != proto.EventNodeChildrenChanged || e.Path != "/a" {
		t.Fatalf("children watch got %+v", e)
	}
	for _, want := range []Event{
		{Type: proto.EventNodeDataChanged, Path: "/a", Zxid: 7},
		{Type: proto.EventNodeChildrenChanged, Path: "/a", Zxid: 7},
	} {
		if e := recv(t, persistent.Events()); e != want {
			t.Fatalf("persistent got %+v, want %+v", e, want)
		}
	}
	for _, want := range []string{"/a", "/b"} {
		if e := recv(t, recursive.Events()); e.Path != want || e.Type == proto.EventNodeChildrenChanged {
			t.Fatalf("recursive got %+v, want a change of %s", e, want)
		}
	}
	if len(m.oneShot) != 0 {
		t.Fatalf("fired one-shot watches remain: %v", m.oneShot)
	}
	if len(failed.WCh) != 0 {
		t.Fatal("a watch the server did not set fired")
	}

	m.terminate(ErrSessionExpired, false)
	for _, w := range []*Watch{persistent, recursive} {
		e := recv(t, w.Events())
		if e.Type != proto.EventNone || !errors.Is(e.Err, ErrSessionExpired) {
			t.Fatalf("terminal event %+v", e)
		}
		if _, ok := <-w.Events(); ok {
			t.Fatal("a watch's channel stays open after its terminal event")
		}
	}
	if _, last := persistent.Close(); last {
		t.Fatal("a watch ended by the session has nothing left on the server")
	}
}

// TestWatchPathsAcrossTheChroot: watches are kept under the client's
// paths; a notification finds the chroot's own node, not a sibling of the
// chroot, and a watch outside the chroot (Config) under the server's path,
// also when the chroot contains that path.
func TestWatchPathsAcrossTheChroot(t *testing.T) {
	s := newTestSession(t, "/zookeeper")
	m := &s.watches
	watch := func(path string, outside bool) chan Event {
		k := &Call{c: s, Op: proto.OpGetData, Path: path, Outside: outside, WCh: make(chan Event, 1)}
		m.registerReply(k)
		return k.WCh
	}
	root, inside, config := watch("/", false), watch("/config", false), watch("/zookeeper/config", true)
	notify(m, proto.EventNodeDataChanged, "/zookeeperx") // a sibling of the chroot
	notify(m, proto.EventNodeDataChanged, "/")
	if len(root)+len(inside)+len(config) != 0 {
		t.Fatal("a notification outside the chroot fired a watch inside it")
	}
	notify(m, proto.EventNodeDataChanged, "/zookeeper")
	if e := recv(t, root); e.Path != "/" {
		t.Fatalf("the chroot's node: event %+v, want path /", e)
	}
	notify(m, proto.EventNodeDataChanged, "/zookeeper/config")
	if e := recv(t, inside); e.Path != "/config" {
		t.Fatalf("in the chroot: event %+v, want path /config", e)
	}
	if e := recv(t, config); e.Path != "/zookeeper/config" {
		t.Fatalf("outside the chroot: event %+v, want the server's path", e)
	}
	if len(m.oneShot) != 0 || m.outsides != 0 {
		t.Fatalf("fired watches remain: %v (%d outside)", m.oneShot, m.outsides)
	}
	config = watch("/zookeeper/config", true)
	m.terminate(ErrSessionExpired, false)
	if e := recv(t, config); e.Type != proto.EventNone || e.Path != "/zookeeper/config" {
		t.Fatalf("terminal event %+v", e)
	}
}

// TestBacklog: a future started while disconnected waits in the backlog
// and fails when its context ends or its session is lost.
func TestBacklog(t *testing.T) {
	s := newTestSession(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	gone := s.NewAsyncCall(proto.OpGetData, "/a")
	if err := gone.SubmitAsync(ctx); err != nil {
		t.Fatal(err)
	}
	lost := s.NewAsyncCall(proto.OpGetData, "/b")
	if err := lost.SubmitAsync(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	recv(t, gone.DoneChan())
	if !errors.Is(gone.Err, context.Canceled) {
		t.Fatalf("cancelled backlog call: %v", gone.Err)
	}
	s.sessionLost("test")
	recv(t, lost.DoneChan())
	if !errors.Is(lost.Err, ErrSessionExpired) {
		t.Fatalf("backlog call of a lost session: %v", lost.Err)
	}
	late := s.NewAsyncCall(proto.OpGetData, "/c")
	late.epoch-- // made in the lost session
	if err := late.SubmitAsync(context.Background()); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("a call of a lost session was taken: %v", err)
	}
	big := s.NewAsyncCall(proto.OpSetData, "/d")
	big.Data = make([]byte, proto.MaxPacket)
	if err := big.SubmitAsync(context.Background()); !errors.Is(err, ErrDataTooLarge) {
		t.Fatalf("a call no connection would take was queued: %v", err)
	}
}

func TestSentinels(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", CodeError(proto.CodeSessionExpired))
	if !errors.Is(err, ErrSessionExpired) {
		t.Fatal("a sentinel of a code matches every error of that code")
	}
	if !errors.Is(errSASLRequired, ErrAuthFailed) || !errors.Is(errSASLRequired, ErrSessionClosedRequireSASL) {
		t.Fatal("errSASLRequired matches both ErrAuthFailed and ErrSessionClosedRequireSASL")
	}
	if ParentPath("/a/b") != "/a" || ParentPath("/a") != "/" {
		t.Fatal("ParentPath")
	}
}

func txnOps(ops ...TxnOp) TxnOps {
	var t TxnOps
	for _, o := range ops {
		t.Add(o)
	}
	return t
}

// largeTxn is a transaction of every kind of write, over several of
// TxnOps' blocks; largeMulti is its request as proto builds it, for a
// session chrooted at /app.
func largeTxn(acl []proto.ACL) TxnOps {
	var t TxnOps
	for i := range 3000 {
		p := fmt.Sprintf("/n%d", i)
		switch i % 4 {
		case 0:
			t.Add(TxnOp{Op: proto.OpSetData, Path: p, Version: int32(i)}) // nil data
		case 1:
			t.Add(TxnOp{Op: proto.OpCreate, Path: p, Data: []byte("d"), Create: &CreateArgs{ACL: acl, Flags: proto.FlagEphemeral}})
		case 2:
			t.Add(TxnOp{Op: proto.OpDelete, Path: p, Version: -1})
		case 3:
			t.Add(TxnOp{Op: proto.OpCheck, Path: p, Version: 7})
		}
	}
	return t
}

func largeMulti(acl []proto.ACL) *proto.MultiRequest {
	r := &proto.MultiRequest{}
	for i := range 3000 {
		p := fmt.Sprintf("/app/n%d", i)
		var op proto.MultiOp
		switch i % 4 {
		case 0:
			op = proto.MultiOp{Op: proto.OpSetData, Body: &proto.SetDataRequest{Path: p, Data: []byte{}, Version: int32(i)}}
		case 1:
			op = proto.MultiOp{Op: proto.OpCreate, Body: &proto.CreateRequest{Path: p, Data: []byte("d"), ACL: acl, Flags: proto.FlagEphemeral}}
		case 2:
			op = proto.MultiOp{Op: proto.OpDelete, Body: &proto.DeleteRequest{Path: p, Version: -1}}
		case 3:
			op = proto.MultiOp{Op: proto.OpCheck, Body: &proto.CheckVersionRequest{Path: p, Version: 7}}
		}
		r.Ops = append(r.Ops, op)
	}
	return r
}

// TestTxnOps checks that a transaction keeps its operations in order
// whatever its size, yields them to an iterator that stops early, and holds
// at most one block of unused room once it is large.
func TestTxnOps(t *testing.T) {
	for _, n := range []int{0, 1, firstTxnBlock, firstTxnBlock + 1, 1000, 10000} {
		var ops TxnOps
		for i := range n {
			ops.Add(TxnOp{Version: int32(i)})
		}
		if ops.Len() != n {
			t.Fatalf("%d ops: Len %d", n, ops.Len())
		}
		seen := 0
		for i, o := range ops.All() {
			if i != seen || o.Version != int32(i) {
				t.Fatalf("%d ops: op %d at index %d has version %d", n, seen, i, o.Version)
			}
			seen++
		}
		if seen != n {
			t.Fatalf("%d ops: All yielded %d", n, seen)
		}
		room := 0
		for _, b := range ops.blocks {
			room += cap(b)
		}
		if waste := room - n; waste >= max(2*n, firstTxnBlock) || (n > maxTxnBlock && waste >= maxTxnBlock) {
			t.Errorf("%d ops: %d slots of unused room", n, waste)
		}
		for i := range ops.All() {
			if i == n/2 {
				break // yield must not be called again
			}
		}
	}
}
