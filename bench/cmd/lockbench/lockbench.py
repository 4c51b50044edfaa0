"""lockbench worker for kazoo (Python, Debian python3-kazoo).

argv: HOST:PORT PATH CONTENDERS WARMUP_S SECONDS
Each contender has its own session (KazooClient) and thread, and loops
Lock(PATH).acquire / release. Prints "ready" once every session is up,
waits for a line on stdin, runs, then prints one JSON line: the monotonic
times (ns) of every acquisition's return and release call after the
warm-up.
"""
import json
import sys
import threading
import time

from kazoo.client import KazooClient

host, path, n, warm, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
clients = [KazooClient(hosts=host, timeout=10) for _ in range(n)]
for c in clients:
    c.start(timeout=30)
clients[0].ensure_path(path)
print("ready", flush=True)
sys.stdin.readline()

start = time.monotonic()
measure_from = start + warm
stop = measure_from + secs
events = []
mu = threading.Lock()


def loop(c, i):
    lock = c.Lock(path, str(i))
    mine = []
    while time.monotonic() < stop:
        lock.acquire()
        acq = time.monotonic_ns()
        rel = time.monotonic_ns()
        lock.release()
        if acq >= measure_from * 1e9:
            mine.append((acq, rel))
    with mu:
        events.extend(mine)


threads = [threading.Thread(target=loop, args=(c, i)) for i, c in enumerate(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"events": events}), flush=True)
for c in clients:
    c.stop()
