package kzotel_test

import (
	"context"
	"log"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/kzotel"
)

// A client traced and measured through the global OpenTelemetry providers:
// each request becomes a span under the caller's.
func Example() {
	h, err := kzotel.New()
	if err != nil {
		log.Fatal(err)
	}
	c, err := kazoo.Connect(context.Background(), "127.0.0.1:2181", kazoo.WithHooks(h))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx := context.Background() // with the caller's span, in a real program
	if _, _, err := c.Get(ctx, "/config"); err != nil {
		log.Print(err)
	}
}
