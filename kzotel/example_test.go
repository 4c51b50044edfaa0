package kzotel_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/kzotel"
	"github.com/kazoo-go/kazoo/zktest"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// A client traced through OpenTelemetry: each request becomes a span under
// the caller's. (Without options, New uses the global providers.)
func Example() {
	spans := tracetest.NewInMemoryExporter() // a real program exports them
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())
	h, err := kzotel.New(kzotel.WithTracerProvider(tp))
	if err != nil {
		log.Fatal(err)
	}
	c, err := kazoo.Connect(context.Background(), zktest.ExampleServers("kzotel"), kazoo.WithHooks(h))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, _, err := c.Create(context.Background(), "/config", []byte("v1")); err != nil {
		log.Fatal(err)
	}
	ctx, handler := tp.Tracer("app").Start(context.Background(), "handler")
	if _, err := c.Set(ctx, "/config", []byte("v2"), kazoo.AnyVersion); err != nil {
		log.Fatal(err)
	}
	if _, _, err := c.Get(ctx, "/config"); err != nil {
		log.Fatal(err)
	}
	handler.End()

	for _, s := range spans.GetSpans() {
		if s.Parent.SpanID() == handler.SpanContext().SpanID() {
			fmt.Println("handler >", s.Name)
		}
	}
	// Output:
	// handler > setData
	// handler > getData
}
