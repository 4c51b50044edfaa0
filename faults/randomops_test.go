package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// What must keep holding: random operations, pipelined in small batches
// across connection resets, agree with a model of the nodes. Results are
// checked in the order the operations were made, which is the order the
// server applied them, so the model is always the state each operation
// met. An operation whose outcome is unknown (its connection was lost)
// makes its node uncertain until a result tells its state again; every
// other result must be the model's.
//
// Pipelined, it also holds the client to DESIGN.md's promise that async
// results complete in request order: calls made from one goroutine reach
// the server in the order made, even those made while disconnected.
func TestRandomOperationsAcrossResets(t *testing.T) {
	t.Run("one at a time", func(t *testing.T) { randomOperations(t, 1) })
	t.Run("pipelined", func(t *testing.T) { randomOperations(t, 8) })
}

func randomOperations(t *testing.T, batch int) {
	ops := size(2000, 100000)
	keys, resetEvery := 6, size(250, 1000)
	p, servers, _ := proxied(t)
	c := zktest.Connect(t, servers, kazoo.WithSessionTimeout(10*time.Second))
	ctx := testCtx(t, 30*time.Minute)
	if _, _, err := c.Create(ctx, "/r", nil); err != nil {
		t.Fatal(err)
	}
	type node struct {
		data    string
		version int32
	}
	model := make(map[string]*node) // nil: absent
	uncertain := make(map[string]bool)
	violations, unknowns, resets := 0, 0, 0
	fail := func(format string, args ...any) {
		if violations < 10 {
			t.Errorf(format, args...)
		}
		violations++
	}
	// known reports whether err tells the node's state; an unknown outcome
	// makes the node uncertain.
	known := func(k string, err error) bool {
		if err == nil || errors.Is(err, kazoo.ErrNoNode) || errors.Is(err, kazoo.ErrNodeExists) || errors.Is(err, kazoo.ErrBadVersion) {
			return true
		}
		uncertain[k] = true
		unknowns++
		return false
	}
	rng := rand.New(rand.NewPCG(8, uint64(time.Now().UnixNano())))
	for done := 0; done < ops; {
		var checks []func()
		for range batch {
			k := fmt.Sprintf("k%d", rng.IntN(keys))
			path, data := "/r/"+k, fmt.Sprintf("%s-%d", k, done)
			done++
			if done%resetEvery == 0 {
				p.ResetAll()
				resets++
			}
			switch rng.IntN(5) {
			case 0:
				f := c.GetAsync(ctx, path)
				checks = append(checks, func() {
					r, err := f.Result()
					m, sure := model[k], !uncertain[k]
					if !known(k, err) {
						return
					}
					switch {
					case errors.Is(err, kazoo.ErrNoNode):
						if sure && m != nil {
							fail("get %s: NoNode, the model has %+v", k, *m)
						}
						model[k] = nil
					case err == nil:
						if sure && (m == nil || m.data != string(r.Data) || m.version != r.Stat.Version) {
							fail("get %s: %q version %d, the model has %+v", k, r.Data, r.Stat.Version, m)
						}
						model[k] = &node{string(r.Data), r.Stat.Version}
					}
					uncertain[k] = false
				})
			case 1:
				f := c.CreateAsync(ctx, path, []byte(data))
				checks = append(checks, func() {
					_, err := f.Result()
					m, sure := model[k], !uncertain[k]
					if !known(k, err) {
						return
					}
					switch {
					case err == nil:
						if sure && m != nil {
							fail("create %s succeeded, the model has %+v", k, *m)
						}
						model[k], uncertain[k] = &node{data, 0}, false
					case errors.Is(err, kazoo.ErrNodeExists):
						if sure && m == nil {
							fail("create %s: NodeExists, the model has none", k)
						}
					}
				})
			case 2, 3:
				v := kazoo.AnyVersion // or the version the model knows now
				if m := model[k]; m != nil && rng.IntN(2) == 0 {
					v = m.version
				}
				f := c.SetAsync(ctx, path, []byte(data), v)
				checks = append(checks, func() {
					st, err := f.Result()
					m, sure := model[k], !uncertain[k]
					if !known(k, err) {
						return
					}
					switch {
					case err == nil:
						if sure && (m == nil || (v != kazoo.AnyVersion && m.version != v) || st.Version != m.version+1) {
							fail("set %s at version %d: now version %d, the model had %+v", k, v, st.Version, m)
						}
						model[k], uncertain[k] = &node{data, st.Version}, false
					case errors.Is(err, kazoo.ErrNoNode):
						if sure && m != nil {
							fail("set %s: NoNode, the model has %+v", k, *m)
						}
						model[k], uncertain[k] = nil, false
					case errors.Is(err, kazoo.ErrBadVersion):
						if sure && (m == nil || m.version == v) {
							fail("set %s at version %d: BadVersion, the model has %+v", k, v, m)
						}
					}
				})
			case 4:
				f := c.DeleteAsync(ctx, path, kazoo.AnyVersion)
				checks = append(checks, func() {
					_, err := f.Result()
					m, sure := model[k], !uncertain[k]
					if !known(k, err) {
						return
					}
					if err == nil && sure && m == nil {
						fail("delete %s succeeded, the model has none", k)
					}
					if err != nil && sure && m != nil {
						fail("delete %s: %v, the model has %+v", k, err, *m)
					}
					model[k], uncertain[k] = nil, false
				})
			}
		}
		for _, check := range checks {
			check()
		}
	}
	// At the end every node agrees with the model once read.
	for i := range keys {
		k := fmt.Sprintf("k%d", i)
		data, st, err := c.Get(ctx, "/r/"+k)
		m := model[k]
		switch {
		case uncertain[k]:
		case errors.Is(err, kazoo.ErrNoNode) && m != nil, err == nil && (m == nil || m.data != string(data) || m.version != st.Version):
			fail("%s at the end: %q version %d (%v), the model has %+v", k, data, st.Version, err, m)
		}
	}
	t.Logf("%d operations, %d connection resets, %d outcomes unknown, %d violations", ops, resets, unknowns, violations)
}
