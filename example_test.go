package kazoo_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

func Example() {
	ctx := context.Background()
	servers := zktest.ExampleServers("example") // e.g. "zk1:2181,zk2:2181,zk3:2181/myapp"
	client, err := kazoo.Connect(ctx, servers, kazoo.WithSessionTimeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	if _, _, err := client.Create(ctx, "/config/db", []byte("host=a"), kazoo.WithParents()); err != nil {
		log.Fatal(err)
	}
	data, stat, err := client.Get(ctx, "/config/db")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (version %d)\n", data, stat.Version)

	// Versioned update: succeeds only if nobody changed the node meanwhile.
	if _, err := client.Set(ctx, "/config/db", []byte("host=b"), stat.Version); err != nil {
		log.Fatal(err)
	}
	_, err = client.Set(ctx, "/config/db", []byte("host=c"), stat.Version)
	fmt.Println("stale write rejected:", errors.Is(err, kazoo.ErrBadVersion))

	if err := client.DeleteRecursive(ctx, "/config"); err != nil {
		log.Fatal(err)
	}
	_, _, err = client.Get(ctx, "/config/db")
	fmt.Println("deleted:", errors.Is(err, kazoo.ErrNoNode))
	// Output:
	// host=a (version 0)
	// stale write rejected: true
	// deleted: true
}

func ExampleClient_GetW() {
	ctx := context.Background()
	client, err := kazoo.Connect(ctx, zktest.ExampleServers("watch"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	client.Create(ctx, "/leader", []byte("node-1"))

	_, _, changed, err := client.GetW(ctx, "/leader")
	if err != nil {
		log.Fatal(err)
	}
	client.Delete(ctx, "/leader", kazoo.AnyVersion)
	ev := <-changed // fires once; the channel never drops the event
	fmt.Println(ev.Type, ev.Path)
	// Output: NodeDeleted /leader
}

func ExampleClient_AddWatch() {
	ctx := context.Background()
	client, err := kazoo.Connect(ctx, zktest.ExampleServers("persistent"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	client.Create(ctx, "/jobs", nil)

	// A recursive persistent watch sees every change below /jobs until
	// closed, across reconnects (ZooKeeper 3.6+).
	w, err := client.AddWatch(ctx, "/jobs", true)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	client.Create(ctx, "/jobs/1", nil)
	client.Set(ctx, "/jobs/1", []byte("done"), kazoo.AnyVersion)
	for i := 0; i < 2; i++ {
		ev := <-w.Events()
		fmt.Println(ev.Type, ev.Path)
	}
	// Output:
	// NodeCreated /jobs/1
	// NodeDataChanged /jobs/1
}

func ExampleClient_GetAsync() {
	ctx := context.Background()
	client, err := kazoo.Connect(ctx, zktest.ExampleServers("async"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	for _, n := range []string{"a", "b", "c"} {
		client.Create(ctx, "/"+n, []byte("value of "+n))
	}

	// Start all reads at once: they share one connection and one round trip
	// of latency, and complete in the order they were started.
	futures := []*kazoo.Future[kazoo.GetResult]{
		client.GetAsync(ctx, "/a"),
		client.GetAsync(ctx, "/b"),
		client.GetAsync(ctx, "/c"),
	}
	for _, f := range futures {
		r, err := f.Wait(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(r.Data))
	}
	// Output:
	// value of a
	// value of b
	// value of c
}

func ExampleClient_Txn() {
	ctx := context.Background()
	client, err := kazoo.Connect(ctx, zktest.ExampleServers("txn"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	client.Create(ctx, "/balance", []byte("10"))

	// All or nothing: the delete of a missing node fails the whole
	// transaction, so /audit is not created either.
	_, err = client.Txn().
		Create("/audit", []byte("withdrawal")).
		Set("/balance", []byte("0"), 0).
		Delete("/missing", kazoo.AnyVersion).
		Commit(ctx)
	fmt.Println(err)
	ok, _, _ := client.Exists(ctx, "/audit")
	fmt.Println("audit created:", ok)
	// Output:
	// kazoo: delete /missing: no node
	// audit created: false
}

func ExampleClient_SubscribeStates() {
	ctx := context.Background()
	client, err := kazoo.Connect(ctx, zktest.ExampleServers("states"))
	if err != nil {
		log.Fatal(err)
	}
	sub := client.SubscribeStates()
	client.Close()
	// Every transition arrives, in order, then the channel closes.
	for s := range sub.C() {
		fmt.Println(s)
	}
	// Output:
	// Connected
	// Closed
}

func ExampleClient_Retry() {
	ctx := context.Background()
	client, err := kazoo.Connect(ctx, zktest.ExampleServers("retry"), kazoo.WithRetry(kazoo.RetryPolicy{
		MaxTries: 5, Delay: 50 * time.Millisecond, Backoff: 2, MaxDelay: time.Second,
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// Connection loss is retried; NoNode and the like are returned at once.
	var kids []string
	err = client.Retry(ctx, func(ctx context.Context) error {
		var err error
		kids, _, err = client.Children(ctx, "/")
		return err
	})
	fmt.Println(slices.Sorted(slices.Values(kids)), err)
	// Output: [] <nil>
}
