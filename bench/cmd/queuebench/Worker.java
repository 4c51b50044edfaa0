import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.queue.SimpleDistributedQueue;
import org.apache.curator.retry.RetryNTimes;

// Worker is Curator's side of queuebench: SimpleDistributedQueue offer/take,
// DistributedAtomicLong increments. Same arguments and lines as worker.py.
public class Worker {
    public static void main(String[] args) throws Exception {
        String addr = args[0], workload = args[1], path = args[2];
        int total = Integer.parseInt(args[3]), a = Integer.parseInt(args[4]), b = Integer.parseInt(args[5]);
        CuratorFramework c = CuratorFrameworkFactory.newClient(addr, 30000, 15000, new RetryNTimes(10, 100));
        c.start();
        c.blockUntilConnected();
        c.createContainers(path);
        System.out.println("ready");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        AtomicInteger taken = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        if (workload.equals("queue")) {
            for (int p = 0; p < a; p++) {
                threads.add(new Thread(() -> {
                    SimpleDistributedQueue q = new SimpleDistributedQueue(c, path);
                    try {
                        for (int i = 0; i < total / a; i++) q.offer(("item-" + i).getBytes(StandardCharsets.UTF_8));
                    } catch (Exception e) { throw new RuntimeException(e); }
                }));
            }
            for (int k = 0; k < b; k++) {
                threads.add(new Thread(() -> {
                    SimpleDistributedQueue q = new SimpleDistributedQueue(c, path);
                    try {
                        while (taken.get() < total) {
                            if (q.poll(50, TimeUnit.MILLISECONDS) != null) taken.incrementAndGet();
                        }
                    } catch (Exception e) { throw new RuntimeException(e); }
                }));
            }
        } else {
            for (int p = 0; p < a; p++) {
                threads.add(new Thread(() -> {
                    DistributedAtomicLong l = new DistributedAtomicLong(c, path, new RetryNTimes(100000, 0));
                    try {
                        for (int i = 0; i < total / a; i++) {
                            AtomicValue<Long> v;
                            do { v = l.increment(); } while (!v.succeeded());
                        }
                    } catch (Exception e) { throw new RuntimeException(e); }
                }));
            }
        }
        for (Thread t : threads) t.start();
        for (Thread t : threads) t.join();
        System.out.println("done " + (System.nanoTime() - start));
        System.out.flush();
        c.close();
    }
}
