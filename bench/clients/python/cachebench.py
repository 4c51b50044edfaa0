"""cachebench worker: kazoo's TreeCache (Python) on a subtree.

Speaks the line protocol of bench/cmd/cachebench (see its worker.go):
argv: connection string, cached path. stdin: "start", "expect N".
stdout: "ready HEAP RSS", "init NODES MS HEAP RSS", "expecting",
"done UNIX_MS". HEAP is -1: the RSS is what kazoo's cache costs.
"""
import os
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.recipe.cache import TreeCache, TreeEvent


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def out(*words):
    sys.stdout.write(" ".join(str(w) for w in words) + "\n")
    sys.stdout.flush()


def count_nodes(cache, path):
    n, stack = 0, [path]
    while stack:
        p = stack.pop()
        if cache.get_data(p) is None:
            continue
        n += 1
        for c in cache.get_children(p) or ():
            stack.append(p.rstrip("/") + "/" + c)
    return n


def main():
    servers, path = sys.argv[1], sys.argv[2]
    client = KazooClient(hosts=servers, timeout=30)
    client.start(timeout=30)
    out("ready", -1, rss())
    lock = threading.Condition()
    state = {"init": False, "seen": 0, "want": -1}

    def listener(ev):
        with lock:
            if ev.event_type == TreeEvent.INITIALIZED:
                state["init"] = True
                lock.notify_all()
            elif ev.event_type == TreeEvent.NODE_UPDATED:
                state["seen"] += 1
                if state["seen"] == state["want"]:
                    out("done", int(time.time() * 1000))

    cache = None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "start":
            t0 = time.monotonic()
            cache = TreeCache(client, path)
            cache.listen(listener)
            cache.start()
            with lock:
                while not state["init"]:
                    lock.wait()
            ms = int((time.monotonic() - t0) * 1000)
            out("init", count_nodes(cache, path), ms, -1, rss())
        elif words[0] == "expect":
            with lock:
                state["seen"], state["want"] = 0, int(words[1])
            out("expecting")
    if cache is not None:
        cache.close()
    client.stop()
    client.close()


if __name__ == "__main__":
    main()
