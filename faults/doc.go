// Package faults holds no code: it is kazoo's suite of fault and bad-input
// tests, written against the public API only (package kazoo and zktest),
// the way an application meets the client.
//
// Each test drives the client through a fault a real deployment produces and
// asserts the behaviour the client promises:
//
//   - session_test.go: a call belongs to the session current when it was
//     made; a dead connection is noticed from the last byte received,
//     whatever the callers' contexts; nothing the client does on its own
//     outlives the session's timers; a context that is done sends nothing.
//   - nilcontext_test.go: a nil context never corrupts the client, leaves
//     no session behind, never crashes the process.
//   - watches_test.go: one-shot watches survive resets with every event
//     delivered once; persistent watches say when they may have missed
//     changes (EventResync); closing or removing a watch removes it from
//     the server; nothing is left running after Close.
//   - reconnect_test.go: no reconnect storm against a server that drops
//     every connection; an unsolicited auth failure is a broken connection,
//     not the end of the client; names are re-resolved on every reconnect;
//     options are validated; a failed Connect says why.
//   - badinput_test.go: replies over the packet limit, requests over it,
//     malformed and absurd frames, TTLs under a millisecond: clear errors,
//     nothing lost, no large allocation (and a fuzz target for replies).
//   - liveness_test.go: async calls return at once; a deep backlog of
//     pipelined calls is not mistaken for a dead server; results complete
//     in request order; what sessions cost.
//   - randomops_test.go: random operations, one at a time and pipelined,
//     across connection resets, agree with a model of the nodes.
//   - linearizability_test.go: compare-and-set on one node stays
//     linearizable and no acknowledged write is lost while an ensemble's
//     leader is killed, members pause and clients are partitioned.
//   - readonly_test.go, tls_test.go, protected_test.go: a read-only member,
//     a certificate naming only the host, a sequential create retried across
//     a lost reply (the protected create waits for kazoo.WithProtected: see
//     protectedCreate).
//
// Faults come from real servers and ensembles (zktest), the fault-injecting
// proxy (blackhole, one-way cuts, resets) and real session expiry. A small
// fake server (fakeserver_test.go) stands in only for what a real server
// cannot be made to do: drop every connection, send an unsolicited auth
// failure, malformed or absurd frames.
//
// No test sleeps and hopes: each waits for the condition it needs with a
// deadline. Timing assertions are the client's own promises (a dead
// connection noticed 2/3 of the session timeout after the last byte), with
// margin for a loaded machine.
//
// The suite runs in CI at a size that takes well under three minutes:
//
//	go test -race -count=1 ./faults/
//
// At the sizes issue 8 measured (linearizability over tens of thousands of
// writes, 100,000 watches across a reset, 500 sessions, 100,000 pipelined
// calls), run it with -faults.full (or FAULTS_FULL=1) and a longer timeout:
//
//	go test -count=1 -timeout 60m ./faults/ -faults.full
//
// The nil-context tests re-run the test binary as a child process, because
// the defect they guard against crashes the process from a library
// goroutine.
package faults
