package faults

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// childEnv carries the connection string to a child test process.
const childEnv = "KAZOO_FAULTS_CHILD_SERVERS"

// runInChild runs the calling test again in a child process (the test
// binary itself), with servers in its environment, and fails the test when
// the child fails or crashes. Tests of defects that crash the process from
// a library goroutine run there, so that the rest of the suite survives
// them.
func runInChild(t *testing.T, servers string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), childEnv+"="+servers)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("child process: %v; its output:\n%s", err, out)
	}
}

// callNil runs f, reporting its error or that it panicked (in the caller's
// goroutine: allowed for a nil context).
func callNil(f func() error) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			err, panicked = fmt.Errorf("panic: %v", r), true
		}
	}()
	return f(), false
}

// Defect J: a nil context is refused with a clear error, or makes the call
// panic in the caller's goroutine; it never corrupts the client, never
// leaves a session behind, never crashes the process from a library
// goroutine.
func TestNilContext(t *testing.T) {
	servers, child := os.LookupEnv(childEnv)
	if !child {
		servers, _ := chroot(t)
		runInChild(t, servers)
		return
	}
	var nilCtx context.Context

	t.Run("calls", func(t *testing.T) {
		c := zktest.Connect(t, servers)
		ctx := testCtx(t, time.Minute)
		if _, _, err := c.Create(ctx, "/n", []byte("x")); err != nil {
			t.Fatal(err)
		}
		for _, call := range []struct {
			name string
			run  func() error
		}{
			{"Get", func() error { _, _, err := c.Get(nilCtx, "/n"); return err }},
			{"ExistsW", func() error { _, _, _, err := c.ExistsW(nilCtx, "/n"); return err }},
			{"Create", func() error { _, _, err := c.Create(nilCtx, "/m", nil); return err }},
			{"Txn.Commit", func() error { _, err := c.Txn().Check("/n", kazoo.AnyVersion).Commit(nilCtx); return err }},
			{"GetAsync", func() error { _, err := c.GetAsync(nilCtx, "/n").Result(); return err }},
		} {
			err, panicked := callNil(call.run)
			t.Logf("%s with a nil context: %v", call.name, err)
			if err == nil && !panicked {
				t.Errorf("%s accepted a nil context", call.name)
			}
			gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, _, err = c.Get(gctx, "/n")
			cancel()
			if err != nil {
				t.Fatalf("after %s with a nil context the client no longer answers: %v", call.name, err)
			}
		}
	})

	t.Run("Connect", func(t *testing.T) {
		before := goleak.IgnoreCurrent()
		err, _ := callNil(func() error {
			c, err := kazoo.Connect(nilCtx, servers)
			if err == nil {
				c.Close()
				return errors.New("Connect accepted a nil context")
			}
			return err
		})
		t.Logf("Connect with a nil context: %v", err)
		if err := goleak.Find(before); err != nil {
			t.Errorf("Connect with a nil context left a session running:\n%v", err)
		}
	})

	t.Run("async while suspended", func(t *testing.T) {
		addr, root, _ := strings.Cut(servers, "/")
		p := zktest.NewProxy(t, addr)
		c := zktest.Connect(t, p.Addr()+"/"+root, kazoo.WithSessionTimeout(2*time.Second))
		st := watchStates(t, c)
		st.wait(t, kazoo.Connected, 5*time.Second)
		p.Blackhole()
		st.wait(t, kazoo.Suspended, 10*time.Second)
		var f *kazoo.Future[kazoo.GetResult]
		err, _ := callNil(func() error { f = c.GetAsync(nilCtx, "/n"); return nil })
		p.Heal()
		st.wait(t, kazoo.Connected, 20*time.Second)
		if f != nil { // the library's goroutines must survive it too
			wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err = f.Wait(wctx)
			cancel()
		}
		t.Logf("GetAsync with a nil context while suspended: %v", err)
	})
}
