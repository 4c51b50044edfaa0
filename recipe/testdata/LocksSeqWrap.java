import java.io.File;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

// LocksSeqWrap writes a ZooKeeper snapshot in which the node PATH exists
// with its child version (the counter sequential children are named
// after) at CVERSION, so that a server started on that data directory
// issues sequence numbers across the signed 32-bit wrap at once: raising
// it by creating children would take 2^31 creates. It uses the server's
// own DataTree and snapshot writer, as the server's log replay does (a
// create carries the parent's new cversion).
// argv: DATADIR PATH CVERSION
public class LocksSeqWrap {
    public static void main(String[] args) throws Exception {
        File dir = new File(args[0]);
        String path = args[1];
        int cversion = Integer.parseInt(args[2]);
        DataTree dt = new DataTree();
        long zxid = 1, now = System.currentTimeMillis();
        String p = "";
        for (String part : path.substring(1).split("/")) {
            p += "/" + part;
            dt.createNode(p, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, 0, -1, zxid++, now);
        }
        dt.createNode(path + "/x", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, 0, cversion, zxid++, now);
        dt.deleteNode(path + "/x", zxid);
        dt.lastProcessedZxid = zxid;
        FileTxnSnapLog snap = new FileTxnSnapLog(dir, dir);
        // save(tree, sessions) before 3.5, save(tree, sessions, sync) since.
        for (java.lang.reflect.Method m : FileTxnSnapLog.class.getMethods()) {
            if (m.getName().equals("save") && m.getParameterCount() == 2) {
                m.invoke(snap, dt, new ConcurrentHashMap<Long, Integer>());
            } else if (m.getName().equals("save") && m.getParameterCount() == 3) {
                m.invoke(snap, dt, new ConcurrentHashMap<Long, Integer>(), true);
            }
        }
        snap.close();
        System.out.println("cversion " + dt.getNode(path).stat.getCversion());
    }
}
