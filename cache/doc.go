// Package cache keeps local views of ZooKeeper nodes current: kazoo's
// watchers and Curator's caches, built on the public kazoo API only.
//
// # Which helper
//
//   - One node's value, as a callback: [DataWatch] (kazoo's DataWatch), or
//     as a loop: [DataChanges]. A node's children: [ChildrenWatch],
//     [ChildrenChanges]. Children once a burst of changes settles:
//     [PatientChildren].
//   - One node's value, read from memory at any time: [NodeCache].
//   - A whole subtree, read from memory at any time, with events:
//     [TreeCache]. On ZooKeeper 3.6+ it sets one persistent recursive watch
//     (Curator's CuratorCache); on 3.4 and 3.5 it falls back to a data and a
//     children watch per node (Curator's TreeCache), with the same API. The
//     server's version decides ([Auto]); [WithMode] forces either.
//
// # Guarantees
//
// Every helper calls back once per version of what it watches (by czxid
// and mzxid, or cversion for children), never twice for the same one, and
// reads again after every reconnect and session loss, because a server does
// not replay changes to persistent watches and a lost session loses every
// watch. The caches so converge to the server's tree; docs/watchers.md says
// what each helper guarantees while suspended, after a reconnect and after
// a session loss.
//
// Callbacks and listeners run on goroutines of their own: one that blocks
// stalls neither the client nor other listeners, and one that panics is
// logged (WithLogger) and goes on. A listener that falls behind receives
// merged events (one per path), so it costs at most the size of the tree.
package cache
