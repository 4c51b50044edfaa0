package recipe

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/zktest"
)

// startWrapServer starts a server whose node /wrap has its child version
// at cversion, by writing the server's own snapshot of such a tree into
// its data directory (testdata/LocksSeqWrap.java) before it starts.
func startWrapServer(t *testing.T, cversion int32) *zktest.Server {
	t.Helper()
	srv := zktest.StartServer(t)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	snaps := filepath.Join(srv.Dir(), "data", "version-2")
	if err := os.RemoveAll(snaps); err != nil {
		t.Fatal(err)
	}
	inst := srv.Installation()
	classes := t.TempDir()
	javac := filepath.Join(filepath.Dir(inst.Java), "javac")
	if _, err := os.Stat(javac); err != nil {
		javac = "javac"
	}
	cp := strings.Join(inst.Classpath, ":")
	// An empty -sourcepath: some releases' jars carry sources that javac
	// would otherwise compile instead of using the classes.
	if out, err := exec.Command(javac, "-nowarn", "-implicit:none", "-sourcepath", t.TempDir(), "-cp", cp, "-d", classes, "testdata/LocksSeqWrap.java").CombinedOutput(); err != nil {
		t.Fatalf("compiling LocksSeqWrap.java: %v\n%s", err, out)
	}
	out, err := exec.Command(inst.Java, "-cp", cp+":"+classes, "LocksSeqWrap", filepath.Join(srv.Dir(), "data"), "/wrap", fmt.Sprint(cversion)).CombinedOutput()
	if err != nil {
		t.Fatalf("writing the snapshot: %v\n%s", err, out)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	return srv
}

// Contenders whose sequence numbers reach the signed 32-bit limit are
// admitted in the order they asked, one at a time. ZooKeeper's docs say the
// counter wraps to -2147483648 (which kazoo and Curator, comparing strings,
// sort first: kazoo #606, #730); ZooKeeper 3.8 in fact stays at 2147483647
// for every later child, and the names no longer tell the order at all.
// Either way ours follows creation order.
func TestLockOrderAtSequenceLimit(t *testing.T) {
	srv := startWrapServer(t, 2147483645)
	for _, layout := range layouts {
		t.Run(layout.name, func(t *testing.T) {
			ctx := testCtx(t, 60*time.Second)
			admin := zktest.Connect(t, srv.Addr())
			var locks []*Lock
			acquired := make(chan int, 4)
			for i := range 4 {
				l := newLock(t, zktest.Connect(t, srv.Addr()), "/wrap", layout.opts...)
				locks = append(locks, l)
				if i == 0 {
					if ok, err := l.TryLock(ctx); !ok || err != nil {
						t.Fatalf("first contender: %v, %v", ok, err)
					}
					continue
				}
				go func() {
					if err := l.Lock(ctx); err != nil {
						t.Error(err)
					}
					acquired <- i
				}()
				waitFor(t, 10*time.Second, "the contender's node", func() bool { return len(children(t, admin, "/wrap")) == i+1 })
			}
			ms := members(children(t, admin, "/wrap"), "__lock__", "lock-")
			var seqs []int32
			limit := false
			for i, m := range ms {
				seqs = append(seqs, m.Seq)
				limit = limit || m.Seq < 0 || (i > 0 && m.Seq == ms[i-1].Seq)
			}
			if !limit {
				t.Fatalf("sequences %v: the counter neither wrapped nor stopped", seqs)
			}
			t.Logf("sequences, in sequence order: %v", seqs)
			for i, l := range locks {
				if i > 0 {
					if got := <-acquired; got != i {
						t.Fatalf("contender %d got the lock before contender %d (sequences %v)", got, i, seqs)
					}
				}
				for j, other := range locks {
					if j != i && other.Node() != "" {
						t.Fatalf("contender %d holds with contender %d (sequences %v)", j, i, seqs)
					}
				}
				if err := l.Unlock(ctx); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
