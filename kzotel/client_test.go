package kzotel_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
	"go.opentelemetry.io/otel/attribute"
)

func TestMain(m *testing.M) { os.Exit(zktest.Main(m).Run()) }

// TestRealClientSpans traces a client talking to a real server: each call
// is a span under the caller's, named after its operation.
func TestRealClientSpans(t *testing.T) {
	h, spans, _, tp := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kazoo.Connect(ctx, zktest.Shared(t).Chroot(t), kazoo.WithHooks(h))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, parent := tp.Tracer("test").Start(ctx, "handler")
	if _, _, err := c.Create(ctx, "/n", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAsync(ctx, "/n").Result(); err != nil {
		t.Fatal(err)
	}
	parent.End()

	var names []string
	for _, s := range spans.GetSpans() {
		if s.Parent.SpanID() == parent.SpanContext().SpanID() {
			names = append(names, s.Name)
			if !hasAttr(s.Attributes, attribute.String("zookeeper.path", "/n")) {
				t.Errorf("span %s lacks the path: %v", s.Name, s.Attributes)
			}
		}
	}
	if len(names) != 2 || names[1] != "getData" {
		t.Fatalf("spans under the caller's: %v, want a create and a getData", names)
	}
}
