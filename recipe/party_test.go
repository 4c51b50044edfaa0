package recipe_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/internal/interop"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/recipe"
)

// waitMembers follows watch until it yields want.
func waitMembers(t *testing.T, ctx context.Context, what string, watch func(context.Context) func(func([]string, error) bool), want ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var last []string
	for m, err := range watch(ctx) {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if last = m; slices.Equal(m, want) {
			return
		}
	}
	t.Fatalf("%s: members %v, want %v", what, last, want)
}

func TestPartiesWithKazooAndSessionLoss(t *testing.T) {
	e := newEnv(t, 120*time.Second)
	py := interop.Python(t, "testdata/recipes2_worker.py", e.addr)
	for _, shallow := range []bool{false, true} {
		name, newP, join := "party", recipe.NewParty, "party"
		if shallow {
			name, newP, join = "shallow", recipe.NewShallowParty, "shallow"
		}
		t.Run(name, func(t *testing.T) {
			path := "/" + name
			p, err := newP(e.c, path, "go-member")
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Join(e.ctx); err != nil {
				t.Fatal(err)
			}
			py.Send("%s_join %s%s py-member", join, e.chroot, path)
			py.Expect(30*time.Second, "joined")
			watch := func(ctx context.Context) func(func([]string, error) bool) { return p.Watch(ctx) }
			waitMembers(t, e.ctx, "both", watch, "go-member", "py-member")
			py.Send("%s_members %s%s", join, e.chroot, path)
			if got := py.Expect(10*time.Second, "members"); got != "members go-member,py-member" {
				t.Fatalf("kazoo sees %q", got)
			}
			// Our membership comes back after a session loss.
			expire(t, e.c)
			waitMembers(t, e.ctx, "after session loss", watch, "go-member", "py-member")
			py.Send("party_leave")
			py.Expect(10*time.Second, "left")
			waitMembers(t, e.ctx, "after kazoo left", watch, "go-member")
			if err := p.Leave(e.ctx); err != nil {
				t.Fatal(err)
			}
			if m, err := p.Members(e.ctx); err != nil || len(m) != 0 {
				t.Fatalf("after leaving: %v %v", m, err)
			}
		})
	}
}

func TestGroupMemberWithCuratorAndSessionLoss(t *testing.T) {
	requireOp(t, proto.OpAddWatch) // GroupMember.Watch
	requireCurator(t)
	e := newEnv(t, 120*time.Second)
	java := interop.Java(t, "testdata/Recipes2Worker.java", e.addr)
	java.Expect(60*time.Second, "connected")
	g, err := recipe.NewGroupMember(e.c, "/group", "go", []byte("p1"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(e.ctx)
	if err := g.WaitJoined(e.ctx); err != nil {
		t.Fatal(err)
	}
	java.Send("group_join %s/group java jp", e.chroot)
	java.Expect(30*time.Second, "joined")
	render := func(m map[string][]byte) string {
		var s []string
		for k, v := range m {
			s = append(s, k+"="+string(v))
		}
		slices.Sort(s)
		return strings.Join(s, ",")
	}
	waitGroup := func(what, want string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
		defer cancel()
		last := ""
		for m, err := range g.Watch(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if last = render(m); last == want {
				return
			}
		}
		t.Fatalf("%s: %q, want %q", what, last, want)
	}
	waitGroup("both", "go=p1,java=jp")
	expire(t, e.c)
	if err := g.SetPayload(e.ctx, []byte("p2")); err != nil {
		t.Fatal(err)
	}
	waitGroup("after session loss", "go=p2,java=jp")
	// Curator's view (its cache) converges too.
	eventually(t, 30*time.Second, "Curator to see go=p2", func() bool {
		java.Send("group_members")
		return java.Expect(10*time.Second, "members") == "members go=p2,java=jp"
	})
}
