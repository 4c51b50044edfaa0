// Package zktest runs real ZooKeeper servers and ensembles for tests, kazoo's
// own and its users': a standalone server per test or one shared by a whole
// test package, ensembles of 3 or 5 members, a fault-injecting TCP proxy, and
// version checks for tests of features older servers lack.
//
// # Finding ZooKeeper
//
// The servers are Java processes. [FindInstallation] looks at
// $ZOOKEEPER_CLASSPATH, then $ZOOKEEPER_HOME, then Debian's packages
// (sudo apt-get install zookeeper). Point ZOOKEEPER_CLASSPATH at another
// release to run the same tests against it; in the kazoo repository,
// scripts/fetch-zookeeper.sh fetches 3.4.13 and 3.9.3 and prints their class
// paths.
//
// A missing installation fails the test with instructions; it never skips
// it, so that a machine without ZooKeeper cannot pass a suite that did not
// run. Guard with testing.Short() in tests that should be optional.
//
// # One server per package, one chroot per test
//
// Starting a JVM takes about a second, so tests that only need a working
// server share one: the package's TestMain runs through [Main], each test
// calls [Shared] and takes a fresh namespace with [Server.Chroot]:
//
//	func TestMain(m *testing.M) {
//		goleak.VerifyTestMain(zktest.Main(m)) // or os.Exit(zktest.Main(m).Run())
//	}
//
//	func TestLock(t *testing.T) {
//		conn := zktest.Shared(t).Chroot(t) // "127.0.0.1:41234/zktest-TestLock-1"
//		client, err := kazoo.Connect(ctx, conn)
//		...
//	}
//
// [Connect] connects a client for a test and closes it when the test ends;
// an Example function, which has no testing.T, takes a chroot on the shared
// server from [ExampleServers].
//
// Tests that stop, kill or pause their server take their own with
// [StartServer]; ensembles come from [StartCluster]; a [Proxy] between client
// and server partitions, delays or resets connections while the server stays
// healthy.
//
// # Server settings
//
// The servers are configured for tests, not for production: tickTime 500 ms,
// session timeouts from 1 s to 60 s, no fsync, a small heap and a JVM tuned to
// start fast, every four-letter word allowed, the AdminServer (port 8080)
// off, no limit on connections per address. [Option]s change these. Each
// server lives in its own temporary directory (zoo.cfg, data/,
// zookeeper.log); its log is printed through t.Log only when the test
// failed.
//
// Servers are stopped by t.Cleanup (the shared one when [Main]'s tests are
// done); on Linux the kernel also kills them if the test binary dies first.
// Stopping a server waits for its process, and a [Proxy] closes with all its
// goroutines, so goleak finds nothing of zktest's after a test.
//
// # Secured servers
//
// [WithTLS] and [WithTLSOnly] give a server a secure client port with
// certificates from a [CA] made in Go for the test ([NewCA]); [WithSASLUser]
// and [WithSASLRequired] set up SASL DIGEST-MD5 (zktest writes the JAAS
// file); [WithKerberos] authenticates against a real MIT KDC started by
// [StartKDC]. zktest's own connections ([FourLetter], [ExpireSession],
// through a [Proxy] too) get in by themselves.
//
// # Versions
//
// [Server.Version] and [Cluster.Version] tell the running release;
// [RequireVersion] and [RequireOp] skip a test, saying why, on a release that
// lacks what it needs.
package zktest
