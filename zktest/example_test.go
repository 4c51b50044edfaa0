package zktest_test

import (
	"context"
	"fmt"
	"log"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// A test package shares one server, and each test takes its own chroot on
// it. The package's main_test.go holds:
//
//	func TestMain(m *testing.M) {
//		goleak.VerifyTestMain(zktest.Main(m))
//	}
func Example() {
	testCounter := func(t *testing.T) {
		conn := zktest.Shared(t).Chroot(t)
		// conn is "127.0.0.1:PORT/zktest-TestCounter-N": connect the
		// client under test to it, e.g. kazoo.Connect(ctx, conn).
		_ = conn
	}
	_ = testCounter
}

// A test connects the client under test with Connect, which fails the test
// if no session is established in time and closes the client when the test
// ends.
func ExampleConnect() {
	testCreate := func(t *testing.T) {
		client := zktest.Connect(t, zktest.Shared(t).Chroot(t), kazoo.WithSessionTimeout(10*time.Second))
		if _, _, err := client.Create(t.Context(), "/job", nil); err != nil {
			t.Fatal(err)
		}
	}
	_ = testCreate
}

// An Example function has no testing.T: it takes a fresh chroot on the
// package's shared server from ExampleServers.
func ExampleExampleServers() {
	ctx := context.Background()
	client, err := kazoo.Connect(ctx, zktest.ExampleServers("greeting")) // e.g. "zk1:2181,zk2:2181/myapp"
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	if _, _, err := client.Create(ctx, "/hello", []byte("world")); err != nil {
		log.Fatal(err)
	}
	data, _, err := client.Get(ctx, "/hello")
	fmt.Printf("%s %v\n", data, err)
	// Output: world <nil>
}

// A test of failover kills the leader of an ensemble.
func ExampleStartCluster() {
	testFailover := func(t *testing.T) {
		c := zktest.StartCluster(t, 3)
		// Connect the client under test to c.ConnString(), then:
		leader, err := c.Leader()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Member(leader).Kill(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := c.WaitLeader(ctx); err != nil {
			t.Fatal(err)
		}
		// ... and check that the client carried on.
	}
	_ = testFailover
}

// A partition between client and server, while the server stays healthy.
func ExampleNewProxy() {
	testPartition := func(t *testing.T) {
		srv := zktest.Shared(t)
		p := zktest.NewProxy(t, srv.Addr())
		// Connect the client under test to p.Addr() + chroot, then:
		p.Blackhole() // the client should go Suspended...
		p.Heal()      // ...and back to Connected, same session.
		p.SetDelay(50*time.Millisecond, zktest.Downstream)
		p.ResetAll() // every live connection gets a TCP reset
	}
	_ = testPartition
}

// Tests of newer operations skip on older servers, saying why.
func ExampleRequireOp() {
	testPersistentWatch := func(t *testing.T) {
		srv := zktest.Shared(t)
		zktest.RequireOp(t, srv, proto.OpAddWatch) // "ZooKeeper 3.4.13 lacks addWatch (added in 3.6.0)"
		zktest.RequireVersion(t, srv, proto.Version{Major: 3, Minor: 6})
	}
	_ = testPersistentWatch
}

func ExampleDigest() {
	// The ID of a digest ACL entry for user bob with password pw.
	fmt.Println(zktest.Digest("bob", "pw"))
	// Output: bob:ikIaKsbtGweaHnb/jKn7OHqbunM=
}

func ExampleParseVersion() {
	v, ok := zktest.ParseVersion("3.4.13-6--1, built on Sat, 28 Oct 2023 23:16:44 +0200")
	fmt.Println(v, ok)
	// Output: 3.4.13 true
}
