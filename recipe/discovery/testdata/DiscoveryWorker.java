import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;

// DiscoveryWorker is Curator x-discovery's side of the discovery interop
// tests. Arguments: the server address and the base path. Commands:
// register NAME ID PORT KEY=VALUE, unregister NAME ID, query NAME.
public class DiscoveryWorker {
    @SuppressWarnings({"rawtypes", "unchecked"})
    public static void main(String[] args) throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.newClient(args[0], 15000, 15000, new RetryNTimes(20, 100));
        c.start();
        c.blockUntilConnected();
        ServiceDiscovery<Map> sd = ServiceDiscoveryBuilder.builder(Map.class).client(c).basePath(args[1]).build();
        sd.start();
        Map<String, ServiceInstance<Map>> mine = new LinkedHashMap<>();
        System.out.println("connected");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            String[] a = line.trim().split(" ");
            try {
                switch (a[0]) {
                case "register": {
                    Map<String, String> payload = new LinkedHashMap<>();
                    String[] kv = a[4].split("=", 2);
                    payload.put(kv[0], kv[1]);
                    ServiceInstance<Map> si = ServiceInstance.<Map>builder().name(a[1]).id(a[2])
                        .address("127.0.0.1").port(Integer.parseInt(a[3])).payload(payload).build();
                    sd.registerService(si);
                    mine.put(a[2], si);
                    System.out.println("registered");
                } break;
                case "unregister":
                    sd.unregisterService(mine.remove(a[2]));
                    System.out.println("unregistered");
                    break;
                case "query": {
                    TreeSet<String> s = new TreeSet<>();
                    Collection<ServiceInstance<Map>> all = sd.queryForInstances(a[1]);
                    for (ServiceInstance<Map> si : all) {
                        s.add(si.getId() + ":" + si.getAddress() + ":" + si.getPort() + ":" + si.getPayload()
                            + ":" + si.getServiceType());
                    }
                    System.out.println("instances " + String.join(",", s));
                } break;
                default:
                    System.out.println("error unknown command " + a[0]);
                }
            } catch (Exception e) {
                System.out.println("error " + e);
            }
            System.out.flush();
        }
        sd.close();
        c.close();
    }
}
