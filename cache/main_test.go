package cache_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/kazoo-go/kazoo/proto"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/cache"
	"github.com/kazoo-go/kazoo/zktest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(zktest.Main(m))
}

// ctxFor is a context bounded by d, ended with the test.
func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or d passes, then fails with what
// was awaited and the last mismatch.
func eventually(t testing.TB, d time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, still not %s: %v", d, what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serverTree reads the real tree below root: path -> data.
func serverTree(ctx context.Context, c *kazoo.Client, root string) (map[string]string, error) {
	out := map[string]string{}
	var visit func(p string) error
	visit = func(p string) error {
		data, stat, err := c.Get(ctx, p)
		if err != nil {
			return err
		}
		out[p] = value(data, stat)
		kids, _, err := c.Children(ctx, p)
		if err != nil {
			return err
		}
		for _, k := range kids {
			kp := kazoo.JoinPath(p, k)
			if err := visit(kp); err != nil && !isNoNode(err) {
				return err
			}
		}
		return nil
	}
	if err := visit(root); err != nil && !isNoNode(err) {
		return nil, err
	}
	return out, nil
}

// cacheTree is a cache's snapshot: path -> data.
func cacheTree(tc *cache.TreeCache) map[string]string {
	out := map[string]string{}
	for p, n := range tc.Walk() {
		out[p] = value(n.Data, n.Stat)
	}
	return out
}

// diff describes how two trees differ, or returns nil.
func diff(want, got map[string]string) error {
	if maps.Equal(want, got) {
		return nil
	}
	var d []string
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[p]; !ok {
			d = append(d, "missing "+p)
		} else if g != want[p] {
			d = append(d, fmt.Sprintf("%s: %q, want %q", p, g, want[p]))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[p]; !ok {
			d = append(d, "extra "+p)
		}
	}
	if len(d) > 10 {
		d = append(d[:10], fmt.Sprintf("... (%d differences)", len(d)))
	}
	return fmt.Errorf("%v", d)
}

func isNoNode(err error) bool { return err != nil && errors.Is(err, kazoo.ErrNoNode) }

// recorder keeps a listener's events, and replays them.
type recorder struct {
	mu     sync.Mutex
	events []cache.Event
	inits  int
}

func (r *recorder) listen(e cache.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	if e.Type == cache.Initialized {
		r.inits++
	}
}

// replay applies the node events received so far to an empty map, and
// fails on an event that does not fit the state it applies to (an add of a
// known path, an update or remove of an unknown one, an update to the
// version already there: a duplicate).
func (r *recorder) replay() (map[string]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for i, e := range r.events {
		_, known := out[e.Node.Path]
		switch e.Type {
		case cache.NodeAdded:
			if known {
				return nil, fmt.Errorf("event %d: %s of %s, already there", i, e.Type, e.Node.Path)
			}
			out[e.Node.Path] = value(e.Node.Data, e.Node.Stat)
		case cache.NodeUpdated:
			if !known {
				return nil, fmt.Errorf("event %d: %s of unknown %s", i, e.Type, e.Node.Path)
			}
			if out[e.Node.Path] == value(e.Node.Data, e.Node.Stat) {
				return nil, fmt.Errorf("event %d: %s of %s repeats version %s", i, e.Type, e.Node.Path, out[e.Node.Path])
			}
			out[e.Node.Path] = value(e.Node.Data, e.Node.Stat)
		case cache.NodeRemoved:
			if !known {
				return nil, fmt.Errorf("event %d: %s of unknown %s", i, e.Type, e.Node.Path)
			}
			delete(out, e.Node.Path)
		}
	}
	return out, nil
}

var zktestVersion36 = proto.Version{Major: 3, Minor: 6}

var proto35 = proto.Version{Major: 3, Minor: 5}

// logBuffer collects a logger's output, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// value is how trees are compared: the data and the version that wrote it.
func value(data []byte, stat kazoo.Stat) string { return fmt.Sprintf("%s@%x", data, stat.Mzxid) }

// count tells how many events of type typ were received.
func (r *recorder) count(typ cache.EventType) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Type == typ {
			n++
		}
	}
	return n
}
