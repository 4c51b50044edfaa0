package recipe_test

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/kazoo-go/kazoo/recipe"
)

func ExampleBarrier() {
	ctx := context.Background()
	client := exampleClient("barrier")
	defer client.Close()

	b := recipe.NewBarrier(client, "/deploy/gate")
	if err := b.Create(ctx); err != nil {
		log.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		if err := b.Wait(ctx); err != nil { // blocks while the barrier is up
			log.Fatal(err)
		}
		close(released)
	}()
	if _, err := b.Remove(ctx); err != nil {
		log.Fatal(err)
	}
	<-released
	fmt.Println("released")
	// Output: released
}

func ExampleDoubleBarrier() {
	ctx := context.Background()
	client := exampleClient("doublebarrier")
	defer client.Close()

	var wg sync.WaitGroup
	for _, id := range []string{"worker-1", "worker-2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := recipe.NewDoubleBarrier(client, "/job/42", 2, id)
			if err != nil {
				log.Fatal(err)
			}
			if err := d.Enter(ctx); err != nil { // until both are in
				log.Fatal(err)
			}
			// ... the job's work ...
			if err := d.Leave(ctx); err != nil { // until both are out
				log.Fatal(err)
			}
		}()
	}
	wg.Wait()
	fmt.Println("both entered and left")
	// Output: both entered and left
}

func ExampleCounter() {
	ctx := context.Background()
	client := exampleClient("counter")
	defer client.Close()

	hits := recipe.NewCounter(client, "/stats/hits", int64(0)) // kazoo's Counter
	hits.Add(ctx, 5)
	pre, post, err := hits.Add(ctx, -2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pre, post)
	// Output: 5 3
}

func ExampleSharedCount() {
	ctx := context.Background()
	client := exampleClient("sharedcount")
	defer client.Close()

	sc := recipe.NewSharedCount(client, "/config/workers", 3) // Curator's SharedCount
	v, err := sc.Get(ctx)
	if err != nil {
		log.Fatal(err)
	}
	ok, _ := sc.TrySet(ctx, v, 4)    // versioned: nobody wrote since Get
	stale, _ := sc.TrySet(ctx, v, 5) // the same version again: refused
	fmt.Println(v.Value, ok, stale)
	// Output: 3 true false
}

func ExampleAtomicLong() {
	ctx := context.Background()
	client := exampleClient("atomiclong")
	defer client.Close()

	l, err := recipe.NewAtomicLong(client, "/ids/next") // Curator's DistributedAtomicLong
	if err != nil {
		log.Fatal(err)
	}
	v, err := l.Increment(ctx)
	if err != nil || !v.Succeeded {
		log.Fatal(err)
	}
	fmt.Println(v.PreValue, v.PostValue)
	// Output: 0 1
}

func ExampleParty() {
	ctx := context.Background()
	client := exampleClient("party")
	defer client.Close()

	p, err := recipe.NewParty(client, "/party", "host-a") // or NewShallowParty
	if err != nil {
		log.Fatal(err)
	}
	if err := p.Join(ctx); err != nil { // kept through reconnects and session loss
		log.Fatal(err)
	}
	defer p.Leave(ctx)
	members, _ := p.Members(ctx)
	fmt.Println(members)
	// Output: [host-a]
}

func ExampleGroupMember() {
	ctx := context.Background()
	client := exampleClient("groupmember")
	defer client.Close()

	g, err := recipe.NewGroupMember(client, "/group", "node-1", []byte("10.0.0.1")) // Curator's GroupMember
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close(ctx)
	if err := g.WaitJoined(ctx); err != nil {
		log.Fatal(err)
	}
	members, _ := g.Members(ctx)
	fmt.Printf("%s\n", members["node-1"])
	// Output: 10.0.0.1
}

func ExampleQueue() {
	ctx := context.Background()
	client := exampleClient("queue")
	defer client.Close()

	q, err := recipe.NewQueue(client, "/jobs") // kazoo's Queue
	if err != nil {
		log.Fatal(err)
	}
	q.Put(ctx, []byte("routine"))
	q.PutPriority(ctx, []byte("urgent"), 1) // lower goes first
	for range 2 {
		item, err := q.Get(ctx) // blocks on a child watch while empty
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s\n", item)
	}
	// Output:
	// urgent
	// routine
}

func ExampleLockingQueue() {
	ctx := context.Background()
	client := exampleClient("lockingqueue")
	defer client.Close()

	q, err := recipe.NewLockingQueue(client, "/tasks") // kazoo's LockingQueue
	if err != nil {
		log.Fatal(err)
	}
	q.Put(ctx, []byte("resize image 7"))
	task, err := q.Get(ctx) // claimed, not yet removed
	if err != nil {
		log.Fatal(err)
	}
	// ... process task; if this process dies, another consumer gets it ...
	done, err := q.Consume(ctx)
	fmt.Printf("%s %v %v\n", task, done, err)
	// Output: resize image 7 true <nil>
}

func ExampleSimpleDistributedQueue() {
	ctx := context.Background()
	client := exampleClient("simplequeue")
	defer client.Close()

	q, err := recipe.NewSimpleDistributedQueue(client, "/curator/queue")
	if err != nil {
		log.Fatal(err)
	}
	q.Offer(ctx, []byte("hello"))
	item, err := q.Take(ctx)
	fmt.Printf("%s %v\n", item, err)
	// Output: hello <nil>
}

func ExampleDistributedQueue() {
	ctx := context.Background()
	client := exampleClient("distqueue")
	defer client.Close()

	q, err := recipe.NewDistributedQueue(client, "/curator/dq")
	if err != nil {
		log.Fatal(err)
	}
	q.PutMulti(ctx, []byte("a"), []byte("b")) // one node, Curator's framing
	items, err := q.Get(ctx)
	fmt.Printf("%q %v\n", items, err)
	// Output: ["a" "b"] <nil>
}

func ExampleSetPartitioner() {
	ctx := context.Background()
	client := exampleClient("partitioner")
	defer client.Close()

	p, err := recipe.NewSetPartitioner(client, "/partition", []string{"p1", "p2", "p3"}, "worker-1",
		recipe.WithTimeBoundary(100*time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Finish(ctx)
	for {
		switch p.State() {
		case recipe.PartitionAllocating:
			p.WaitForAcquire(ctx)
		case recipe.PartitionRelease: // the party changed: give our share back
			p.ReleaseSet(ctx)
		case recipe.PartitionAcquired:
			fmt.Println(p.Partitions()) // alone in the party: everything
			return
		case recipe.PartitionFailure:
			log.Fatal("partitioner failed")
		}
	}
	// Output: [p1 p2 p3]
}

func ExamplePersistentNode() {
	ctx := context.Background()
	client := exampleClient("persistentnode")
	defer client.Close()

	n, err := recipe.NewPersistentNode(client, "/members/me", []byte("v1")) // ephemeral by default
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close(ctx)
	if err := n.WaitCreated(ctx); err != nil {
		log.Fatal(err)
	}
	n.SetData(ctx, []byte("v2")) // kept through session loss and re-creation
	data, st, _ := client.Get(ctx, n.Path())
	fmt.Printf("%s ephemeral=%v\n", data, st.EphemeralOwner == client.SessionID())
	// Output: v2 ephemeral=true
}
