package recipe

import (
	"context"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/zktest"
)

// Readers share the lock; a writer waits for everyone before it; a reader
// waits only for writers before it, never for one queued after it (the
// kazoo #649 deadlock).
func TestRWLockRules(t *testing.T) {
	for _, layout := range layouts {
		t.Run(layout.name, func(t *testing.T) {
			servers := zktest.Shared(t).Chroot(t)
			ctx := testCtx(t, 30*time.Second)
			c := zktest.Connect(t, servers)
			rw, err := NewRWLock(c, "/rw", layout.opts...)
			if err != nil {
				t.Fatal(err)
			}
			r1, r2, w, r3 := rw.ReadLock(), rw.ReadLock(), rw.WriteLock(), rw.ReadLock()
			if err := r1.Lock(ctx); err != nil {
				t.Fatal(err)
			}
			if ok, err := r2.TryLock(ctx); !ok || err != nil {
				t.Fatalf("second reader: %v, %v", ok, err)
			}
			if ok, err := w.TryLock(ctx); ok || err != nil {
				t.Fatalf("writer among readers: %v, %v", ok, err)
			}
			wrote := make(chan error, 1)
			go func() { wrote <- w.Lock(ctx) }()
			waitFor(t, 10*time.Second, "the writer's node", func() bool { return len(children(t, c, "/rw")) == 3 })
			if ok, err := r3.TryLock(ctx); ok || err != nil {
				t.Fatalf("reader behind a waiting writer: %v, %v", ok, err)
			}
			for _, r := range []*Lock{r1, r2} {
				select {
				case err := <-wrote:
					t.Fatalf("writer in (%v) while a reader holds", err)
				default:
				}
				if err := r.Unlock(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if err := <-wrote; err != nil {
				t.Fatal(err)
			}
			read := make(chan error, 1)
			go func() { read <- r3.Lock(ctx) }()
			waitFor(t, 10*time.Second, "the reader's node", func() bool { return len(children(t, c, "/rw")) == 2 })
			if err := w.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-read; err != nil {
				t.Fatal(err)
			}
			// kazoo #649: a reader queued before a writer does not wait for it.
			if err := r3.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
			w0, r5, w2 := rw.WriteLock(), rw.ReadLock(), rw.WriteLock()
			if err := w0.Lock(ctx); err != nil {
				t.Fatal(err)
			}
			go func() { read <- r5.Lock(ctx) }()
			waitFor(t, 10*time.Second, "the reader's node", func() bool { return len(children(t, c, "/rw")) == 2 })
			go func() { wrote <- w2.Lock(ctx) }()
			waitFor(t, 10*time.Second, "the second writer's node", func() bool { return len(children(t, c, "/rw")) == 3 })
			if err := w0.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-read; err != nil {
				t.Fatal(err)
			}
			if err := r5.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-wrote; err != nil {
				t.Fatal(err)
			}
			if err := w2.Unlock(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := children(t, c, "/rw"); len(got) != 0 {
				t.Fatalf("left behind %v", got)
			}
		})
	}
}
