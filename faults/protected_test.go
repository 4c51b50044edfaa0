package faults

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// protectedCreate is kazoo.WithProtected once the engine has it: set it
// here (protectedCreate = kazoo.WithProtected) to enable
// TestProtectedCreateAcrossLostReply.
var protectedCreate = kazoo.WithProtected

// createAcrossLostReply runs a sequential create under Retry whose first
// attempt reaches the server but whose reply is lost (the proxy drops what
// the server sends until the client gives the connection up); the partition
// heals before the second attempt. It returns the path Create reported,
// the children of /jobs afterwards and Retry's error.
func createAcrossLostReply(t *testing.T, opts ...kazoo.CreateOption) (path string, children []string, err error) {
	t.Helper()
	p, servers, direct := proxied(t)
	c := zktest.Connect(t, servers, kazoo.WithSessionTimeout(2*time.Second))
	w := zktest.Connect(t, direct)
	ctx := testCtx(t, time.Minute)
	if _, _, err := w.Create(ctx, "/jobs", nil); err != nil {
		t.Fatal(err)
	}
	opts = append(opts, kazoo.WithMode(kazoo.ModePersistentSequential))
	p.CutDownstream()
	attempts := 0
	err = c.Retry(ctx, func(ctx context.Context) error {
		attempts++
		if attempts == 2 {
			p.Heal() // the first attempt's reply is lost for good
		}
		var err error
		path, _, err = c.Create(ctx, "/jobs/job-", nil, opts...)
		return err
	})
	p.Heal()
	children, _, cerr := w.Children(ctx, "/jobs")
	if cerr != nil {
		t.Fatal(cerr)
	}
	t.Logf("%d attempts: %q, %v; children %q", attempts, path, err, children)
	return path, children, err
}

// Item 7: a protected sequential create (Curator's _c_<uuid>- prefix) that
// loses its reply finds its own node on the next attempt instead of making
// another: exactly one node, and the path returned is that node.
func TestProtectedCreateAcrossLostReply(t *testing.T) {
	if protectedCreate == nil {
		t.Skip("needs kazoo.WithProtected from the engine branch")
	}
	path, children, err := createAcrossLostReply(t, protectedCreate())
	if err != nil {
		t.Fatalf("protected create under Retry: %v", err)
	}
	if len(children) != 1 {
		t.Fatalf("children %q: want exactly one node", children)
	}
	if !regexp.MustCompile(`^_c_[0-9a-f-]{36}-job-\d{10}$`).MatchString(children[0]) {
		t.Errorf("node %q: want _c_<uuid>-job-<sequence>", children[0])
	}
	if path != "/jobs/"+children[0] {
		t.Errorf("Create returned %q, the node is /jobs/%s", path, children[0])
	}
}

// Item 7: Retry never turns one plain sequential create into two: it
// refuses to repeat what is not idempotent (or adapts), so a lost reply
// leaves at most one node.
func TestRetryNeverDuplicatesSequentialCreate(t *testing.T) {
	_, children, err := createAcrossLostReply(t)
	n := 0
	for _, c := range children {
		if strings.HasPrefix(c, "job-") {
			n++
		}
	}
	if n > 1 {
		t.Errorf("Retry of a sequential create across a lost reply left %d nodes %q (err %v): want at most one", n, children, err)
	}
}
