package interop_test

import (
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/internal/interop"
	"github.com/kazoo-go/kazoo/zktest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(zktest.Main(m)) }

func TestWorkersConnectAndEcho(t *testing.T) {
	srv := zktest.Shared(t)
	for name, start := range map[string]func(t *testing.T) *interop.Proc{
		"kazoo":   func(t *testing.T) *interop.Proc { return interop.Python(t, "testdata/echo.py", srv.Addr()) },
		"curator": func(t *testing.T) *interop.Proc { return interop.Java(t, "testdata/Echo.java", srv.Addr()) },
	} {
		t.Run(name, func(t *testing.T) {
			p := start(t)
			p.Expect(60*time.Second, "connected")
			p.Send("hello %d", 42)
			if got := p.Expect(10*time.Second, "echo"); got != "echo hello 42" {
				t.Fatalf("got %q", got)
			}
			if !p.Close(20 * time.Second) {
				t.Fatal("worker did not exit when its input ended")
			}
		})
	}
}
