package kazoo_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// A client given a single member of an ensemble learns the others, and
// follows every reconfiguration, with an EnsembleTracker.
func ExampleTrackEnsemble() {
	ctx := context.Background()
	servers := zktest.ExampleServers("ExampleTrackEnsemble") // e.g. "zk1:2181/myapp": one member is enough
	client, err := kazoo.Connect(ctx, servers)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	tracker := kazoo.TrackEnsemble(ctx, client) // stops with the client, or with tracker.Close
	defer tracker.Close()

	// The client is used as usual meanwhile. tracker.Version tells the
	// configuration last applied; tracker.Err why the last one read was
	// not (this example's server is standalone: it has none).
	_, _, err = client.Create(ctx, "/job", []byte("ready"))
	fmt.Println(err)
	// Output: <nil>
}
