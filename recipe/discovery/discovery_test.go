package discovery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/internal/interop"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/recipe"
	"github.com/kazoo-go/kazoo/recipe/discovery"
	"github.com/kazoo-go/kazoo/zktest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(zktest.Main(m)) }

// until waits for the provider's cache to satisfy cond.
func until(t *testing.T, ctx context.Context, p *discovery.Provider, what string, cond func([]discovery.Instance) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		ch := p.Changed()
		if cond(p.Instances()) {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("provider never saw %s: %+v", what, p.Instances())
		}
	}
}

func ids(in []discovery.Instance) []string {
	var s []string
	for _, i := range in {
		s = append(s, i.ID)
	}
	return s
}

func TestDiscoveryWithCurator(t *testing.T) {
	// Curator 5 needs 3.5; the provider, persistent watches (3.6).
	zktest.RequireOp(t, zktest.Shared(t), proto.OpAddWatch)
	srv := zktest.Shared(t)
	servers := srv.Chroot(t)
	chroot := servers[len(srv.Addr()):]
	c := zktest.Connect(t, servers)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	java := interop.Java(t, "testdata/DiscoveryWorker.java", srv.Addr(), chroot+"/services")
	java.Expect(60*time.Second, "connected")
	d, err := discovery.New(c, "/services")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)

	// Curator registers; Go reads it, field by field.
	java.Send("register api j1 31000 zone=eu")
	java.Expect(30*time.Second, "registered")
	raw, _, err := c.Get(ctx, "/services/api/j1")
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "id", "address", "port", "sslPort", "payload", "registrationTimeUTC", "serviceType", "uriSpec"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("Curator's JSON lacks %q: %s", k, raw)
		}
	}
	j1, err := d.Instance(ctx, "api", "j1")
	if err != nil {
		t.Fatal(err)
	}
	pm, err := discovery.PayloadMap(j1.Payload)
	if err != nil || j1.Name != "api" || j1.Address != "127.0.0.1" || j1.Port == nil || *j1.Port != 31000 ||
		j1.ServiceType != discovery.Dynamic || j1.RegistrationTimeUTC == 0 || pm["zone"] != "eu" {
		t.Fatalf("Curator's instance read as %+v (payload %v, %v)", j1, pm, err)
	}

	// Go registers; Curator finds it.
	payload, _ := discovery.MapPayload(map[string]any{"zone": "us"})
	g1 := discovery.Instance{Name: "api", ID: "g1", Address: "127.0.0.1", Port: discovery.Int(31001), Payload: payload}
	if err := d.Register(ctx, g1); err != nil {
		t.Fatal(err)
	}
	java.Send("query api")
	if got := java.Expect(30*time.Second, "instances"); got != "instances g1:127.0.0.1:31001:{zone=us}:DYNAMIC,j1:127.0.0.1:31000:{zone=eu}:DYNAMIC" {
		t.Fatalf("Curator sees %q", got)
	}
	// Our JSON is Curator's, key for key, in Jackson's order.
	ours, _, _ := c.Get(ctx, "/services/api/g1")
	var o, th []string
	for _, b := range [][]byte{ours, raw} {
		dec := json.NewDecoder(bytes.NewReader(b))
		var keys []string
		dec.Token()
		for dec.More() {
			k, _ := dec.Token()
			keys = append(keys, k.(string))
			var skip json.RawMessage
			dec.Decode(&skip)
		}
		if o == nil {
			o = keys
		} else {
			th = keys
		}
	}
	if !slices.Equal(o, th) {
		t.Fatalf("key order: ours %v, Curator's %v", o, th)
	}

	// A provider sees both and follows changes; round robin alternates.
	p, err := d.Provider(ctx, "api", &discovery.RoundRobin{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	until(t, ctx, p, "g1 and j1", func(in []discovery.Instance) bool { return slices.Equal(ids(in), []string{"g1", "j1"}) })
	a, _ := p.Instance()
	b, _ := p.Instance()
	if a.ID == b.ID {
		t.Fatalf("round robin picked %s twice", a.ID)
	}
	java.Send("unregister api j1")
	java.Expect(30*time.Second, "unregistered")
	until(t, ctx, p, "g1 alone", func(in []discovery.Instance) bool { return slices.Equal(ids(in), []string{"g1"}) })
	// An update is seen through the cache.
	g1.Port = discovery.Int(32000)
	if err := d.Update(ctx, g1); err != nil {
		t.Fatal(err)
	}
	until(t, ctx, p, "the new port", func(in []discovery.Instance) bool {
		return len(in) == 1 && in[0].Port != nil && *in[0].Port == 32000
	})
}

func TestDiscoveryBadJSONAndSessionLoss(t *testing.T) {
	zktest.RequireOp(t, zktest.Shared(t), proto.OpAddWatch) // the provider
	servers := zktest.Shared(t).Chroot(t)
	c, obs := zktest.Connect(t, servers), zktest.Connect(t, servers)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, _ := discovery.New(c, "/services")
	defer d.Close(ctx)
	od, _ := discovery.New(obs, "/services")
	if err := d.Register(ctx, discovery.Instance{Name: "db", ID: "a", Address: "10.0.0.1", Port: discovery.Int(5432)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := obs.Create(ctx, "/services/db/garbage", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	in, err := od.Instances(ctx, "db")
	if !errors.Is(err, recipe.ErrBadValue) || len(in) != 1 || in[0].ID != "a" {
		t.Fatalf("instances %+v, err %v", in, err)
	}
	if data, _, _ := obs.Get(ctx, "/services/db/garbage"); string(data) != "{not json" {
		t.Fatalf("garbage node changed: %q", data)
	}
	p, err := od.Provider(ctx, "db", &discovery.Sticky{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	until(t, ctx, p, "a", func(in []discovery.Instance) bool { return slices.Equal(ids(in), []string{"a"}) })

	// The registrant's session is lost: the server removes the instance,
	// the registration comes back in the new session.
	old := c.SessionID()
	if err := zktest.ExpireSession(ctx, c); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, st, err := obs.Get(ctx, "/services/db/a")
		if err == nil && st.EphemeralOwner == c.SessionID() && st.EphemeralOwner != old {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance not registered again: %v owner %x", err, st.EphemeralOwner)
		}
		time.Sleep(20 * time.Millisecond)
	}
	until(t, ctx, p, "a again", func(in []discovery.Instance) bool { return slices.Equal(ids(in), []string{"a"}) })
	if got, err := p.Instance(); err != nil || got.ID != "a" {
		t.Fatalf("pick: %+v %v", got, err)
	}
	if err := d.Unregister(ctx, discovery.Instance{Name: "db", ID: "a"}); err != nil {
		t.Fatal(err)
	}
	until(t, ctx, p, "nothing", func(in []discovery.Instance) bool { return len(in) == 0 })
	if _, err := p.Instance(); !errors.Is(err, discovery.ErrNoInstances) {
		t.Fatalf("pick from none: %v", err)
	}
	if err := d.Register(ctx, discovery.Instance{Name: "db"}); err == nil {
		t.Fatal("an instance without an id was registered")
	}
}

func TestStrategies(t *testing.T) {
	in := []discovery.Instance{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	rr := &discovery.RoundRobin{}
	var got []string
	for range 4 {
		got = append(got, rr.Pick(in).ID)
	}
	if fmt.Sprint(got) != "[a b c a]" {
		t.Fatalf("round robin: %v", got)
	}
	s := &discovery.Sticky{Next: &discovery.RoundRobin{}}
	first, second := s.Pick(in).ID, s.Pick(in).ID
	if first != "a" || second != "a" {
		t.Fatalf("sticky picked %s then %s", first, second)
	}
	if moved := s.Pick(in[1:]).ID; moved == "a" || s.Pick(in).ID != moved {
		t.Fatal("sticky did not move on when its instance went, or moved back")
	}
	for range 10 {
		if id := (discovery.Random{}).Pick(in).ID; id < "a" || id > "c" {
			t.Fatalf("random picked %q", id)
		}
	}
}
