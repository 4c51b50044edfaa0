package kzprom_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/kzprom"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestHookCalls feeds the hook what a client reports and reads it back
// through a registry, as a scrape would.
func TestHookCalls(t *testing.T) {
	m := kzprom.New(kzprom.WithNamespace("zk"))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)

	ctx := context.Background()
	m.OnRequest(ctx, kazoo.RequestInfo{Op: proto.OpGetData, Path: "/a", Latency: 2 * time.Millisecond, BytesOut: 20, BytesIn: 100})
	m.OnRequest(ctx, kazoo.RequestInfo{Op: proto.OpGetData, Path: "/b", Latency: time.Millisecond, BytesOut: 20, BytesIn: 16,
		Err: &kazoo.Error{Code: proto.CodeNoNode, Op: "getData", Path: "/b", Err: kazoo.ErrNoNode}})
	m.OnRequest(ctx, kazoo.RequestInfo{Op: proto.OpCreate, Err: kazoo.ErrConnectionLoss})
	m.OnStateChange(0, kazoo.Connected)
	m.OnStateChange(kazoo.Connected, kazoo.Suspended)
	m.OnConnect(kazoo.ConnectInfo{Server: "s:1", SessionID: 1})
	m.OnConnect(kazoo.ConnectInfo{Server: "s:2", Err: errors.New("refused")})
	m.OnConnect(kazoo.ConnectInfo{Server: "s:1", SessionID: 1, Resumed: true})
	m.OnDisconnect("s:1", errors.New("reset"))
	m.OnWatchEvent(kazoo.Event{Type: kazoo.EventNodeCreated, Path: "/a"}, 3)

	want := `
# HELP zk_requests_total Requests completed, by operation and result (ok, or the error code).
# TYPE zk_requests_total counter
zk_requests_total{op="create",result="connection_loss"} 1
zk_requests_total{op="getData",result="no_node"} 1
zk_requests_total{op="getData",result="ok"} 1
# HELP zk_state 1 for the client's current state, 0 for the others.
# TYPE zk_state gauge
zk_state{state="Connected"} 0
zk_state{state="Suspended"} 1
# HELP zk_connect_attempts_total Connection attempts, by result (ok: new session, resumed, failed).
# TYPE zk_connect_attempts_total counter
zk_connect_attempts_total{result="failed"} 1
zk_connect_attempts_total{result="ok"} 1
zk_connect_attempts_total{result="resumed"} 1
# HELP zk_request_bytes_total Bytes of requests sent (out) and replies received (in).
# TYPE zk_request_bytes_total counter
zk_request_bytes_total{direction="in"} 116
zk_request_bytes_total{direction="out"} 40
# HELP zk_watch_queue_depth Events waiting in the queue of the watch that received the last event.
# TYPE zk_watch_queue_depth gauge
zk_watch_queue_depth 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"zk_requests_total", "zk_state", "zk_connect_attempts_total", "zk_request_bytes_total", "zk_watch_queue_depth"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m, "zk_request_duration_seconds"); n != 2 {
		t.Fatalf("latency histograms: %d series, want 2 (getData, create)", n)
	}
}
