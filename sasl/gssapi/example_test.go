package gssapi_test

import (
	"context"
	"log"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/sasl/gssapi"
)

// A client that logs in from a keytab and authenticates every connection as
// client@EXAMPLE.COM to zookeeper/zk1.example.com (the server's principal).
func ExampleNew_keytab() {
	mech, err := gssapi.New(gssapi.WithKeytab("/etc/zookeeper/client.keytab", "client@EXAMPLE.COM"))
	if err != nil {
		log.Fatal(err) // no keytab, no krb5.conf: said at once
	}
	defer mech.Close() // stops the ticket renewal
	c, err := kazoo.Connect(context.Background(), "zk1.example.com:2181", kazoo.WithSASL(mech))
	if err != nil {
		log.Fatal(err) // no ticket, unknown principal: errors.Is(err, kazoo.ErrAuthFailed)
	}
	defer c.Close()
}

// A client that uses the tickets kinit left in the default credential cache,
// for a server whose principal names a host other than the one connected to.
func ExampleNew_credentialCache() {
	mech, err := gssapi.New(
		gssapi.WithCredentialCache(""), // $KRB5CCNAME or /tmp/krb5cc_<uid>
		gssapi.WithServerPrincipal("zookeeper/zk.internal.example.com"),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer mech.Close()
	c, err := kazoo.Connect(context.Background(), "10.0.0.5:2181", kazoo.WithSASL(mech))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}
