package cache

import (
	"slices"
	"testing"

	"github.com/kazoo-go/kazoo"
)

func st(czxid, mzxid, pzxid int64) kazoo.Stat {
	return kazoo.Stat{Czxid: czxid, Mzxid: mzxid, Pzxid: pzxid}
}

// The tree's rules, which keep a cache correct whatever order reads land in.
func TestTreeVersions(t *testing.T) {
	tr := &tree{root: "/r"}
	set := func(p, data string, s kazoo.Stat) bool { return tr.set(p, []byte(data), s) }
	if !set("/r", "", st(1, 1, 3)) || !set("/r/a", "a1", st(2, 2, 2)) || !set("/r/b", "b1", st(3, 3, 3)) {
		t.Fatal("first reads must change the tree")
	}
	if set("/r/x/y", "", st(9, 9, 9)) {
		t.Fatal("a node whose parent is not cached was stored")
	}
	if set("/r/a", "a1", st(2, 2, 2)) || set("/r/a", "a0", st(2, 1, 2)) {
		t.Fatal("a read of the same or an older version announced a change")
	}
	if !set("/r/a", "a2", st(2, 5, 2)) {
		t.Fatal("a newer version was ignored")
	}
	// /r/b deleted and created again (czxid 7); a child of the new /r/b
	// (czxid 8) was read first, a child of the old one (czxid 4) is stale.
	set("/r/b/old", "", st(4, 4, 4))
	set("/r/b/new", "", st(8, 8, 8))
	if !set("/r/b", "b2", st(7, 7, 8)) {
		t.Fatal("a re-created node was ignored")
	}
	if kids, _ := tr.children("/r/b"); !slices.Equal(kids, []string{"new"}) {
		t.Fatalf("children of the re-created node: %v, want [new]", kids)
	}
	// A child list read before /r/c was created (pzxid 3) keeps /r/c.
	set("/r/c", "", st(10, 10, 10))
	tr.keepKids("/r", []string{"b"}, 3)
	if kids, _ := tr.children("/r"); !slices.Equal(kids, []string{"b", "c"}) {
		t.Fatalf("children after a list at pzxid 3: %v, want [b c]", kids)
	}
	tr.keepKids("/r", []string{"b"}, 11)
	if kids, _ := tr.children("/r"); !slices.Equal(kids, []string{"b"}) {
		t.Fatalf("children after a list at pzxid 11: %v, want [b]", kids)
	}
	if !tr.remove("/r") || tr.remove("/r") {
		t.Fatal("remove of the root")
	}
	if _, ok := tr.get("/r/b/new"); ok {
		t.Fatal("a descendant of a removed node is still cached")
	}
}
