"""kazoo's side of queuebench: one workload, timed after "go" on stdin.

Arguments: server, workload (queue|counter), path, total, producers,
consumers (queue) or threads (counter). Prints "ready", then on "go" runs
and prints "done <nanoseconds>"."""
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.retry import KazooRetry

addr, workload, path = sys.argv[1], sys.argv[2], sys.argv[3]
total, a, b = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
zk = KazooClient(hosts=addr, command_retry=KazooRetry(max_tries=-1))
zk.start(timeout=15)
zk.ensure_path(path)
print("ready", flush=True)
sys.stdin.readline()


def produce(n):
    q = zk.Queue(path)
    for i in range(n):
        q.put(b"item-%d" % i)


taken = [0]
lock = threading.Lock()


def consume():
    q = zk.Queue(path)
    while True:
        with lock:
            if taken[0] >= total:
                return
        item = q.get()
        if item is None:
            time.sleep(0.001)  # kazoo's Queue.get does not block
            continue
        with lock:
            taken[0] += 1


def count(n):
    c = zk.Counter(path)
    for _ in range(n):
        c += 1


start = time.perf_counter_ns()
if workload == "queue":
    threads = [threading.Thread(target=produce, args=(total // a,)) for _ in range(a)]
    threads += [threading.Thread(target=consume) for _ in range(b)]
else:
    threads = [threading.Thread(target=count, args=(total // a,)) for _ in range(a)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done", time.perf_counter_ns() - start, flush=True)
zk.stop()
