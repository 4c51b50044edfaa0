// Package gssapi is SASL GSSAPI (Kerberos V5, RFC 4752) for kazoo: pass a
// Mechanism to kazoo.WithSASL and every connection authenticates with a
// Kerberos ticket for the server's principal, zookeeper/<host> by default.
//
//	mech, err := gssapi.New(gssapi.WithKeytab("/etc/zk/client.keytab", "client@EXAMPLE.COM"))
//	if err != nil { ... }
//	defer mech.Close()
//	c, err := kazoo.Connect(ctx, "zk1.example.com:2181", kazoo.WithSASL(mech))
//
// Credentials come from a keytab (the client logs in itself and renews its
// tickets for as long as it runs) or from a credential cache filled by kinit
// (read again on every connection, so a cache kept fresh by kinit -R or
// k5start is picked up; once its ticket expires, connections fail with a
// clear error). It is a module of its own so that the core module needs no
// Kerberos library; it uses github.com/jcmturner/gokrb5.
//
// The exchange is the one Java's GSSAPI client runs with ZooKeeper's server:
// an AP-REQ asking for mutual authentication; the server's AP-REP, which is
// checked; an empty token; the server's offer of security layers, answered
// with "no security layer" (TLS is the way to protect the connection).
package gssapi
