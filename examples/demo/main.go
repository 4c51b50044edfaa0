// Command demo starts a throwaway ZooKeeper server and shows kazoo for Go
// at work against it: basic operations, watches, a transaction, the
// pipelined async API, and a session expiring and being replaced.
//
// Run it with scripts/demo.sh, which installs ZooKeeper first when missing.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func step(format string, args ...any) { fmt.Printf("\n== "+format+"\n", args...) }
func say(format string, args ...any)  { fmt.Printf("   "+format+"\n", args...) }

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	step("Starting a throwaway ZooKeeper server")
	srv, err := zktest.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	say("ZooKeeper %s listening on %s (files in %s)", srv.Version(), srv.Addr(), srv.Dir())

	step("Connecting")
	// The chroot /demo must exist before a client rooted there can use it.
	root, err := kazoo.Connect(ctx, srv.Addr())
	if err != nil {
		return err
	}
	if err := root.EnsurePath(ctx, "/demo"); err != nil {
		return err
	}
	root.Close()
	client, err := kazoo.Connect(ctx, srv.Addr()+"/demo", kazoo.WithSessionTimeout(4*time.Second))
	if err != nil {
		return err
	}
	defer client.Close()
	states := client.SubscribeStates()
	defer states.Stop()
	go func() {
		for s := range states.C() {
			say("[state] %v (session 0x%x)", s, client.SessionID())
		}
	}()
	say("session 0x%x, negotiated timeout %v, chroot %q", client.SessionID(), client.SessionTimeout(), client.Chroot())

	step("Creating, reading and updating nodes")
	p, stat, err := client.Create(ctx, "/services/api/config", []byte(`{"replicas": 3}`), kazoo.WithParents())
	if err != nil {
		return err
	}
	say("created %s (czxid %d)", p, stat.Czxid)
	data, stat, err := client.Get(ctx, p)
	if err != nil {
		return err
	}
	say("read %s: %s (version %d)", p, data, stat.Version)
	if _, err := client.Set(ctx, p, []byte(`{"replicas": 5}`), stat.Version); err != nil {
		return err
	}
	_, err = client.Set(ctx, p, []byte(`{"replicas": 1}`), stat.Version)
	say("a write with the stale version %d fails: %v", stat.Version, err)
	seq, _, err := client.Create(ctx, "/services/api/worker-", nil, kazoo.WithMode(kazoo.ModeEphemeralSequential))
	if err != nil {
		return err
	}
	say("registered ephemeral sequential node %s", seq)
	_, _, err = client.Get(ctx, "not/a/path")
	say("bad input is refused before anything is sent: %v", err)

	step("Watching")
	_, _, changed, err := client.GetW(ctx, p)
	if err != nil {
		return err
	}
	other, err := kazoo.Connect(ctx, srv.Addr()+"/demo")
	if err != nil {
		return err
	}
	defer other.Close()
	if _, err := other.Set(ctx, p, []byte(`{"replicas": 7}`), kazoo.AnyVersion); err != nil {
		return err
	}
	ev := <-changed
	say("another client changed the node; our watch fired: %v %s", ev.Type, ev.Path)

	step("A transaction that fails halfway changes nothing")
	_, err = client.Txn().
		Create("/services/api/audit", []byte("deploy")).
		Delete("/services/api/missing", kazoo.AnyVersion).
		Commit(ctx)
	ok, _, _ := client.Exists(ctx, "/services/api/audit")
	say("commit: %v; audit node exists: %v", err, ok)

	step("10,000 pipelined reads on one connection, from one goroutine")
	start := time.Now()
	futures := make([]*kazoo.Future[kazoo.GetResult], 10000)
	for i := range futures {
		futures[i] = client.GetAsync(ctx, p)
	}
	for _, f := range futures {
		if _, err := f.Wait(ctx); err != nil {
			return err
		}
	}
	d := time.Since(start)
	say("done in %v: %.0f reads/s", d.Round(time.Millisecond), float64(len(futures))/d.Seconds())

	step("Expiring the session on the server")
	old := client.SessionID()
	_, _, gone, err := other.ExistsW(ctx, seq)
	if err != nil {
		return err
	}
	if err := zktest.ExpireSession(ctx, client); err != nil {
		return err
	}
	say("session 0x%x expired; its ephemeral node went with it: %v", old, (<-gone).Type)
	for client.State() != kazoo.Connected {
		time.Sleep(10 * time.Millisecond)
	}
	say("the client opened a new session by itself: 0x%x", client.SessionID())

	step("Closing")
	client.Close()
	_, _, err = client.Get(ctx, p)
	say("after Close: %v", err)
	time.Sleep(50 * time.Millisecond) // let the state printer finish its line
	fmt.Fprintln(os.Stdout)
	return nil
}
