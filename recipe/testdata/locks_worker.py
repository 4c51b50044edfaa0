"""kazoo side of the recipe interop tests: runs kazoo's own recipes on the
paths the Go test names, and checks the rules it can see.

argv: servers (with chroot), identifier.
Commands, one per line; each answers one line (or "error ..."):
  loop KIND PATH N   take the recipe N times; while holding, enter the
                     shared holders check (below); answers "done N"
                     KIND: lock | write | read | sem:MAX | elect
  hold KIND PATH     take it and keep it: "held"; "release" ends it: "released"
  lease PATH SECS    NonBlockingLease: "lease true|false"
  multilease COUNT PATH SECS   MultiNonBlockingLease: "lease true|false"

The holders check: a holder creates an ephemeral sequential node
/holders/<role>- (role w for exclusive, r for shared), lists /holders, and
reports "error violation ..." if the rule of KIND is broken, then deletes it.
"""
import sys
import datetime
from kazoo.client import KazooClient
from kazoo.recipe.lease import NonBlockingLease, MultiNonBlockingLease

zk = KazooClient(hosts=sys.argv[1], timeout=10)
zk.start(timeout=30)
ident = sys.argv[2]
zk.ensure_path("/holders")
print("connected", flush=True)


def recipe(kind, path):
    if kind == "lock":
        return zk.Lock(path, ident), "w", 1
    if kind == "write":
        return zk.WriteLock(path, ident), "w", 1
    if kind == "read":
        return zk.ReadLock(path, ident), "r", 0
    if kind == "elect":
        return zk.Election(path, ident), "w", 1
    if kind.startswith("sem:"):
        n = int(kind[4:])
        return zk.Semaphore(path, ident, max_leases=n), "s", n
    raise ValueError(kind)


def check(role, limit):
    me = zk.create("/holders/" + role + "-", ephemeral=True, sequence=True)
    try:
        kids = zk.get_children("/holders")
        if role == "r":
            bad = [k for k in kids if k.startswith("w-")]
        elif role == "w":
            bad = [k for k in kids if me.split("/")[-1] != k]
        else:
            bad = kids if len(kids) > limit else []
        if bad:
            print("error violation %s while %s holds: %s" % (role, ident, bad), flush=True)
    finally:
        zk.delete(me)


held = None
election = None
for line in sys.stdin:
    f = line.split()
    try:
        if f[0] == "loop":
            r, role, limit = recipe(f[1], f[2])
            for _ in range(int(f[3])):
                if f[1] == "elect":
                    r.run(check, role, limit)
                    continue
                with r:
                    check(role, limit)
            print("done " + f[3], flush=True)
        elif f[0] == "hold":
            held, _, _ = recipe(f[1], f[2])
            held.acquire()
            print("held", flush=True)
        elif f[0] == "release":
            held.release()
            print("released", flush=True)
        elif f[0] == "lease":
            lease = NonBlockingLease(zk, f[1], datetime.timedelta(seconds=int(f[2])), ident)
            print("lease " + str(bool(lease)).lower(), flush=True)
        elif f[0] == "multilease":
            lease = MultiNonBlockingLease(zk, int(f[1]), f[2], datetime.timedelta(seconds=int(f[3])), ident)
            print("lease " + str(bool(lease)).lower(), flush=True)
        elif f[0] == "contenders":
            print("contenders " + ",".join(zk.Lock(f[1]).contenders()), flush=True)
        else:
            print("error unknown command " + f[0], flush=True)
    except Exception as e:  # report, keep serving
        print("error %s: %r" % (f[0], e), flush=True)
zk.stop()
