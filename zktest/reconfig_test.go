package zktest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// TestDynamicReconfig grows a 3-member ensemble to 4 with AddMember and a
// reconfig, then shrinks it back by removing member 1: the configuration
// the servers publish follows, and the new member serves clients.
func TestDynamicReconfig(t *testing.T) {
	inst, err := FindInstallation()
	if err != nil {
		t.Fatal(err)
	}
	if v := inst.Version; v != (proto.Version{}) && v.Less(proto.Version{Major: 3, Minor: 5}) {
		t.Skipf("ZooKeeper %s has no dynamic reconfiguration (3.5+)", v)
	}
	c := StartCluster(t, 3, WithDynamicReconfig())
	ctx := ctxTimeout(t, 90*time.Second)

	added, err := c.AddMember(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 4 || added.MyID() != 4 || !strings.HasPrefix(added.Spec(), "server.4=127.0.0.1:") {
		t.Fatalf("after AddMember: %d members, myid %d, spec %q", c.Len(), added.MyID(), added.Spec())
	}
	w := dial(t, c.Member(1).Addr()) // member 1 (myid 2) stays throughout
	reconfig := func(req *proto.ReconfigRequest) string {
		t.Helper()
		var resp proto.GetDataResponse
		if _, err := w.Call(proto.OpReconfig, req, &resp); err != nil {
			t.Fatalf("reconfig %+v: %v", req, err)
		}
		return string(resp.Data)
	}
	cfg := reconfig(&proto.ReconfigRequest{JoiningServers: added.Spec(), CurConfigID: -1})
	if !strings.Contains(cfg, "server.4=") {
		t.Fatalf("config after adding member 4 lacks it:\n%s", cfg)
	}
	if err := added.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	r := dial(t, added.Addr())
	var got proto.GetDataResponse
	if _, err := r.Call(proto.OpGetData, &proto.PathWatchRequest{Path: "/zookeeper/config"}, &got); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(got.Data), "server."); n != 4 {
		t.Fatalf("the new member publishes %d members:\n%s", n, got.Data)
	}

	cfg = reconfig(&proto.ReconfigRequest{LeavingServers: strconv.Itoa(1), CurConfigID: -1})
	if strings.Contains(cfg, "server.1=") || strings.Count(cfg, "server.") != 3 {
		t.Fatalf("config after removing member 1:\n%s", cfg)
	}
}
