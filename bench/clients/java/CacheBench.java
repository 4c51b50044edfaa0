// cachebench worker: Curator's CuratorCache or TreeCache on a subtree.
//
// Speaks the line protocol of bench/cmd/cachebench (see its worker.go):
// args: curatorcache|treecache, connection string, cached path.
// stdin: "start", "expect N". stdout: "ready HEAP RSS",
// "init NODES MS HEAP RSS", "expecting", "done UNIX_MS". HEAP is the Java
// heap in use after a full collection.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.cache.TreeCache;
import org.apache.curator.framework.recipes.cache.TreeCacheEvent;
import org.apache.curator.retry.RetryOneTime;

public class CacheBench {
    static final AtomicLong seen = new AtomicLong();
    static volatile long want = -1;

    static synchronized void out(String s) {
        System.out.println(s);
        System.out.flush();
    }

    static long heap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    static long rss() throws Exception {
        String[] f = new String(Files.readAllBytes(Paths.get("/proc/self/statm"))).trim().split(" ");
        return Long.parseLong(f[1]) * 4096;
    }

    static void updated() {
        if (seen.incrementAndGet() == want) {
            out("done " + System.currentTimeMillis());
        }
    }

    public static void main(String[] args) throws Exception {
        String kind = args[0], servers = args[1], path = args[2];
        CuratorFramework client = CuratorFrameworkFactory.newClient(servers, 30000, 30000, new RetryOneTime(1000));
        client.start();
        client.blockUntilConnected();
        out("ready " + heap() + " " + rss());
        CountDownLatch init = new CountDownLatch(1);
        CuratorCache cc = null;
        TreeCache tc = null;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null;) {
            String[] w = line.trim().split(" ");
            if (w[0].equals("start")) {
                long t0 = System.nanoTime();
                long nodes;
                if (kind.equals("curatorcache")) {
                    cc = CuratorCache.build(client, path);
                    cc.listenable().addListener(CuratorCacheListener.builder()
                            .forInitialized(init::countDown)
                            .forChanges((oldNode, node) -> updated())
                            .build());
                    cc.start();
                    init.await();
                    nodes = cc.size();
                } else {
                    tc = TreeCache.newBuilder(client, path).build();
                    tc.getListenable().addListener((c, e) -> {
                        if (e.getType() == TreeCacheEvent.Type.INITIALIZED) {
                            init.countDown();
                        } else if (e.getType() == TreeCacheEvent.Type.NODE_UPDATED) {
                            updated();
                        }
                    });
                    tc.start();
                    init.await();
                    nodes = count(tc, path);
                }
                long ms = (System.nanoTime() - t0) / 1000000;
                out("init " + nodes + " " + ms + " " + heap() + " " + rss());
            } else if (w[0].equals("expect")) {
                seen.set(0);
                want = Long.parseLong(w[1]);
                out("expecting");
            }
        }
        if (cc != null) {
            cc.close();
        }
        if (tc != null) {
            tc.close();
        }
        client.close();
    }

    static long count(TreeCache tc, String path) {
        if (tc.getCurrentData(path) == null) {
            return 0;
        }
        long n = 1;
        java.util.Map<String, ?> kids = tc.getCurrentChildren(path);
        if (kids != null) {
            for (String k : kids.keySet()) {
                n += count(tc, path + "/" + k);
            }
        }
        return n;
    }
}
