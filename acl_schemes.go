package kazoo

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"net/netip"
)

// ACL entries for each of ZooKeeper's schemes. An identity matches an entry
// when the session has that identity: "digest" from WithAuth, "sasl" from
// WithSASL..., "x509" from a client certificate on the secure port, "ip" from
// the connection's address. Client.WhoAmI (ZooKeeper 3.7+) lists a session's
// identities.

// AuthACL returns an entry giving perms to every identity the creating
// session has authenticated with (the "auth" scheme): the server replaces it
// with one entry per identity when the node is created.
func AuthACL(perms Perm) ACL { return ACL{Perms: perms, Scheme: "auth", ID: ""} }

// IPACL returns an entry giving perms to clients connecting from addr, a
// single address ("10.0.0.7", "::1") or a CIDR block ("10.0.0.0/8"; servers
// before 3.5 refuse blocks).
func IPACL(perms Perm, addr string) (ACL, error) {
	if p, err := netip.ParsePrefix(addr); err == nil {
		return ACL{Perms: perms, Scheme: "ip", ID: p.Masked().String()}, nil
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return ACL{}, fmt.Errorf("%w: ip ACL %q is neither an address nor a CIDR block", ErrInvalidArgument, addr)
	}
	return ACL{Perms: perms, Scheme: "ip", ID: a.String()}, nil
}

// SASLACL returns an entry giving perms to a SASL identity: the user name
// for DIGEST-MD5 ("alice"), the principal for Kerberos ("alice@EXAMPLE.COM";
// the server may strip the host and realm, see its
// kerberos.removeHostFromPrincipal and kerberos.removeRealmFromPrincipal).
func SASLACL(perms Perm, id string) ACL { return ACL{Perms: perms, Scheme: "sasl", ID: id} }

// X509ACL returns an entry giving perms to the client certificate with the
// given subject, in the form X509ID returns (e.g. "CN=alice,O=Example").
func X509ACL(perms Perm, subject string) ACL { return ACL{Perms: perms, Scheme: "x509", ID: subject} }

// X509ID returns the identity ZooKeeper's x509 authentication provider
// gives a client presenting cert: its subject distinguished name in RFC 2253
// form, most specific part first ("CN=alice,O=Example"), as Java's
// X500Principal.getName() writes it. Attributes other than CN, C, L, ST, O,
// OU, STREET and POSTALCODE may be written differently by Java; compare with
// WhoAmI when in doubt.
func X509ID(cert *x509.Certificate) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(cert.RawSubject, &seq); err != nil || len(rest) != 0 {
		return cert.Subject.String()
	}
	return seq.String()
}
