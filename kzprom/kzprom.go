// Package kzprom exports a kazoo client's metrics to Prometheus.
//
// It is a module of its own, so that the core client keeps no dependency:
// add it to a client with kazoo.WithHooks, and register it with a
// prometheus.Registerer:
//
//	m := kzprom.New(kzprom.WithNamespace("myapp"))
//	prometheus.MustRegister(m)
//	c, err := kazoo.Connect(ctx, servers, kazoo.WithHooks(m))
//
// One Metrics may serve several clients; they then add up. The metrics
// (with the default namespace "kazoo"):
//
//	kazoo_requests_total{op,result}            requests completed; result: "ok", or the error code in snake case
//	kazoo_request_duration_seconds{op}         histogram of request latencies
//	kazoo_request_bytes_total{direction}       bytes of requests ("out") and replies ("in")
//	kazoo_state{state}                         1 for the client's current state, 0 for the others
//	kazoo_state_transitions_total{state}       transitions into each state
//	kazoo_connect_attempts_total{result}       connection attempts ("ok", "resumed", "failed")
//	kazoo_disconnects_total                    established connections that ended
//	kazoo_watch_events_total{type}             watch events delivered
//	kazoo_watch_queue_depth                    the longest watch queue seen at the last event
package kzprom

import (
	"context"

	"github.com/kazoo-go/kazoo"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics is a kazoo hook and a prometheus.Collector.
type Metrics struct {
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	bytes       *prometheus.CounterVec
	state       *prometheus.GaugeVec
	transitions *prometheus.CounterVec
	connects    *prometheus.CounterVec
	disconnects prometheus.Counter
	events      *prometheus.CounterVec
	queueDepth  prometheus.Gauge
}

// Option configures New.
type Option func(*config)

type config struct {
	namespace string
	buckets   []float64
	labels    prometheus.Labels
}

// WithNamespace sets the metrics' namespace (default "kazoo").
func WithNamespace(ns string) Option { return func(c *config) { c.namespace = ns } }

// WithBuckets sets the latency histogram's buckets, in seconds (default:
// 100µs to about 3s, doubling).
func WithBuckets(b []float64) Option { return func(c *config) { c.buckets = b } }

// WithConstLabels adds labels to every metric, e.g. to tell two clients
// apart when each has its own Metrics.
func WithConstLabels(l prometheus.Labels) Option { return func(c *config) { c.labels = l } }

// New returns metrics ready to register.
func New(opts ...Option) *Metrics {
	cfg := config{namespace: "kazoo", buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}
	for _, o := range opts {
		o(&cfg)
	}
	opt := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: cfg.namespace, Name: name, Help: help, ConstLabels: cfg.labels}
	}
	return &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts(opt("requests_total",
			"Requests completed, by operation and result (ok, or the error code).")), []string{"op", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: cfg.namespace, Name: "request_duration_seconds", ConstLabels: cfg.labels,
			Help:    "Request latency from submission to completion, by operation.",
			Buckets: cfg.buckets,
		}, []string{"op"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts(opt("request_bytes_total",
			"Bytes of requests sent (out) and replies received (in).")), []string{"direction"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts(opt("state",
			"1 for the client's current state, 0 for the others.")), []string{"state"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts(opt("state_transitions_total",
			"Transitions into each state.")), []string{"state"}),
		connects: prometheus.NewCounterVec(prometheus.CounterOpts(opt("connect_attempts_total",
			"Connection attempts, by result (ok: new session, resumed, failed).")), []string{"result"}),
		disconnects: prometheus.NewCounter(prometheus.CounterOpts(opt("disconnects_total",
			"Established connections that ended."))),
		events: prometheus.NewCounterVec(prometheus.CounterOpts(opt("watch_events_total",
			"Watch events delivered, by type.")), []string{"type"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts(opt("watch_queue_depth",
			"Events waiting in the queue of the watch that received the last event."))),
	}
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.latency, m.bytes, m.state, m.transitions,
		m.connects, m.disconnects, m.events, m.queueDepth}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
}

// OnRequest implements kazoo.HookRequest.
func (m *Metrics) OnRequest(_ context.Context, r kazoo.RequestInfo) {
	op := r.Op.String()
	m.requests.WithLabelValues(op, r.Result()).Inc()
	m.latency.WithLabelValues(op).Observe(r.Latency.Seconds())
	if r.BytesOut > 0 {
		m.bytes.WithLabelValues("out").Add(float64(r.BytesOut))
	}
	if r.BytesIn > 0 {
		m.bytes.WithLabelValues("in").Add(float64(r.BytesIn))
	}
}

// OnStateChange implements kazoo.HookStateChange.
func (m *Metrics) OnStateChange(from, to kazoo.State) {
	if from != 0 {
		m.state.WithLabelValues(from.String()).Set(0)
	}
	m.state.WithLabelValues(to.String()).Set(1)
	m.transitions.WithLabelValues(to.String()).Inc()
}

// OnConnect implements kazoo.HookConnect.
func (m *Metrics) OnConnect(c kazoo.ConnectInfo) {
	switch {
	case c.Err != nil:
		m.connects.WithLabelValues("failed").Inc()
	case c.Resumed:
		m.connects.WithLabelValues("resumed").Inc()
	default:
		m.connects.WithLabelValues("ok").Inc()
	}
}

// OnDisconnect implements kazoo.HookConnect.
func (m *Metrics) OnDisconnect(string, error) { m.disconnects.Inc() }

// OnWatchEvent implements kazoo.HookWatchEvent.
func (m *Metrics) OnWatchEvent(ev kazoo.Event, queued int) {
	m.events.WithLabelValues(ev.Type.String()).Inc()
	m.queueDepth.Set(float64(queued))
}

var (
	_ kazoo.HookRequest     = (*Metrics)(nil)
	_ kazoo.HookStateChange = (*Metrics)(nil)
	_ kazoo.HookConnect     = (*Metrics)(nil)
	_ kazoo.HookWatchEvent  = (*Metrics)(nil)
	_ prometheus.Collector  = (*Metrics)(nil)
)
