import java.io.BufferedReader;
import java.io.InputStreamReader;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;

// Echo checks that a Curator program compiles and runs: it connects to the
// server given as its argument, reports "connected", then echoes lines.
public class Echo {
    public static void main(String[] args) throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.newClient(args[0], new RetryOneTime(100));
        c.start();
        c.blockUntilConnected();
        System.out.println("connected");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            System.out.println("echo " + line);
        }
        c.close();
    }
}
