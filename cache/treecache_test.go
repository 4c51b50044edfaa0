package cache_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/cache"
	"github.com/kazoo-go/kazoo/zktest"
)

// modes are the TreeCache modes the server supports.
func modes(t *testing.T, c *kazoo.Client) []cache.Mode {
	v, err := c.ServerVersion(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if v.Less(zktestVersion36) {
		return []cache.Mode{cache.OneShot}
	}
	return []cache.Mode{cache.Persistent, cache.OneShot}
}

func modeName(m cache.Mode) string {
	return map[cache.Mode]string{cache.Persistent: "persistent", cache.OneShot: "oneshot"}[m]
}

func mustCreate(t *testing.T, c *kazoo.Client, p, data string) {
	t.Helper()
	if _, _, err := c.Create(context.Background(), p, []byte(data), kazoo.WithParents()); err != nil {
		t.Fatalf("create %s: %v", p, err)
	}
}

func TestTreeCacheFollowsChanges(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	c := zktest.Connect(t, servers)
	for _, mode := range modes(t, c) {
		t.Run(modeName(mode), func(t *testing.T) {
			ctx := ctxFor(t, 60*time.Second)
			root := "/" + modeName(mode)
			mustCreate(t, c, root+"/a/b", "b")
			mustCreate(t, c, root+"/c", "c")
			rec := &recorder{}
			tc := startCache(t, ctx, c, root, cache.WithMode(mode), cache.WithListener(rec.listen))
			if tc.Mode() != mode {
				t.Fatalf("mode %v, want %v", tc.Mode(), mode)
			}
			converge(t, c, tc, rec, root)
			if kids, ok := tc.Children(root); !ok || strings.Join(kids, ",") != "a,c" {
				t.Fatalf("Children(%s) = %v, %v", root, kids, ok)
			}
			// Changes of every kind, including a subtree deleted and
			// created again.
			mustCreate(t, c, root+"/a/b/d", "d")
			if _, err := c.Set(ctx, root+"/c", []byte("c2"), -1); err != nil {
				t.Fatal(err)
			}
			if err := c.DeleteRecursive(ctx, root+"/a"); err != nil {
				t.Fatal(err)
			}
			mustCreate(t, c, root+"/a/x", "x")
			if _, err := c.Set(ctx, root, []byte("r"), -1); err != nil {
				t.Fatal(err)
			}
			converge(t, c, tc, rec, root)
			// The root deleted, then created again.
			if err := c.DeleteRecursive(ctx, root); err != nil {
				t.Fatal(err)
			}
			converge(t, c, tc, rec, root)
			if _, ok := tc.Get(root); ok {
				t.Fatal("deleted root still cached")
			}
			mustCreate(t, c, root+"/y", "y")
			converge(t, c, tc, rec, root)
			if rec.inits != 1 {
				t.Fatalf("%d Initialized events, want 1", rec.inits)
			}
		})
	}
}

// converge waits until the cache and its events' replay equal the server's
// tree.
func converge(t *testing.T, c *kazoo.Client, tc *cache.TreeCache, rec *recorder, root string) {
	t.Helper()
	eventually(t, 30*time.Second, "the server's tree", func() error {
		want, err := serverTree(context.Background(), c, root)
		if err != nil {
			return err
		}
		if err := diff(want, cacheTree(tc)); err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		got, err := rec.replay()
		if err != nil {
			return err
		}
		if err := diff(want, got); err != nil {
			return fmt.Errorf("replayed events: %w", err)
		}
		return nil
	})
}

func TestTreeCacheDepthAndFilter(t *testing.T) {
	servers := zktest.Shared(t).Chroot(t)
	c := zktest.Connect(t, servers)
	for _, mode := range modes(t, c) {
		t.Run(modeName(mode), func(t *testing.T) {
			ctx := ctxFor(t, 60*time.Second)
			root := "/" + modeName(mode)
			mustCreate(t, c, root+"/a/b/c", "")
			mustCreate(t, c, root+"/skip/b", "")
			keep := func(p string) bool { return !strings.HasSuffix(p, "/skip") }
			tc := startCache(t, ctx, c, root, cache.WithMode(mode), cache.WithMaxDepth(2), cache.WithFilter(keep))
			mustCreate(t, c, root+"/a/b2/c2", "")
			mustCreate(t, c, root+"/skip/b2", "")
			mustCreate(t, c, root+"/e", "")
			want := []string{root, root + "/a", root + "/a/b", root + "/a/b2", root + "/e"}
			eventually(t, 10*time.Second, "the filtered tree", func() error {
				if got := slices.Sorted(maps.Keys(cacheTree(tc))); !slices.Equal(got, want) {
					return fmt.Errorf("cached %v", got)
				}
				return nil
			})
		})
	}
}

func TestTreeCacheOptions(t *testing.T) {
	c := zktest.Connect(t, zktest.Shared(t).Chroot(t))
	ctx := ctxFor(t, 10*time.Second)
	for _, opt := range []cache.Option{cache.WithMaxDepth(-1), cache.WithFilter(nil), cache.WithListener(nil), cache.WithLogger(nil), cache.WithMode(7)} {
		if _, err := cache.NewTreeCache(ctx, c, "/x", opt); !errors.Is(err, kazoo.ErrInvalidArgument) {
			t.Errorf("got %v, want ErrInvalidArgument", err)
		}
	}
	if _, err := cache.NewTreeCache(ctx, c, "x/"); !errors.Is(err, kazoo.ErrInvalidPath) {
		t.Errorf("bad path: got %v, want ErrInvalidPath", err)
	}
}

// startCache starts a TreeCache, closed when the test ends, and waits for
// its first load.
func startCache(t *testing.T, ctx context.Context, c *kazoo.Client, root string, opts ...cache.Option) *cache.TreeCache {
	t.Helper()
	tc, err := cache.NewTreeCache(ctx, c, root, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tc.Close() })
	if err := tc.WaitInitialized(ctx); err != nil {
		t.Fatalf("cache of %s not initialized: %v", root, err)
	}
	return tc
}
