// Package proto is ZooKeeper's client wire protocol (jute) as pure functions
// over byte slices: opcodes, error codes, states, event types, create flags,
// and an encoder and decoder for every request and response record of
// servers 3.4 to 3.9.
//
// It does no I/O, starts no goroutines and uses no reflection. Encoding
// appends to a caller-owned slice (see [AppendRequest]); decoding reads from a
// [Decoder] that never allocates more than the frame it reads from holds, so
// a hostile or broken server cannot make a client allocate gigabytes by
// sending a large length prefix.
//
// Every request record has a method Append(b []byte) []byte that appends its
// body (without the request header), and every response record has a method
// Decode(d *Decoder) that reads its body; errors are sticky in the Decoder and
// checked once with [Decoder.Err]. Every record in fact has both methods,
// so that tests can round-trip records and a fake server can decode requests
// and encode replies with the same code.
package proto
