import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedBarrier;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.nodes.GroupMember;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.recipes.queue.SimpleDistributedQueue;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.retry.RetryOneTime;

// Recipes2Worker is Curator's side of the Recipes II interop tests: one
// command per line on stdin, answers on stdout; background tasks run in
// threads and "stop" ends the consumers. Argument: the server address.
public class Recipes2Worker {
    static final AtomicBoolean stop = new AtomicBoolean();
    static CuratorFramework c;
    static DistributedDoubleBarrier dbarrier;
    static GroupMember member;

    static synchronized void say(String s) {
        System.out.println(s);
        System.out.flush();
    }

    interface Task { void run() throws Exception; }

    static void background(Task t) {
        Thread th = new Thread(() -> {
            try {
                t.run();
            } catch (Exception e) {
                say("error " + e);
            }
        });
        th.setDaemon(true);
        th.start();
    }

    static final QueueSerializer<String> strings = new QueueSerializer<String>() {
        public byte[] serialize(String s) { return s.getBytes(StandardCharsets.UTF_8); }
        public String deserialize(byte[] b) { return new String(b, StandardCharsets.UTF_8); }
    };

    public static void main(String[] args) throws Exception {
        c = CuratorFrameworkFactory.newClient(args[0], 15000, 15000, new RetryNTimes(20, 100));
        c.start();
        c.blockUntilConnected();
        say("connected");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            String[] a = line.trim().split(" ");
            try {
                run(a);
            } catch (Exception e) {
                say("error " + e);
            }
        }
        if (member != null) member.close();
        c.close();
    }

    static void run(String[] a) throws Exception {
        switch (a[0]) {
        case "sharedcount_add": background(() -> {
            SharedCount sc = new SharedCount(c, a[1], 0);
            sc.start();
            for (int i = 0; i < Integer.parseInt(a[2]); i++) {
                while (true) {
                    VersionedValue<Integer> v = sc.getVersionedValue();
                    if (sc.trySetCount(v, v.getValue() + 1)) break;
                }
            }
            say("done " + sc.getCount());
            sc.close();
        }); break;
        case "sharedcount_value": {
            SharedCount sc = new SharedCount(c, a[1], 0);
            sc.start();
            say("value " + sc.getCount());
            sc.close();
        } break;
        case "atomiclong_add": background(() -> {
            DistributedAtomicLong l = new DistributedAtomicLong(c, a[1], new RetryNTimes(1000, 1));
            long last = 0;
            for (int i = 0; i < Integer.parseInt(a[2]); i++) {
                AtomicValue<Long> v;
                do { v = l.increment(); } while (!v.succeeded());
                last = v.postValue();
            }
            say("done " + last);
        }); break;
        case "squeue_put": background(() -> {
            SimpleDistributedQueue q = new SimpleDistributedQueue(c, a[1]);
            for (int i = 0; i < Integer.parseInt(a[2]); i++) {
                q.offer((a[3] + "-" + i).getBytes(StandardCharsets.UTF_8));
            }
            say("done");
        }); break;
        case "squeue_consume": background(() -> {
            SimpleDistributedQueue q = new SimpleDistributedQueue(c, a[1]);
            while (!stop.get()) {
                byte[] b = q.poll(200, TimeUnit.MILLISECONDS);
                if (b != null) say("item " + new String(b, StandardCharsets.UTF_8));
            }
            say("stopped");
        }); break;
        case "dqueue_put": background(() -> {
            DistributedQueue<String> q = QueueBuilder.builder(c, null, strings, a[1]).buildQueue();
            q.start();
            for (int i = 0; i < Integer.parseInt(a[2]); i++) q.put(a[3] + "-" + i);
            q.close();
            say("done");
        }); break;
        case "dqueue_consume": {
            QueueConsumer<String> consumer = new QueueConsumer<String>() {
                public void consumeMessage(String s) { say("item " + s); }
                public void stateChanged(CuratorFramework cf, ConnectionState st) {}
            };
            DistributedQueue<String> q = QueueBuilder.builder(c, consumer, strings, a[1]).buildQueue();
            q.start();
            say("consuming");
        } break;
        case "barrier_wait": background(() -> {
            new DistributedBarrier(c, a[1]).waitOnBarrier();
            say("released");
        }); break;
        case "dbarrier_enter": background(() -> {
            dbarrier = new DistributedDoubleBarrier(c, a[1], Integer.parseInt(a[2]));
            dbarrier.enter();
            say("entered");
        }); break;
        case "dbarrier_leave": background(() -> {
            dbarrier.leave();
            say("left");
        }); break;
        case "group_join":
            member = new GroupMember(c, a[1], a[2], a[3].getBytes(StandardCharsets.UTF_8));
            member.start();
            say("joined");
            break;
        case "group_members": {
            TreeSet<String> s = new TreeSet<>();
            member.getCurrentMembers().forEach((k, v) -> s.add(k + "=" + new String(v, StandardCharsets.UTF_8)));
            say("members " + String.join(",", s));
        } break;
        case "stop": stop.set(true); break;
        default: say("error unknown command " + a[0]);
        }
    }
}
