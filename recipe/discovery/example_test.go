package discovery_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/recipe/discovery"
	"github.com/kazoo-go/kazoo/zktest"
)

func Example() {
	ctx := context.Background()
	client, err := kazoo.Connect(ctx, zktest.ExampleServers("discovery")) // e.g. "zk1:2181,zk2:2181/myapp"
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// Register this process as an instance of "api", as Curator would.
	sd, err := discovery.New(client, "/services")
	if err != nil {
		log.Fatal(err)
	}
	defer sd.Close(ctx)
	payload, _ := discovery.MapPayload(map[string]any{"zone": "eu"})
	err = sd.Register(ctx, discovery.Instance{Name: "api", ID: "api-1", Address: "10.0.0.5",
		Port: discovery.Int(8080), Payload: payload})
	if err != nil {
		log.Fatal(err)
	}

	// Find an instance of "api" (Go's or Java's) through a cached provider.
	p, err := sd.Provider(ctx, "api", &discovery.RoundRobin{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	in, err := p.Instance()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s:%d\n", in.Address, *in.Port)
	// Output: 10.0.0.5:8080
}
