#!/usr/bin/env python3
"""Benchmark worker for kazoo, the Python ZooKeeper client (python3-kazoo).

Usage: python3 zkbench.py HOST:PORT

It speaks the worker protocol of bench/internal/workload: one command per
line on stdin (space-separated key=value pairs), one JSON result per line on
stdout. Each run connects a new session, runs the warm-up, then the measured
run, and closes the session. Concurrency uses kazoo's asynchronous API: the
completion callback of a request (run on kazoo's callback thread) issues the
next one, so that `inflight` requests stay outstanding on the connection.
CPU is resource.getrusage(RUSAGE_SELF) over the measured run (every thread
of the process counts).
"""

import json
import logging
import math
import resource
import sys
import threading
import time

from kazoo.version import __version__ as kazoo_version
from kazoo.client import KazooClient
from kazoo.protocol.states import EventType

SESSION_TIMEOUT_S = 10.0
EVENT_WAIT_S = 120.0
FOREVER = float("inf")


def parse(line):
    cmd = {"cmd": "", "workload": "", "path": "", "prefix": "", "wroot": "",
           "ops": 0, "warmup": 0, "inflight": 1, "wcount": 0, "wbatch": 0, "timeout": 0.0}
    for field in line.split():
        key, sep, value = field.partition("=")
        if not sep or key not in cmd:
            continue
        if isinstance(cmd[key], bool) or not isinstance(cmd[key], (int, float)):
            cmd[key] = value
        elif isinstance(cmd[key], float):
            cmd[key] = float(value)
        else:
            cmd[key] = int(value)
    cmd["inflight"] = max(1, cmd["inflight"])
    return cmd


def cpu_times():
    """CPU seconds and context switches of every thread of the process."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime, ru.ru_stime, ru.ru_nvcsw + ru.ru_nivcsw


class Pipe:
    """State shared by a run's callbacks."""

    def __init__(self, zk, limit, deadline):
        self.zk = zk
        self.limit = limit        # reads: requests to issue; createdelete: creates
        self.deadline = deadline  # time.monotonic() after which nothing new is issued
        self.lock = threading.Condition()
        self.issued = self.pending = self.done = self.events = 0
        self.error = None

    def expired(self):
        return time.monotonic() >= self.deadline

    def fail(self, exc):
        # Called holding the lock.
        if self.error is None:
            self.error = exc
        self.pending -= 1
        self.lock.notify_all()

    def finish_one(self):
        # Called holding the lock: one request ends without a successor.
        self.pending -= 1
        if self.pending == 0:
            self.lock.notify_all()

    def wait(self):
        with self.lock:
            while self.pending > 0:
                self.lock.wait()
        if self.error is not None:
            raise self.error


def run_reads(p, path, inflight, paths=None):
    """Gets path limit times (or each of paths, leaving a watch), inflight at a time."""

    def on_watch(event):
        if event.type == EventType.CHANGED:
            with p.lock:
                p.events += 1
                p.lock.notify_all()

    def issue(i):
        if paths is not None:
            p.zk.get_async(paths[i], watch=on_watch).rawlink(on_done)
        else:
            p.zk.get_async(path).rawlink(on_done)

    def on_done(result):
        nxt = -1
        with p.lock:
            try:
                result.get_nowait()
            except Exception as exc:  # noqa: BLE001 - reported as the run's error
                p.fail(exc)
                return
            p.done += 1
            if p.error is None and p.issued < p.limit and (paths is not None or not p.expired()):
                nxt = p.issued
                p.issued += 1
            else:
                p.finish_one()
        if nxt >= 0:
            issue(nxt)

    first = min(inflight, p.limit)
    with p.lock:
        p.issued = p.pending = first
    for i in range(first):
        issue(i)
    p.wait()


def run_createdelete(p, prefix, inflight):
    """Creates ephemeral sequential nodes and deletes each one created."""

    def create():
        p.zk.create_async(prefix, b"", ephemeral=True, sequence=True).rawlink(on_created)

    def on_created(result):
        with p.lock:
            try:
                name = result.get_nowait()
            except Exception as exc:  # noqa: BLE001
                p.fail(exc)
                return
            p.done += 1
        p.zk.delete_async(name).rawlink(on_deleted)  # the request stays pending

    def on_deleted(result):
        again = False
        with p.lock:
            try:
                result.get_nowait()
            except Exception as exc:  # noqa: BLE001
                p.fail(exc)
                return
            p.done += 1
            if p.error is None and p.issued < p.limit and not p.expired():
                p.issued += 1
                again = True
            else:
                p.finish_one()
        if again:
            create()

    first = min(inflight, p.limit)
    with p.lock:
        p.issued = p.pending = first
    for _ in range(first):
        create()
    p.wait()


def seqget(zk, path, n, deadline, lat):
    for i in range(n):
        if time.monotonic() >= deadline:
            return i
        t = time.perf_counter_ns()
        zk.get(path)
        if lat is not None:
            lat.append(time.perf_counter_ns() - t)
    return n


def watches(zk, paths, inflight, batch, deadline):
    """Sets a watch on every path and fires them; returns (set seconds, events)."""
    p = Pipe(zk, len(paths), deadline)
    t0 = time.monotonic()
    run_reads(p, None, inflight, paths=paths)
    set_s = time.monotonic() - t0
    batch = batch if batch > 0 else len(paths)
    for start in range(0, len(paths), batch):
        t = zk.transaction()
        for path in paths[start:start + batch]:
            t.set_data(path, b"x")
        for res in t.commit():
            if isinstance(res, Exception):
                raise res
    until = time.monotonic() + EVENT_WAIT_S
    with p.lock:
        while p.events < len(paths):
            left = until - time.monotonic()
            if left <= 0:
                raise TimeoutError("watch events did not all arrive within %ds" % EVENT_WAIT_S)
            p.lock.wait(left)
        return set_s, p.events


def percentile(sorted_values, q):
    rank = min(max(int(math.ceil(q * len(sorted_values))), 1), len(sorted_values))
    return sorted_values[rank - 1]


def run(addr, cmd):
    res = {"workload": cmd["workload"], "inflight": cmd["inflight"], "ops": 0, "seconds": 0.0,
           "ops_per_sec": 0.0, "cpu_user_s": 0.0, "cpu_sys_s": 0.0,
           "allocs_per_op": -1, "bytes_per_op": -1}
    zk = KazooClient(hosts=addr, timeout=SESSION_TIMEOUT_S)
    zk.start(timeout=30)
    try:
        wl = cmd["workload"]
        lat = None
        paths = None
        if wl == "seqget":
            seqget(zk, cmd["path"], cmd["warmup"], FOREVER, None)
            lat = []
        elif wl == "read":
            if cmd["warmup"] > 0:
                run_reads(Pipe(zk, cmd["warmup"], FOREVER), cmd["path"], cmd["inflight"])
        elif wl == "createdelete":
            if cmd["warmup"] > 1:
                run_createdelete(Pipe(zk, cmd["warmup"] // 2, FOREVER), cmd["prefix"], cmd["inflight"])
        elif wl == "watches":
            paths = ["%s/n%05d" % (cmd["wroot"], i) for i in range(cmd["wcount"])]
            w = min(cmd["warmup"], cmd["wcount"])
            if w > 0:
                watches(zk, paths[:w], cmd["inflight"], cmd["wbatch"], FOREVER)
            cmd["ops"] = cmd["wcount"]
        else:
            raise ValueError("unknown workload %r" % wl)

        u0, s0, c0 = cpu_times()
        t0 = time.monotonic()
        deadline = t0 + cmd["timeout"] if cmd["timeout"] > 0 else FOREVER
        p = None
        try:
            if wl == "seqget":
                res["ops"] = seqget(zk, cmd["path"], cmd["ops"], deadline, lat)
            elif wl == "read":
                p = Pipe(zk, cmd["ops"], deadline)
                run_reads(p, cmd["path"], cmd["inflight"])
            elif wl == "createdelete":
                p = Pipe(zk, cmd["ops"] // 2, deadline)
                run_createdelete(p, cmd["prefix"], cmd["inflight"])
            elif wl == "watches":
                set_s, events = watches(zk, paths, cmd["inflight"], cmd["wbatch"], deadline)
                res["set_seconds"] = set_s
                res["events"] = res["ops"] = events
        except Exception as exc:  # noqa: BLE001
            res["error"] = repr(exc)
        if p is not None:
            res["ops"] = p.done
        t1 = time.monotonic()
        u1, s1, c1 = cpu_times()
        res["seconds"] = t1 - t0
        res["ops_per_sec"] = res["ops"] / res["seconds"] if res["seconds"] > 0 else 0.0
        res["cpu_user_s"] = u1 - u0
        res["cpu_sys_s"] = s1 - s0
        res["csw_per_op"] = (c1 - c0) / res["ops"] if res["ops"] > 0 else 0.0
        res["truncated"] = res["ops"] < cmd["ops"]
        if wl == "watches":
            res["fire_seconds"] = res["seconds"] - res.get("set_seconds", 0.0)
        if lat:
            lat.sort()
            res["p50_us"] = percentile(lat, 0.50) / 1e3
            res["p99_us"] = percentile(lat, 0.99) / 1e3
            res["mean_us"] = sum(lat) / len(lat) / 1e3
    finally:
        zk.stop()
        zk.close()
    return res


def main():
    if len(sys.argv) < 2:
        print("usage: zkbench.py HOST:PORT", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.ERROR)
    addr = sys.argv[1]
    print(json.dumps({"hello": True, "version": kazoo_version}), flush=True)
    for line in sys.stdin:
        cmd = parse(line)
        if cmd["cmd"] == "quit":
            break
        try:
            if cmd["cmd"] != "run":
                raise ValueError("unknown command %r" % cmd["cmd"])
            res = run(addr, cmd)
        except Exception as exc:  # noqa: BLE001
            res = {"workload": cmd["workload"], "error": repr(exc)}
        print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
