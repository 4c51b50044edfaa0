// Package kzotel traces a kazoo client's requests and records its metrics
// with OpenTelemetry.
//
// It is a module of its own, so that the core client keeps no dependency.
// Add it to a client with kazoo.WithHooks:
//
//	h, err := kzotel.New() // the global TracerProvider and MeterProvider
//	c, err := kazoo.Connect(ctx, servers, kazoo.WithHooks(h))
//
// Each request becomes a client span named after its operation ("getData",
// "create", ...), a child of the span in the caller's context, with its
// real start and end times, the attributes db.system.name=zookeeper,
// db.operation.name and zookeeper.path, and an error status when it fails.
// Connection attempts, disconnects and state changes become events on the
// span in no context: they are recorded as metrics instead:
//
//	zookeeper.client.requests           {op, result} requests completed
//	zookeeper.client.request.duration   {op} histogram, seconds
//	zookeeper.client.connects           {result} connection attempts (ok, resumed, failed)
//	zookeeper.client.disconnects        established connections that ended
//	zookeeper.client.state.transitions  {state} transitions into each state
//	zookeeper.client.watch.events       {type} watch events delivered
package kzotel

import (
	"context"
	"errors"

	"github.com/kazoo-go/kazoo"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the spans and metrics.
const ScopeName = "github.com/kazoo-go/kazoo/kzotel"

// Hook is a kazoo hook that records spans and metrics.
type Hook struct {
	tracer      trace.Tracer
	requests    metric.Int64Counter
	duration    metric.Float64Histogram
	connects    metric.Int64Counter
	disconnects metric.Int64Counter
	transitions metric.Int64Counter
	events      metric.Int64Counter
	traces      bool
}

// Option configures New.
type Option func(*config)

type config struct {
	tp     trace.TracerProvider
	mp     metric.MeterProvider
	traces bool
}

// WithTracerProvider sets where spans go (default: otel's global provider).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithMeterProvider sets where metrics go (default: otel's global provider).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithoutTraces records metrics only.
func WithoutTraces() Option { return func(c *config) { c.traces = false } }

// New returns a hook recording to the given (or global) providers.
func New(opts ...Option) (*Hook, error) {
	cfg := config{traces: true}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	m := cfg.mp.Meter(ScopeName)
	h := &Hook{tracer: cfg.tp.Tracer(ScopeName), traces: cfg.traces}
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	h.requests, err = m.Int64Counter("zookeeper.client.requests", metric.WithDescription("Requests completed, by operation and result."))
	add(err)
	h.duration, err = m.Float64Histogram("zookeeper.client.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Request latency from submission to completion."))
	add(err)
	h.connects, err = m.Int64Counter("zookeeper.client.connects", metric.WithDescription("Connection attempts, by result."))
	add(err)
	h.disconnects, err = m.Int64Counter("zookeeper.client.disconnects", metric.WithDescription("Established connections that ended."))
	add(err)
	h.transitions, err = m.Int64Counter("zookeeper.client.state.transitions", metric.WithDescription("Transitions into each state."))
	add(err)
	h.events, err = m.Int64Counter("zookeeper.client.watch.events", metric.WithDescription("Watch events delivered, by type."))
	add(err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return h, nil
}

// OnRequest implements kazoo.HookRequest: a span with the request's real
// times, and the request metrics.
func (h *Hook) OnRequest(ctx context.Context, r kazoo.RequestInfo) {
	op := r.Op.String()
	res := r.Result()
	h.requests.Add(ctx, 1, metric.WithAttributes(attribute.String("op", op), attribute.String("result", res)))
	h.duration.Record(ctx, r.Latency.Seconds(), metric.WithAttributes(attribute.String("op", op)))
	if !h.traces {
		return
	}
	_, span := h.tracer.Start(ctx, op, trace.WithTimestamp(r.Start), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("db.system.name", "zookeeper"),
			attribute.String("db.operation.name", op),
			attribute.String("zookeeper.path", r.Path),
			attribute.Int("zookeeper.request.bytes", r.BytesOut),
			attribute.Int("zookeeper.response.bytes", r.BytesIn),
		))
	if r.Err != nil {
		span.RecordError(r.Err)
		span.SetStatus(codes.Error, res)
	}
	span.End(trace.WithTimestamp(r.Start.Add(r.Latency)))
}

// OnStateChange implements kazoo.HookStateChange.
func (h *Hook) OnStateChange(_, to kazoo.State) {
	h.transitions.Add(context.Background(), 1, metric.WithAttributes(attribute.String("state", to.String())))
}

// OnConnect implements kazoo.HookConnect.
func (h *Hook) OnConnect(c kazoo.ConnectInfo) {
	res := "ok"
	switch {
	case c.Err != nil:
		res = "failed"
	case c.Resumed:
		res = "resumed"
	}
	h.connects.Add(context.Background(), 1, metric.WithAttributes(attribute.String("result", res)))
}

// OnDisconnect implements kazoo.HookConnect.
func (h *Hook) OnDisconnect(string, error) { h.disconnects.Add(context.Background(), 1) }

// OnWatchEvent implements kazoo.HookWatchEvent.
func (h *Hook) OnWatchEvent(ev kazoo.Event, _ int) {
	h.events.Add(context.Background(), 1, metric.WithAttributes(attribute.String("type", ev.Type.String())))
}

var (
	_ kazoo.HookRequest     = (*Hook)(nil)
	_ kazoo.HookStateChange = (*Hook)(nil)
	_ kazoo.HookConnect     = (*Hook)(nil)
	_ kazoo.HookWatchEvent  = (*Hook)(nil)
)
