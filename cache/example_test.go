package cache_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/cache"
	"github.com/kazoo-go/kazoo/zktest"
)

func ExampleNewTreeCache() {
	ctx := context.Background()
	client, err := kazoo.Connect(ctx, zktest.ExampleServers("treecache"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	client.Create(ctx, "/services/api/host-1", []byte("10.0.0.1:80"), kazoo.WithParents())

	// Auto mode: one persistent recursive watch on ZooKeeper 3.6+, per-node
	// watches before.
	tc, err := cache.NewTreeCache(ctx, client, "/services")
	if err != nil {
		log.Fatal(err)
	}
	defer tc.Close()
	if err := tc.WaitInitialized(ctx); err != nil {
		log.Fatal(err)
	}
	added := make(chan cache.Node, 1)
	stop := tc.Listen(func(e cache.Event) {
		if e.Type == cache.NodeAdded {
			added <- e.Node
		}
	})
	defer stop()
	client.Create(ctx, "/services/api/host-2", []byte("10.0.0.2:80"))
	n := <-added
	fmt.Printf("added %s = %s\n", n.Path, n.Data)

	for path, node := range tc.Walk() {
		fmt.Printf("%s %q\n", path, node.Data)
	}
	// Output:
	// added /services/api/host-2 = 10.0.0.2:80
	// /services ""
	// /services/api ""
	// /services/api/host-1 "10.0.0.1:80"
	// /services/api/host-2 "10.0.0.2:80"
}

func ExampleDataWatch() {
	ctx := context.Background()
	client, err := kazoo.Connect(ctx, zktest.ExampleServers("datawatch"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	seen := make(chan string)
	w, err := cache.DataWatch(client, "/config", func(d cache.Data) bool {
		if !d.Exists {
			seen <- "absent"
			return true
		}
		seen <- string(d.Data)
		return string(d.Data) != "final" // false stops the watch
	})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	fmt.Println(<-seen)
	client.Create(ctx, "/config", []byte("v1"))
	fmt.Println(<-seen)
	client.Set(ctx, "/config", []byte("final"), kazoo.AnyVersion)
	fmt.Println(<-seen)
	<-w.Done()
	// Output:
	// absent
	// v1
	// final
}

func ExampleChildrenChanges() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client, err := kazoo.Connect(ctx, zktest.ExampleServers("childrenchanges"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	client.Create(ctx, "/workers", nil)

	for ch, err := range cache.ChildrenChanges(ctx, client, "/workers") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ch.Names)
		if len(ch.Names) > 0 {
			break // stops the watch
		}
		client.Create(ctx, "/workers/w1", nil)
	}
	// Output:
	// []
	// [w1]
}
