// Package session is the engine behind kazoo.Client: the session loop and
// everything that must outlive one connection. Package kazoo (the public
// API) validates each operation, builds a Call and submits it here; this
// package sends it on a connection of package internal/conn and completes
// it when the reply arrives. Nothing here imports package kazoo: the only
// way up is the Hooks interface, which the client implements to tell its
// hooks.
//
// Files, in the order a request meets them:
//
//   - call.go: Call, the one thing every request is (an operation, a future,
//     the session's own auth, setWatches and SASL requests): pooled for
//     synchronous operations, encoded by proto's request records and
//     completed by proto's response records on the reader goroutine.
//   - request.go: appendRequest, the one encoder of an operation's request
//     record (a Call's or a transaction operation's), which writes the
//     chroot into the encoding instead of building the server's path.
//   - chroot.go: the chroot both ways, for paths that are not encoded
//     (replies, notifications, watches re-sent on a new connection).
//   - api.go: what package kazoo calls on a Call to run it (Exec, Submit,
//     SubmitAsync, Time, Flush) and to report it (CloseCause, Sent).
//   - submit.go: the Session and its one submit path (submit, sendOn):
//     a call goes on the live connection of its own session, waits for one
//     while disconnected, and fails with ErrSessionExpired once its session
//     is lost.
//   - backlog.go: futures started while disconnected wait in order in the
//     backlog, which the next connection of their session sends first.
//   - session.go: the session goroutine: host list, dial and handshake,
//     established (credentials, watches, then live), serve, reconnect with
//     backoff, local expiry, session lost, shutdown.
//   - watches.go: the watch manager, keyed by the client's paths: one-shot
//     watches registered from replies, persistent watches (Watch),
//     notifications from the reader,
//     re-registration by setWatches on a resumed session, terminal events.
//   - state.go: the state and its subscribers, each an unbounded queue.
//   - versions.go: what each server lacks, learnt from its answers
//     (Unimplemented, the create2 probe) or asked with "srvr".
//   - sasl.go: the SASL exchange on a fresh connection, before it is live.
//   - servers.go: SetServers' move to another server.
//   - txn.go: the operations of a multi, kept in blocks and encoded by
//     appendRequest.
//   - hooks.go: the Hooks interface and the reports to it.
//   - errors.go: the errors the engine makes; kazoo exports the same values.
//
// Watches live here with the session rather than in a package of their
// own: they are registered from a Call's reply, resent as Calls on a new
// connection and ended by the session's loss, so a separate package would
// need the Call type from a third one and callbacks both ways.
package session
