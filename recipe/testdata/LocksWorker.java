import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import java.util.concurrent.Semaphore;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.locks.InterProcessLock;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;

// LocksWorker is the Curator side of the recipe interop tests (the protocol
// is locks_worker.py's; KIND is lock | write | read | sem:MAX | latch |
// selector): it takes Curator's recipes on the paths the Go test names and
// checks, through /holders, the rules it can see.
// argv: servers (with chroot), identifier.
public class LocksWorker {
    static CuratorFramework zk;
    static String ident;

    interface Held { void release() throws Exception; }

    static String role(String kind) {
        return kind.equals("read") ? "r" : kind.startsWith("sem:") ? "s" : "w";
    }

    // selector runs a LeaderSelector with autoRequeue until it led n times,
    // checking the holders rule each time.
    static void selector(String path, int n) throws Exception {
        Semaphore led = new Semaphore(0);
        Exception[] failed = new Exception[1];
        LeaderSelector s = new LeaderSelector(zk, path, new LeaderSelectorListenerAdapter() {
            @Override
            public void takeLeadership(CuratorFramework client) {
                try {
                    check("elect");
                } catch (Exception e) {
                    failed[0] = e;
                }
                led.release();
            }
        });
        s.setId(ident);
        s.autoRequeue();
        s.start();
        led.acquire(n);
        s.close();
        if (failed[0] != null) {
            throw failed[0];
        }
    }

    static Held take(String kind, String path) throws Exception {
        if (kind.equals("latch")) {
            LeaderLatch l = new LeaderLatch(zk, path, ident);
            l.start();
            l.await();
            return l::close;
        }
        if (kind.startsWith("sem:")) {
            InterProcessSemaphoreV2 s = new InterProcessSemaphoreV2(zk, path, Integer.parseInt(kind.substring(4)));
            Lease l = s.acquire();
            return () -> s.returnLease(l);
        }
        InterProcessLock l;
        if (kind.equals("lock")) {
            l = new InterProcessMutex(zk, path);
        } else {
            InterProcessReadWriteLock rw = new InterProcessReadWriteLock(zk, path);
            l = kind.equals("read") ? rw.readLock() : rw.writeLock();
        }
        l.acquire();
        return l::release;
    }

    static void check(String kind) throws Exception {
        String role = role(kind);
        String me = zk.create().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath("/holders/" + role + "-");
        try {
            List<String> kids = zk.getChildren().forPath("/holders");
            boolean bad;
            if (role.equals("r")) {
                bad = kids.stream().anyMatch(k -> k.startsWith("w-"));
            } else if (role.equals("w")) {
                bad = kids.size() > 1;
            } else {
                bad = kids.size() > Integer.parseInt(kind.substring(4));
            }
            if (bad) {
                System.out.println("error violation " + role + " while " + ident + " holds: " + kids);
            }
        } finally {
            zk.delete().forPath(me);
        }
    }

    public static void main(String[] args) throws Exception {
        zk = CuratorFrameworkFactory.newClient(args[0], 10000, 10000, new RetryNTimes(10, 100));
        ident = args[1];
        zk.start();
        zk.blockUntilConnected();
        zk.createContainers("/holders");
        System.out.println("connected");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        Held held = null;
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.trim().split("\\s+");
            try {
                switch (f[0]) {
                    case "loop": {
                        int n = Integer.parseInt(f[3]);
                        if (f[1].equals("selector")) {
                            selector(f[2], n);
                            System.out.println("done " + n);
                            break;
                        }
                        for (int i = 0; i < n; i++) {
                            Held h = take(f[1], f[2]);
                            try {
                                check(f[1]);
                            } finally {
                                h.release();
                            }
                        }
                        System.out.println("done " + n);
                        break;
                    }
                    case "hold":
                        held = take(f[1], f[2]);
                        System.out.println("held");
                        break;
                    case "release":
                        held.release();
                        System.out.println("released");
                        break;
                    default:
                        System.out.println("error unknown command " + f[0]);
                }
            } catch (Exception e) {
                System.out.println("error " + f[0] + ": " + e);
            }
        }
        zk.close();
    }
}
