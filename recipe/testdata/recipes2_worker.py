"""kazoo side of the Recipes II interop tests.

Reads one command per line on stdin, answers lines on stdout. Background
tasks (consumers, barrier waits, partitioners) run in threads; "stop"
ends the consumers. Arguments: the server address."""
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError
from kazoo.recipe.partitioner import PartitionState
from kazoo.retry import KazooRetry

zk = KazooClient(hosts=sys.argv[1], command_retry=KazooRetry(max_tries=-1))
zk.start(timeout=15)
out_lock = threading.Lock()
stop = threading.Event()
state = {}


def say(*words):
    with out_lock:
        print(" ".join(str(w) for w in words), flush=True)


def background(fn, *args):
    def run():
        try:
            fn(*args)
        except Exception as e:  # reported, not swallowed
            say("error", type(e).__name__, e)
    threading.Thread(target=run, daemon=True).start()


def counter_add(path, n, curator):
    c = zk.Counter(path, support_curator=curator)
    for _ in range(int(n)):
        c += 1
    say("done", c.value)


def counter_float_add(path, n, step):
    c = zk.Counter(path, default=0.0)
    for _ in range(int(n)):
        c += float(step)
    say("done", c.value)


def queue_put(path, n, prefix, priority="100"):
    q = zk.Queue(path)
    for i in range(int(n)):
        q.put(("%s-%d" % (prefix, i)).encode(), priority=int(priority))
    say("done")


def queue_consume(path):
    q = zk.Queue(path)
    while not stop.is_set():
        item = q.get()
        if item is None:
            time.sleep(0.005)
            continue
        say("item", item.decode())
    say("stopped")


def lqueue_put(path, n, prefix):
    q = zk.LockingQueue(path)
    for i in range(int(n)):
        q.put(("%s-%d" % (prefix, i)).encode())
    say("done")


def lqueue_consume(path):
    q = zk.LockingQueue(path)
    while not stop.is_set():
        item = q.get(timeout=0.2)
        if item is None:
            continue
        if q.consume():
            say("item", item.decode())
    say("stopped")


def party_join(path, ident, shallow):
    p = (zk.ShallowParty if shallow else zk.Party)(path, identifier=ident)
    p.join()
    state["party"] = p
    say("joined")


def party_members(path, shallow):
    p = (zk.ShallowParty if shallow else zk.Party)(path)
    say("members", ",".join(sorted(p)))


def barrier_wait(path):
    zk.Barrier(path).wait()
    say("released")


def dbarrier_enter(path, n, ident):
    b = zk.DoubleBarrier(path, int(n), identifier=ident)
    state["dbarrier"] = b
    b.enter()
    say("entered")


def dbarrier_leave():
    state["dbarrier"].leave()
    say("left")


def partition(path, ident, *items):
    p = zk.SetPartitioner(path, set=list(items), identifier=ident, time_boundary=0.5)
    state["partitioner"] = p
    while not stop.is_set():
        if p.failed:
            say("failed")
            return
        if p.release:
            say("release")
            p.release_set()
        elif p.acquired:
            say("acquired", ",".join(sorted(p)))
            p.state_change_event.clear()
            while p.acquired and not stop.is_set():
                p.state_change_event.wait(0.1)
                p.state_change_event.clear()
        elif p.allocating:
            p.wait_for_acquire(0.1)
    p.finish()
    say("stopped")


for line in sys.stdin:
    cmd, *args = line.split()
    try:
        if cmd == "counter_add":
            background(counter_add, args[0], args[1], False)
        elif cmd == "counter_curator_add":
            background(counter_add, args[0], args[1], True)
        elif cmd == "counter_float_add":
            background(counter_float_add, *args)
        elif cmd == "counter_value":
            say("value", zk.Counter(args[0], default=float(args[1]) if len(args) > 1 else 0).value)
        elif cmd == "queue_put":
            background(queue_put, *args)
        elif cmd == "queue_consume":
            background(queue_consume, *args)
        elif cmd == "lqueue_put":
            background(lqueue_put, *args)
        elif cmd == "lqueue_consume":
            background(lqueue_consume, *args)
        elif cmd == "party_join":
            party_join(args[0], args[1], False)
        elif cmd == "shallow_join":
            party_join(args[0], args[1], True)
        elif cmd == "party_members":
            party_members(args[0], False)
        elif cmd == "shallow_members":
            party_members(args[0], True)
        elif cmd == "party_leave":
            state.pop("party").leave()
            say("left")
        elif cmd == "barrier_wait":
            background(barrier_wait, *args)
        elif cmd == "barrier_create":
            zk.Barrier(args[0]).create()
            say("created")
        elif cmd == "dbarrier_enter":
            background(dbarrier_enter, *args)
        elif cmd == "dbarrier_leave":
            background(dbarrier_leave)
        elif cmd == "partition":
            background(partition, *args)
        elif cmd == "stop":
            stop.set()
        else:
            say("error", "unknown command", cmd)
    except Exception as e:
        say("error", type(e).__name__, e)
zk.stop()
