package recipe_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/recipe"
	"github.com/kazoo-go/kazoo/zktest"
)

// exampleClient connects to the examples' server in a chroot named after
// the example. Real programs connect to their ensemble:
// kazoo.Connect(ctx, "zk1:2181,zk2:2181,zk3:2181/myapp").
func exampleClient(name string) *kazoo.Client {
	c, err := kazoo.Connect(context.Background(), zktest.ExampleServers(name))
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func ExampleLock() {
	ctx := context.Background()
	client := exampleClient("lock")
	defer client.Close()

	lock, err := recipe.NewLock(client, "/locks/report", recipe.WithIdentifier("worker-1"))
	if err != nil {
		log.Fatal(err)
	}
	if err := lock.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	defer lock.Unlock(ctx)

	// Work under the lock's context: it ends if the lock is lost or in doubt.
	held := lock.Context()
	// Writes through the guarded transaction commit only while we hold it.
	txn, err := lock.Txn()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := txn.Create("/report", []byte("done"), kazoo.WithMode(kazoo.ModePersistent)).Commit(held); err != nil {
		log.Fatal(err)
	}
	token, _ := lock.Token() // for systems outside ZooKeeper: refuse lower tokens
	ids, _ := lock.Contenders(ctx)
	fmt.Println("token > 0:", token > 0, "contenders:", ids)
	// Output: token > 0: true contenders: [worker-1]
}

func ExampleRWLock() {
	ctx := context.Background()
	client := exampleClient("rwlock")
	defer client.Close()

	rw, err := recipe.NewRWLock(client, "/locks/table")
	if err != nil {
		log.Fatal(err)
	}
	r1, r2, w := rw.ReadLock(), rw.ReadLock(), rw.WriteLock()
	r1.Lock(ctx)
	ok, _ := r2.TryLock(ctx)
	fmt.Println("second reader:", ok)
	ok, _ = w.TryLock(ctx)
	fmt.Println("writer while reading:", ok)
	r1.Unlock(ctx)
	r2.Unlock(ctx)
	ok, _ = w.TryLock(ctx)
	fmt.Println("writer alone:", ok)
	w.Unlock(ctx)
	// Output:
	// second reader: true
	// writer while reading: false
	// writer alone: true
}

func ExampleSemaphore() {
	ctx := context.Background()
	client := exampleClient("semaphore")
	defer client.Close()

	var sems []*recipe.Semaphore
	for i := range 3 {
		s, err := recipe.NewSemaphore(client, "/slots", 2, recipe.WithIdentifier(fmt.Sprint("job-", i)))
		if err != nil {
			log.Fatal(err)
		}
		ok, _ := s.TryAcquire(ctx)
		fmt.Printf("job-%d: %v\n", i, ok)
		sems = append(sems, s)
	}
	_, err := recipe.NewSemaphore(client, "/slots", 0)
	fmt.Println(errors.Is(err, kazoo.ErrInvalidArgument))
	for _, s := range sems {
		s.Release(ctx)
	}
	// Output:
	// job-0: true
	// job-1: true
	// job-2: false
	// true
}

func ExampleElection() {
	ctx := context.Background()
	client := exampleClient("election")
	defer client.Close()

	e, err := recipe.NewElection(client, "/election", recipe.WithIdentifier("node-1"))
	if err != nil {
		log.Fatal(err)
	}
	err = e.Run(ctx, func(lead context.Context) error {
		leader, _ := e.Leader(lead)
		fmt.Println("leading as", leader)
		return nil // returning resigns
	})
	fmt.Println(err)
	// Output:
	// leading as node-1
	// <nil>
}

func ExampleLeaderSelector() {
	client := exampleClient("selector")
	defer client.Close()

	s, err := recipe.NewLeaderSelector(client, "/selector", recipe.WithIdentifier("node-1"))
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	terms := 0
	err = s.Run(ctx, func(lead context.Context) error {
		terms++ // each return requeues; stop after two terms
		fmt.Println("term", terms)
		if terms == 2 {
			stop()
		}
		return nil
	})
	fmt.Println(err)
	// Output:
	// term 1
	// term 2
	// context canceled
}

func ExampleLeaderLatch() {
	ctx := context.Background()
	client := exampleClient("latch")
	defer client.Close()

	l, err := recipe.NewLeaderLatch(client, "/latch", recipe.WithIdentifier("node-1"))
	if err != nil {
		log.Fatal(err)
	}
	if err := l.Start(); err != nil {
		log.Fatal(err)
	}
	defer l.Close(ctx)
	if err := l.Await(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("leader:", l.HasLeadership())
	// Output: leader: true
}

func ExampleNonBlockingLease() {
	ctx := context.Background()
	client := exampleClient("lease")
	defer client.Close()

	// Run the hourly job on one host: whoever gets the lease does it.
	for _, host := range []string{"host-a", "host-b", "host-a"} {
		ok, err := recipe.NonBlockingLease(ctx, client, "/leases/hourly", 70*time.Minute, host)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(host, ok)
	}
	// Output:
	// host-a true
	// host-b false
	// host-a true
}

func ExampleMultiNonBlockingLease() {
	ctx := context.Background()
	client := exampleClient("multilease")
	defer client.Close()

	// At most two hosts run the job.
	for _, host := range []string{"host-a", "host-b", "host-c"} {
		ok, err := recipe.MultiNonBlockingLease(ctx, client, 2, "/leases/indexers", time.Hour, host)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(host, ok)
	}
	// Output:
	// host-a true
	// host-b true
	// host-c false
}
