package kazoo_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/zktest"
)

// saslExampleServer is the examples' server with SASL DIGEST-MD5 users,
// started on first use.
var saslExampleServer struct {
	once sync.Once
	srv  *zktest.Server
}

func saslExampleServers() string {
	saslExampleServer.once.Do(func() {
		srv, err := zktest.Start(zktest.WithSASLUser("alice", "alice-secret"))
		if err != nil {
			panic(err)
		}
		saslExampleServer.srv = srv
	})
	return saslExampleServer.srv.Addr()
}

// A session authenticated with SASL DIGEST-MD5 owns a node that no other
// session may read. The server's JAAS file lists the user (see
// docs/security.md).
func ExampleWithSASLDigest() {
	ctx := context.Background()
	servers := saslExampleServers() // e.g. "zk1:2181,zk2:2181"
	alice, err := kazoo.Connect(ctx, servers, kazoo.WithSASLDigest("alice", "alice-secret"))
	if err != nil {
		log.Fatal(err) // wrong credentials: errors.Is(err, kazoo.ErrAuthFailed)
	}
	defer alice.Close()
	acl := kazoo.SASLACL(kazoo.PermAll, "alice")
	if _, _, err := alice.Create(ctx, "/alices", []byte("hers"), kazoo.WithACL(acl)); err != nil {
		log.Fatal(err)
	}
	data, _, err := alice.Get(ctx, "/alices")
	fmt.Printf("alice reads %q\n", data)

	anonymous, err := kazoo.Connect(ctx, servers)
	if err != nil {
		log.Fatal(err)
	}
	defer anonymous.Close()
	_, _, err = anonymous.Get(ctx, "/alices")
	fmt.Println("anonymous refused:", errors.Is(err, kazoo.ErrNoAuth))
	alice.Delete(ctx, "/alices", -1)
	// Output:
	// alice reads "hers"
	// anonymous refused: true
}

// TLS with a client certificate: the server (secureClientPort, with the x509
// authentication provider) gives the session the certificate's subject as
// its identity, for x509 ACLs.
func ExampleWithTLS_clientCertificate() {
	ctx := context.Background()
	cert, err := tls.LoadX509KeyPair("client.pem", "client-key.pem")
	if err != nil {
		log.Fatal(err)
	}
	caPEM, err := os.ReadFile("ca.pem")
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	client, err := kazoo.Connect(ctx, "zk1.example.com:2281", kazoo.WithTLS(&tls.Config{
		RootCAs:      roots,
		Certificates: []tls.Certificate{cert},
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	acl := kazoo.X509ACL(kazoo.PermAll, kazoo.X509ID(leaf)) // e.g. "CN=alice,O=Example"
	if _, _, err := client.Create(ctx, "/mine", nil, kazoo.WithACL(acl)); err != nil {
		log.Fatal(err)
	}
	who, _ := client.WhoAmI(ctx) // ZooKeeper 3.7+: [{x509 CN=alice,O=Example}]
	fmt.Println(who)
}

func ExampleX509ID() {
	ca, err := zktest.MakeCA()
	if err != nil {
		log.Fatal(err)
	}
	cert, err := ca.Issue("alice")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(kazoo.X509ID(cert.Leaf))
	// Output: CN=alice,O=kazoo-go zktest
}

func ExampleIPACL() {
	acl, err := kazoo.IPACL(kazoo.PermRead, "10.1.2.3/16")
	fmt.Println(acl.Scheme, acl.ID, err)
	_, err = kazoo.IPACL(kazoo.PermRead, "zk.example.com")
	fmt.Println(errors.Is(err, kazoo.ErrInvalidArgument))
	// Output:
	// ip 10.1.0.0/16 <nil>
	// true
}
