package cache_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/cache"
	"github.com/kazoo-go/kazoo/zktest"
)

// A reconnect re-reads the watched nodes but reports nothing twice; a
// change made while the session is being lost and replaced is reported once.
func TestWatchesAcrossReconnectAndExpiry(t *testing.T) {
	srv := zktest.Shared(t)
	servers := srv.Chroot(t)
	admin := zktest.Connect(t, servers)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := zktest.Connect(t, proxy.Addr()+servers[strings.IndexByte(servers, '/'):], kazoo.WithSessionTimeout(4*time.Second))
	ctx := ctxFor(t, 60*time.Second)
	mustCreate(t, admin, "/n", "a")
	var data calls[cache.Data]
	dw, err := cache.DataWatch(c, "/n", data.add)
	if err != nil {
		t.Fatal(err)
	}
	defer dw.Close()
	var kids calls[cache.Children]
	cw, err := cache.ChildrenWatch(c, "/n", kids.add)
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Close()
	expect := func(wantData, wantKids string) {
		t.Helper()
		eventually(t, 15*time.Second, "calls "+wantData+" / "+wantKids, func() error {
			var ks []string
			for _, k := range kids.all() {
				ks = append(ks, "["+strings.Join(k.Names, " ")+"]")
			}
			gotData, gotKids := dataLog(data.all()), strings.Join(ks, ",")
			if gotData != wantData || gotKids != wantKids {
				return fmt.Errorf("calls %s / %s", gotData, gotKids)
			}
			return nil
		})
	}
	set := func(v string) {
		t.Helper()
		if _, err := admin.Set(ctx, "/n", []byte(v), -1); err != nil {
			t.Fatal(err)
		}
	}
	expect("a", "[]")

	states := c.SubscribeStates()
	defer states.Stop()
	waitState := func(want kazoo.State) {
		t.Helper()
		for {
			select {
			case s := <-states.C():
				if s == want {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no %v state", want)
			}
		}
	}
	// A reset with no change meanwhile: the re-read finds nothing new.
	proxy.ResetAll()
	waitState(kazoo.Suspended)
	waitState(kazoo.Connected)
	set("b")
	mustCreate(t, admin, "/n/k1", "")
	expect("a,b", "[],[k1]")

	// Changes while cut off reach the watches once each.
	proxy.Blackhole()
	set("c")
	mustCreate(t, admin, "/n/k2", "")
	waitState(kazoo.Suspended)
	proxy.Heal()
	waitState(kazoo.Connected)
	expect("a,b,c", "[],[k1],[k1 k2]")

	// A real session expiry, and changes around it.
	if err := zktest.ExpireSession(ctx, c); err != nil {
		t.Fatal(err)
	}
	set("d")
	if err := admin.Delete(ctx, "/n/k1", -1); err != nil {
		t.Fatal(err)
	}
	waitState(kazoo.Connected)
	expect("a,b,c,d", "[],[k1],[k1 k2],[k2]")
	set("e")
	expect("a,b,c,d,e", "[],[k1],[k1 k2],[k2]")
}
