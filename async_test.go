package kazoo_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

func TestAsyncTenThousandInFlight(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	if _, _, err := c.Create(ctx, "/n", []byte("v")); err != nil {
		t.Fatal(err)
	}
	const n = 10000
	futs := make([]*kazoo.Future[kazoo.GetResult], n)
	for i := range futs {
		futs[i] = c.GetAsync(ctx, "/n")
	}
	// Results complete in request order: once a future is done, every
	// earlier one is (looked at before any of them is waited for).
	for _, i := range []int{n / 4, n / 2, n - 1} {
		<-futs[i].Done()
		for j := range i {
			select {
			case <-futs[j].Done():
			default:
				t.Fatalf("future %d done before future %d", i, j)
			}
		}
	}
	for i, f := range futs {
		r, err := f.Result()
		if err != nil || string(r.Data) != "v" {
			t.Fatalf("future %d: %q, %v", i, r.Data, err)
		}
	}
}

// A pipeline's goroutine reads replies itself and may stop at any point;
// whoever waits next must not depend on it: a synchronous call, another
// goroutine's Result, and a Done channel nobody reads for all complete
// promptly, with no watch set (nothing else makes the client read).
func TestAbandonedPipelineLeavesNoWaiterStuck(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	if _, _, err := c.Create(ctx, "/n", []byte("v")); err != nil {
		t.Fatal(err)
	}
	futs := make([]*kazoo.Future[kazoo.GetResult], 200)
	for i := range futs {
		futs[i] = c.GetAsync(ctx, "/n")
	}
	if _, err := futs[0].Result(); err != nil { // reads, then leaves
		t.Fatal(err)
	}
	quick, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if _, _, err := c.Get(quick, "/n"); err != nil {
		t.Fatalf("synchronous Get after an abandoned pipeline: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := futs[1].Wait(quick); done <- err }()
	if err := <-done; err != nil {
		t.Fatalf("another goroutine's Wait: %v", err)
	}
	more := c.GetAsync(ctx, "/n")
	select {
	case <-more.Done():
	case <-quick.Done():
		t.Fatal("Done channel not closed while nobody reads")
	}
	for i, f := range futs {
		if _, err := f.Result(); err != nil {
			t.Fatalf("future %d: %v", i, err)
		}
	}
}

// Requests started and never waited for still go out promptly: a request
// queued behind others in flight, while no one reads, is not left for the
// connection's next tick (seconds away with this session timeout).
func TestFireAndForgetIsSentPromptly(t *testing.T) {
	root := zktest.Shared(t).Chroot(t)
	c := zktest.Connect(t, root, kazoo.WithSessionTimeout(30*time.Second))
	ctx := testCtx(t)
	if _, _, err := c.Exists(ctx, "/"); err != nil { // leaves the read role free
		t.Fatal(err)
	}
	for i := range 5 {
		c.CreateAsync(ctx, fmt.Sprintf("/n%d", i), nil)
	}
	other := zktest.Connect(t, root)
	deadline := time.Now().Add(time.Second)
	for i := range 5 {
		for {
			ok, _, err := other.Exists(ctx, fmt.Sprintf("/n%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/n%d not created a second after CreateAsync", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func TestAsyncOperations(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	created := make([]*kazoo.Future[kazoo.CreateResult], 20)
	for i := range created {
		created[i] = c.CreateAsync(ctx, fmt.Sprintf("/n%02d", i), []byte{byte(i)})
	}
	for i, f := range created {
		r, err := f.Wait(ctx)
		if err != nil || r.Path != fmt.Sprintf("/n%02d", i) || (create2(t) && r.Stat.Czxid == 0) {
			t.Fatalf("create %d: %+v, %v", i, r, err)
		}
	}
	set := c.SetAsync(ctx, "/n00", []byte("x"), 0)
	exists := c.ExistsAsync(ctx, "/n00")
	missing := c.ExistsAsync(ctx, "/none")
	kids := c.ChildrenAsync(ctx, "/")
	bad := c.GetAsync(ctx, "not-a-path")
	del := c.DeleteAsync(ctx, "/n01", 5)
	if st, err := set.Result(); err != nil || st.Version != 1 {
		t.Errorf("SetAsync = %+v, %v", st, err)
	}
	if r, err := exists.Result(); err != nil || !r.Exists || r.Stat.Version != 1 {
		t.Errorf("ExistsAsync = %+v, %v", r, err)
	}
	if r, err := missing.Result(); err != nil || r.Exists {
		t.Errorf("ExistsAsync missing = %+v, %v", r, err)
	}
	if r, err := kids.Result(); err != nil || len(r.Children) != 20 {
		t.Errorf("ChildrenAsync = %d children, %v", len(r.Children), err)
	}
	if _, err := bad.Result(); !errors.Is(err, kazoo.ErrInvalidPath) {
		t.Errorf("GetAsync invalid path: %v", err)
	}
	if _, err := del.Result(); !errors.Is(err, kazoo.ErrBadVersion) {
		t.Errorf("DeleteAsync bad version: %v", err)
	}
	txn := c.Txn().Create("/t", nil).Delete("/n02", kazoo.AnyVersion).CommitAsync(ctx)
	if res, err := txn.Result(); err != nil || len(res) != 2 {
		t.Errorf("CommitAsync = %+v, %v", res, err)
	}
}

func TestAsyncWatches(t *testing.T) {
	root := zktest.Shared(t).Chroot(t)
	c, other, ctx := zktest.Connect(t, root), zktest.Connect(t, root), testCtx(t)
	if _, _, err := c.Create(ctx, "/w", []byte("1")); err != nil {
		t.Fatal(err)
	}
	getF, getW := c.GetWAsync(ctx, "/w")
	existsF, existsW := c.ExistsWAsync(ctx, "/new")
	kidsF, kidsW := c.ChildrenWAsync(ctx, "/")
	if r, err := getF.Result(); err != nil || string(r.Data) != "1" {
		t.Fatalf("GetWAsync = %q, %v", r.Data, err)
	}
	if r, err := existsF.Result(); err != nil || r.Exists {
		t.Fatalf("ExistsWAsync = %+v, %v", r, err)
	}
	if _, err := kidsF.Result(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Set(ctx, "/w", []byte("2"), kazoo.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Create(ctx, "/new", nil); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		ch   <-chan kazoo.Event
		want kazoo.EventType
	}{"get": {getW, kazoo.EventNodeDataChanged}, "exists": {existsW, kazoo.EventNodeCreated}, "children": {kidsW, kazoo.EventNodeChildrenChanged}} {
		if ev := waitEvent(t, tc.ch, eventWait); ev.Type != tc.want {
			t.Errorf("%s: %+v", name, ev)
		}
	}
	// A failed call leaves no watch: its channel stays silent.
	f, ch := c.GetWAsync(ctx, "/missing")
	if _, err := f.Result(); !errors.Is(err, kazoo.ErrNoNode) {
		t.Fatalf("GetWAsync missing: %v", err)
	}
	noEvent(t, c, ch)
}

// TestAbandonedCallsUnderRace cancels calls while their replies arrive, so
// that calls are abandoned and recycled concurrently; with -race this checks
// that nothing touches a call after handing it over.
func TestAbandonedCallsUnderRace(t *testing.T) {
	c, ctx := connect(t), testCtx(t)
	if _, _, err := c.Create(ctx, "/n", []byte("v")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				cctx, cancel := context.WithTimeout(ctx, time.Duration(i%50)*10*time.Microsecond)
				data, _, err := c.Get(cctx, "/n")
				cancel()
				if err == nil && string(data) != "v" {
					t.Errorf("Get = %q", data)
					return
				}
				if err != nil && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Get: %v", err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	// The client is healthy afterwards.
	if data, _, err := c.Get(ctx, "/n"); err != nil || string(data) != "v" {
		t.Fatalf("Get = %q, %v", data, err)
	}
}
