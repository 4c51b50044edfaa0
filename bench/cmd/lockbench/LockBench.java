import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;

// LockBench is lockbench's worker for Curator's InterProcessMutex (the
// protocol is lockbench.py's): one CuratorFramework (session) and thread
// per contender, each looping acquire / release.
// argv: HOST:PORT PATH CONTENDERS WARMUP_S SECONDS
public class LockBench {
    public static void main(String[] args) throws Exception {
        String host = args[0], path = args[1];
        int n = Integer.parseInt(args[2]);
        long warm = (long) (Double.parseDouble(args[3]) * 1e9), secs = (long) (Double.parseDouble(args[4]) * 1e9);
        List<CuratorFramework> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CuratorFramework c = CuratorFrameworkFactory.newClient(host, 10000, 10000, new RetryNTimes(3, 100));
            c.start();
            c.blockUntilConnected();
            clients.add(c);
        }
        clients.get(0).createContainers(path);
        System.out.println("ready");
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        long start = System.nanoTime(), from = start + warm, stop = from + secs;
        List<long[]> events = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (CuratorFramework c : clients) {
            Thread t = new Thread(() -> {
                InterProcessMutex m = new InterProcessMutex(c, path);
                List<long[]> mine = new ArrayList<>();
                try {
                    while (System.nanoTime() < stop) {
                        m.acquire();
                        long acq = System.nanoTime();
                        long rel = System.nanoTime();
                        m.release();
                        if (acq >= from) {
                            mine.add(new long[] {acq, rel});
                        }
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                }
                synchronized (events) {
                    events.addAll(mine);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        StringBuilder b = new StringBuilder("{\"events\": [");
        for (int i = 0; i < events.size(); i++) {
            b.append(i == 0 ? "" : ", ").append('[').append(events.get(i)[0]).append(", ").append(events.get(i)[1]).append(']');
        }
        System.out.println(b.append("]}"));
        for (CuratorFramework c : clients) {
            c.close();
        }
    }
}
