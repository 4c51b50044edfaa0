// Package sasl holds the client side of the SASL mechanisms the core module
// implements itself: DIGEST-MD5 (RFC 2831) as ZooKeeper's server speaks it.
// It is pure computation over byte slices (no I/O), so that every step and
// every decoder can be tested and fuzzed without a server; the client drives
// the exchange on the connection.
//
// GSSAPI (Kerberos) lives in a module of its own (sasl/gssapi) so that the
// core module needs no Kerberos library.
package sasl
