// ZkBench is the benchmark worker for the ZooKeeper Java client
// (org.apache.zookeeper.ZooKeeper, Debian's libzookeeper-java).
//
// Usage: java -cp zookeeper.jar:. ZkBench HOST:PORT
//
// It speaks the worker protocol of bench/internal/workload: one command per
// line on stdin (space-separated key=value pairs), one JSON result per line
// on stdout. Each run connects a new session, runs the warm-up, then the
// measured run, and closes the session. Concurrency uses the client's
// asynchronous API: a callback issues the next request, so that `inflight`
// requests stay outstanding on the one connection. CPU is the process's user
// and system time from /proc/self/stat (every JVM thread counts: the
// client's I/O and event threads, the JIT compiler and the garbage
// collector), as a delta over the measured run.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.Version;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

public final class ZkBench {
    static final int SESSION_TIMEOUT_MS = 10000;
    static final long EVENT_WAIT_S = 120;
    static final long CLK_TCK = 100; // Linux's USER_HZ

    // ---- commands and results

    static final class Command {
        String cmd = "", workload = "", path = "", prefix = "", wroot = "";
        long ops, warmup, inflight = 1, wcount, wbatch;
        double timeout;

        static Command parse(String line) {
            Command c = new Command();
            for (String f : line.trim().split("\\s+")) {
                int eq = f.indexOf('=');
                if (eq < 0) continue;
                String k = f.substring(0, eq), v = f.substring(eq + 1);
                switch (k) {
                    case "cmd": c.cmd = v; break;
                    case "workload": c.workload = v; break;
                    case "path": c.path = v; break;
                    case "prefix": c.prefix = v; break;
                    case "wroot": c.wroot = v; break;
                    case "ops": c.ops = Long.parseLong(v); break;
                    case "warmup": c.warmup = Long.parseLong(v); break;
                    case "inflight": c.inflight = Math.max(1, Long.parseLong(v)); break;
                    case "wcount": c.wcount = Long.parseLong(v); break;
                    case "wbatch": c.wbatch = Long.parseLong(v); break;
                    case "timeout": c.timeout = Double.parseDouble(v); break;
                    default: break;
                }
            }
            return c;
        }
    }

    static final class Result {
        long ops, events;
        double seconds, p50, p99, mean, user, sys, setS, fireS, csw;
        boolean truncated;
        String error = "";
    }

    /** Returns {user, system} CPU seconds of this process. */
    static double[] cpuTimes() throws Exception {
        String stat = new String(Files.readAllBytes(Paths.get("/proc/self/stat")), StandardCharsets.US_ASCII);
        // Fields after the command name (which may hold spaces) start at
        // field 3; utime and stime are fields 14 and 15.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new double[] {Long.parseLong(f[11]) / (double) CLK_TCK, Long.parseLong(f[12]) / (double) CLK_TCK};
    }

    /**
     * Returns the context switches (voluntary and involuntary) of every
     * thread of this process, from /proc/self/task/{@literal *}/status. A thread
     * that ends during the run takes its count with it.
     */
    static long contextSwitches() {
        long n = 0;
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) return 0;
        for (java.io.File t : tasks) {
            try {
                for (String line : Files.readAllLines(Paths.get(t.getPath(), "status"))) {
                    if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                        n += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                    }
                }
            } catch (Exception e) {
                // The thread ended meanwhile.
            }
        }
        return n;
    }

    static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ");
    }

    // ---- pipelines

    /** State shared by a run's callbacks. */
    static final class Pipe {
        final ZooKeeper zk;
        final long limit;    // reads: requests to issue; createdelete: creates
        final long deadline; // System.nanoTime() after which nothing new is issued
        long issued, pending, done, events;
        KeeperException.Code rc = KeeperException.Code.OK;
        String path;
        String[] paths; // watches

        Pipe(ZooKeeper zk, long limit, long deadline) {
            this.zk = zk;
            this.limit = limit;
            this.deadline = deadline;
        }

        boolean expired() { return System.nanoTime() - deadline >= 0; }

        // Called holding the lock.
        void fail(int code) {
            if (rc == KeeperException.Code.OK) rc = KeeperException.Code.get(code);
            pending--;
            notifyAll();
        }

        synchronized void await() throws InterruptedException {
            while (pending > 0) wait();
        }

        synchronized boolean awaitEvents(long want, long seconds) throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (events < want) {
                long left = until - System.nanoTime();
                if (left <= 0) return false;
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        }

        void check() throws KeeperException {
            if (rc != KeeperException.Code.OK) throw KeeperException.create(rc);
        }
    }

    /** Reads (and, with paths, leaves watches): a callback issues the next read. */
    static final class Reads implements AsyncCallback.DataCallback, Watcher {
        final Pipe p;

        Reads(Pipe p) { this.p = p; }

        void issue(long i) {
            if (p.paths != null) p.zk.getData(p.paths[(int) i], this, this, null);
            else p.zk.getData(p.path, false, this, null);
        }

        @Override
        public void processResult(int rc, String path, Object ctx, byte[] data, Stat stat) {
            long next = -1;
            synchronized (p) {
                if (rc != 0) {
                    p.fail(rc);
                    return;
                }
                p.done++;
                if (p.rc == KeeperException.Code.OK && p.issued < p.limit && (p.paths != null || !p.expired())) {
                    next = p.issued++;
                } else if (--p.pending == 0) {
                    p.notifyAll();
                }
            }
            if (next >= 0) issue(next);
        }

        @Override
        public void process(WatchedEvent e) {
            if (e.getType() != Event.EventType.NodeDataChanged) return;
            synchronized (p) {
                p.events++;
                p.notifyAll();
            }
        }

        void run(long inflight) throws Exception {
            long first = Math.min(inflight, p.limit);
            synchronized (p) {
                p.issued = first;
                p.pending = first;
            }
            for (long i = 0; i < first; i++) issue(i);
            p.await();
            p.check();
        }
    }

    /** Creates ephemeral sequential nodes and deletes each one created. */
    static final class CreateDelete implements AsyncCallback.StringCallback, AsyncCallback.VoidCallback {
        final Pipe p;

        CreateDelete(Pipe p) { this.p = p; }

        void create() {
            p.zk.create(p.path, null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL, this, null);
        }

        @Override
        public void processResult(int rc, String path, Object ctx, String name) {
            synchronized (p) {
                if (rc != 0) {
                    p.fail(rc);
                    return;
                }
                p.done++;
            }
            p.zk.delete(name, -1, this, null); // the request stays pending
        }

        @Override
        public void processResult(int rc, String path, Object ctx) {
            boolean again = false;
            synchronized (p) {
                if (rc != 0) {
                    p.fail(rc);
                    return;
                }
                p.done++;
                if (p.rc == KeeperException.Code.OK && p.issued < p.limit && !p.expired()) {
                    p.issued++;
                    again = true;
                } else if (--p.pending == 0) {
                    p.notifyAll();
                }
            }
            if (again) create();
        }

        void run(long inflight) throws Exception {
            long first = Math.min(inflight, p.limit);
            synchronized (p) {
                p.issued = first;
                p.pending = first;
            }
            for (long i = 0; i < first; i++) create();
            p.await();
            p.check();
        }
    }

    // ---- runs

    static ZooKeeper connect(String addr) throws Exception {
        CountDownLatch up = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(addr, SESSION_TIMEOUT_MS, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) up.countDown();
        });
        if (!up.await(30, TimeUnit.SECONDS)) {
            zk.close();
            throw new Exception("connect: no session within 30s");
        }
        return zk;
    }

    static long seqGet(ZooKeeper zk, String path, long n, long deadline, long[] lat) throws Exception {
        Stat stat = new Stat();
        for (int i = 0; i < n; i++) {
            if (System.nanoTime() - deadline >= 0) return i;
            long t = System.nanoTime();
            zk.getData(path, false, stat);
            if (lat != null) lat[i] = System.nanoTime() - t;
        }
        return n;
    }

    /** Sets watches on paths[0..n) and fires them; returns {setSeconds, events}. */
    static double[] watches(ZooKeeper zk, String[] all, int n, long inflight, long batch, long deadline) throws Exception {
        String[] paths = Arrays.copyOf(all, n);
        Pipe p = new Pipe(zk, n, deadline);
        p.paths = paths;
        long t0 = System.nanoTime();
        new Reads(p).run(inflight);
        double set = (System.nanoTime() - t0) / 1e9;
        byte[] data = {'x'};
        if (batch <= 0) batch = n;
        for (int start = 0; start < n; start += batch) {
            List<Op> ops = new ArrayList<>();
            for (int i = start; i < Math.min(n, start + batch); i++) ops.add(Op.setData(paths[i], data, -1));
            zk.multi(ops);
        }
        if (!p.awaitEvents(n, EVENT_WAIT_S)) throw new Exception("watch events did not all arrive within " + EVENT_WAIT_S + "s");
        synchronized (p) {
            return new double[] {set, p.events};
        }
    }

    static Result run(String addr, Command c) throws Exception {
        Result r = new Result();
        ZooKeeper zk = connect(addr);
        try {
            long forever = System.nanoTime() + TimeUnit.DAYS.toNanos(1);
            long[] lat = null;
            String[] paths = null;
            switch (c.workload) {
                case "seqget":
                    seqGet(zk, c.path, c.warmup, forever, null);
                    lat = new long[(int) c.ops];
                    break;
                case "read":
                    if (c.warmup > 0) {
                        Pipe w = new Pipe(zk, c.warmup, forever);
                        w.path = c.path;
                        new Reads(w).run(c.inflight);
                    }
                    break;
                case "createdelete":
                    if (c.warmup > 1) {
                        Pipe w = new Pipe(zk, c.warmup / 2, forever);
                        w.path = c.prefix;
                        new CreateDelete(w).run(c.inflight);
                    }
                    break;
                case "watches":
                    paths = new String[(int) c.wcount];
                    for (int i = 0; i < paths.length; i++) paths[i] = String.format("%s/n%05d", c.wroot, i);
                    int w = (int) Math.min(c.warmup, c.wcount);
                    if (w > 0) watches(zk, paths, w, c.inflight, c.wbatch, forever);
                    c.ops = c.wcount;
                    break;
                default:
                    throw new Exception("unknown workload " + c.workload);
            }

            long csw0 = contextSwitches();
            double[] cpu0 = cpuTimes();
            long t0 = System.nanoTime();
            long deadline = c.timeout > 0 ? t0 + (long) (c.timeout * 1e9) : forever;
            try {
                switch (c.workload) {
                    case "seqget":
                        r.ops = seqGet(zk, c.path, c.ops, deadline, lat);
                        break;
                    case "read": {
                        Pipe p = new Pipe(zk, c.ops, deadline);
                        p.path = c.path;
                        try {
                            new Reads(p).run(c.inflight);
                        } finally {
                            r.ops = p.done;
                        }
                        break;
                    }
                    case "createdelete": {
                        Pipe p = new Pipe(zk, c.ops / 2, deadline);
                        p.path = c.prefix;
                        try {
                            new CreateDelete(p).run(c.inflight);
                        } finally {
                            r.ops = p.done;
                        }
                        break;
                    }
                    case "watches": {
                        double[] sw = watches(zk, paths, paths.length, c.inflight, c.wbatch, deadline);
                        r.setS = sw[0];
                        r.events = (long) sw[1];
                        r.ops = r.events;
                        break;
                    }
                    default:
                        break;
                }
            } catch (Exception e) {
                r.error = e.toString();
            }
            long t1 = System.nanoTime();
            double[] cpu1 = cpuTimes();
            long csw1 = contextSwitches();
            r.seconds = (t1 - t0) / 1e9;
            r.user = cpu1[0] - cpu0[0];
            r.sys = cpu1[1] - cpu0[1];
            r.csw = r.ops > 0 ? (double) (csw1 - csw0) / r.ops : 0;
            r.truncated = r.ops < c.ops;
            if (c.workload.equals("watches")) r.fireS = r.seconds - r.setS;
            if (lat != null && r.ops > 0) {
                long[] l = Arrays.copyOf(lat, (int) r.ops);
                Arrays.sort(l);
                double sum = 0;
                for (long x : l) sum += x;
                r.p50 = percentile(l, 0.50) / 1e3;
                r.p99 = percentile(l, 0.99) / 1e3;
                r.mean = sum / l.length / 1e3;
            }
        } finally {
            zk.close();
        }
        return r;
    }

    static long percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        rank = Math.min(Math.max(rank, 1), sorted.length);
        return sorted[rank - 1];
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ZkBench HOST:PORT");
            System.exit(2);
        }
        String addr = args[0];
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        // "3.8.0-<commit>, built on <date>": keep the release.
        String version = Version.getFullVersion().split("[-,]")[0];
        System.out.println("{\"hello\":true,\"version\":\"" + esc(version) + "\"}");
        System.out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            Command c = Command.parse(line);
            if (c.cmd.equals("quit")) break;
            Result r;
            try {
                if (!c.cmd.equals("run")) throw new Exception("unknown command " + c.cmd);
                r = run(addr, c);
            } catch (Exception e) {
                r = new Result();
                r.error = e.toString();
            }
            System.out.println(String.format(java.util.Locale.ROOT,
                "{\"workload\":\"%s\",\"inflight\":%d,\"ops\":%d,\"seconds\":%.9f,\"ops_per_sec\":%.3f,"
                + "\"p50_us\":%.3f,\"p99_us\":%.3f,\"mean_us\":%.3f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,\"csw_per_op\":%.4f,"
                + "\"allocs_per_op\":-1,\"bytes_per_op\":-1,\"set_seconds\":%.9f,\"fire_seconds\":%.9f,"
                + "\"events\":%d,\"truncated\":%b,\"error\":\"%s\"}",
                esc(c.workload), c.inflight, r.ops, r.seconds, r.seconds > 0 ? r.ops / r.seconds : 0.0,
                r.p50, r.p99, r.mean, r.user, r.sys, r.csw, r.setS, r.fireS, r.events, r.truncated, esc(r.error)));
            System.out.flush();
        }
        System.exit(0);
    }
}
