// Package kazoo is a ZooKeeper client: every operation of ZooKeeper 3.4 to
// 3.9, sessions that survive connection loss, watches that never drop an
// event, and a pipelined asynchronous API, in pure Go.
//
// # Connecting
//
// [Connect] takes kazoo-style server strings, "h1:2181,h2,[::1]:2182/chroot",
// and returns once a session is established. The [Client] then keeps the
// session alive by itself: it pings, reconnects to another server when a
// connection fails (hosts shuffled, each name resolved afresh whenever it is connected to, a
// per-host connect timeout of session timeout / number of hosts, jittered
// exponential backoff between passes), resumes the session with its id and
// password, replays credentials and re-registers every watch.
//
// # States
//
// A client is [Connected], [Suspended] (connection lost, session perhaps
// alive), [Lost] (session expired; ephemeral nodes and watches are gone;
// the client opens a new session next), [ReadOnly] (connected to a server
// without quorum, with [WithReadOnly]) or [Closed]. The client declares the
// session Lost by itself when no server was heard for 4/3 of the session
// timeout, so a partitioned process learns it lost its ephemeral nodes
// without waiting to reconnect. [Client.SubscribeStates] and
// [Client.OnStateChange] deliver every transition in order and never block
// the client.
//
// # Operations
//
// Every operation takes a [context.Context] and returns typed results:
// [Client.Create], [Client.Get], [Client.Set], [Client.Delete],
// [Client.Children], [Client.Exists], ACLs, [Client.Sync], transactions
// ([Client.Txn]), [Client.MultiRead] and the rest. Operations made while the
// client is Suspended wait for the next connection, bounded by their
// context; those of a session that was lost fail with [ErrSessionExpired]
// rather than run in the new session. Each also exists as XxxAsync,
// returning a [Future] at once: one goroutine can keep thousands of
// requests in flight on one connection, completed in the order sent.
//
// # Watches
//
// GetW, ExistsW and ChildrenW leave a one-shot watch and return its channel,
// which receives exactly one [Event]: the change, or a terminal event
// ([EventNotWatching] with Err set) when the session is lost or the client
// closes. [Client.AddWatch] sets a persistent (optionally recursive) watch
// whose events queue without bound until [Watcher.Close]. After a reconnect
// to the same session every watch is re-registered (setWatches): a one-shot
// watch still fires for a change made while the client was away, but the
// server does not replay changes to persistent watches, so each [Watcher]
// then receives [EventResync]: re-read what you watch.
//
// # Errors
//
// Every error is an [*Error] with the server's code, the operation and the
// path; errors.Is matches the sentinels ([ErrNoNode], [ErrNodeExists],
// [ErrBadVersion], [ErrConnectionLoss], [ErrSessionExpired], ...).
// Invalid paths, oversized data, invalid flag combinations, a closed client
// and operations the server's version lacks are refused before anything is
// sent ([ErrInvalidPath], [ErrDataTooLarge], [ErrInvalidArgument],
// [ErrClosed], [ErrUnsupported]).
//
// # Security
//
// [WithSASLDigest] and [WithSASL] authenticate every connection with SASL
// (DIGEST-MD5 here, Kerberos in the module sasl/gssapi) before any request;
// [WithTLS] with client certificates gives the session an x509 identity.
// [SASLACL], [X509ACL], [IPACL], [DigestACL] and [AuthACL] build ACL entries
// for each scheme, and [Client.WhoAmI] (ZooKeeper 3.7+) lists a session's
// identities. Wrong credentials close the client with [ErrAuthFailed].
// docs/security.md has the server configuration each needs.
//
// # Operations in production
//
// [Client.SetServers] changes the ensemble at run time, moving the client
// with the Java client's probabilities so that the load spreads;
// [WithSession] resumes a session after a restart; [WithHooks] lets
// metrics and tracing see every request, state change, connection and
// watch event (adapters: modules kzprom and kzotel).
//
// # Layers
//
// The module is layered so that each part is usable alone, and the folder
// tree shows it: package proto is the wire protocol (pure functions, no
// I/O, the only codec); internal/conn one connection (its reader
// goroutine, writes, pings); internal/session the engine (the session
// loop, reconnects, the watch manager, the backlog of futures, what each
// server lacks); this package only the API: each method validates its
// arguments, builds a call, submits it to the engine and maps the result
// to its types. Beside it, packages recipe (locks, leadership, queues, ...)
// and cache (watchers and caches) use only this package's API; package
// zktest runs real servers for tests, and bench/ (a module of its own)
// compares with other clients. A Get goes down in a straight line and
// back up: Client.Get (ops.go) and run (future.go), then the engine's
// Call.Exec and Session.submit (internal/session), then
// conn.Conn.SendSync, which encodes it with proto's records and writes it;
// the connection's reader completes it (Call.Complete decodes the reply
// with proto's records) and wakes the caller, whose extract function maps
// the call to Get's results. docs/implementation.md walks it through.
package kazoo
