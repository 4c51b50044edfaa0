package kzotel_test

import (
	"context"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/kzotel"
	"github.com/kazoo-go/kazoo/proto"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// setup returns a hook recording into an in-memory span exporter and a
// manual metric reader.
func setup(t *testing.T) (*kzotel.Hook, *tracetest.InMemoryExporter, *sdkmetric.ManualReader, *sdktrace.TracerProvider) {
	t.Helper()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	h, err := kzotel.New(kzotel.WithTracerProvider(tp), kzotel.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	return h, spans, reader, tp
}

func TestRequestSpans(t *testing.T) {
	h, spans, _, tp := setup(t)
	ctx, parent := tp.Tracer("test").Start(context.Background(), "caller")
	start := time.Now().Add(-3 * time.Millisecond)
	h.OnRequest(ctx, kazoo.RequestInfo{Op: proto.OpGetData, Path: "/a", Start: start, Latency: 2 * time.Millisecond})
	h.OnRequest(ctx, kazoo.RequestInfo{Op: proto.OpDelete, Path: "/b", Start: start, Latency: time.Millisecond,
		Err: &kazoo.Error{Code: proto.CodeNoNode, Op: "delete", Path: "/b"}})
	parent.End()

	got := spans.GetSpans()
	if len(got) != 3 {
		t.Fatalf("%d spans, want 3", len(got))
	}
	get, del := got[0], got[1]
	if get.Name != "getData" || get.Parent.SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("span %q parent %v, want getData under the caller's span", get.Name, get.Parent.SpanID())
	}
	if !get.StartTime.Equal(start) || get.EndTime.Sub(get.StartTime) != 2*time.Millisecond {
		t.Errorf("span times %v..%v, want the request's own", get.StartTime, get.EndTime)
	}
	if !hasAttr(get.Attributes, attribute.String("zookeeper.path", "/a")) || !hasAttr(get.Attributes, attribute.String("db.system.name", "zookeeper")) {
		t.Errorf("attributes %v", get.Attributes)
	}
	if del.Status.Code != codes.Error || del.Status.Description != "no_node" {
		t.Errorf("failed request's status %+v, want Error no_node", del.Status)
	}
}

func hasAttr(kvs []attribute.KeyValue, want attribute.KeyValue) bool {
	for _, kv := range kvs {
		if kv == want {
			return true
		}
	}
	return false
}

func TestMetrics(t *testing.T) {
	h, _, reader, _ := setup(t)
	h.OnRequest(context.Background(), kazoo.RequestInfo{Op: proto.OpGetData, Latency: time.Millisecond})
	h.OnRequest(context.Background(), kazoo.RequestInfo{Op: proto.OpGetData, Latency: time.Millisecond, Err: kazoo.ErrConnectionLoss})
	h.OnConnect(kazoo.ConnectInfo{Server: "a", SessionID: 7})
	h.OnDisconnect("a", nil)
	h.OnStateChange(kazoo.Connected, kazoo.Suspended)
	h.OnWatchEvent(kazoo.Event{Type: kazoo.EventNodeDeleted}, 1)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, p := range s.DataPoints {
					key := m.Name
					for _, kv := range p.Attributes.ToSlice() {
						key += " " + string(kv.Key) + "=" + kv.Value.Emit()
					}
					sums[key] += p.Value
				}
			}
		}
	}
	for key, want := range map[string]int64{
		"zookeeper.client.requests op=getData result=ok":              1,
		"zookeeper.client.requests op=getData result=connection_loss": 1,
		"zookeeper.client.connects result=ok":                         1,
		"zookeeper.client.disconnects":                                1,
		"zookeeper.client.state.transitions state=Suspended":          1,
		"zookeeper.client.watch.events type=NodeDeleted":              1,
	} {
		if sums[key] != want {
			t.Errorf("%s = %d, want %d (all: %v)", key, sums[key], want, sums)
		}
	}
}
