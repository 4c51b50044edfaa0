// Package recipe holds coordination recipes built on the public kazoo client
// only: locks, leadership and leases (and, beside them, barriers, counters,
// queues...), with kazoo's znode layouts by default and Curator's on request,
// so that Go, Python (kazoo) and Java (Curator) processes coordinate on the
// same paths. docs/recipes.md describes each recipe's guarantees and layout.
//
// # Ownership is a belief
//
// A process that holds a lock, a lease or leadership through ZooKeeper only
// believes it does: its session may be lost, and another process admitted,
// while it works. Every recipe that grants ownership hands back a context
// that ends as soon as that belief is no longer safe: when the session is
// lost and, under the default StandardPolicy, when the connection has been
// Suspended longer than a grace period (0 by default). The cause
// (context.Cause) says which: ErrLost, ErrSuspended or ErrReleased.
//
// # Rules kept from kazoo's and Curator's bug trackers
//
//   - Sequence numbers are ordered as integers across the signed 32-bit wrap,
//     never as strings, and by creation zxid where the server stopped
//     counting at 2147483647 (ZooKeeper 3.8 and 3.9 do); children that are not
//     contenders are ignored.
//   - Every waiter watches only the contender right before it (no herd).
//   - A create whose answer was lost is found again by its unique prefix
//     (Curator's "protected" mode), never made twice; a node of an earlier
//     session of ours is deleted, never taken for ours.
//   - Releases are retried through connection loss, and local state is
//     forgotten only once the node is gone; any goroutine may release.
package recipe
