package gssapi

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Option configures a Mechanism; pass options to New.
type Option func(*config) error

type config struct {
	keytab, principal string
	ccache            string
	useCCache         bool
	krb5conf          string
	service           string
	serverPrincipal   string
	canonicalize      bool
}

// WithKeytab logs in as principal ("client" in the default realm of
// krb5.conf, or "client@REALM") with its key from the keytab file at path.
// The client renews its tickets by itself.
func WithKeytab(path, principal string) Option {
	return func(c *config) error {
		if path == "" || principal == "" {
			return errors.New("gssapi: WithKeytab needs a keytab path and a principal")
		}
		c.keytab, c.principal = path, principal
		return nil
	}
}

// WithCredentialCache uses the tickets in the credential cache at path (a
// file, as kinit -c FILE:path writes it). An empty path means $KRB5CCNAME,
// else /tmp/krb5cc_<uid>, as MIT's tools do.
func WithCredentialCache(path string) Option {
	return func(c *config) error {
		c.ccache, c.useCCache = path, true
		return nil
	}
}

// WithKrb5Conf reads the Kerberos configuration (realms, KDCs) from path
// instead of $KRB5_CONFIG or /etc/krb5.conf.
func WithKrb5Conf(path string) Option {
	return func(c *config) error {
		if path == "" {
			return errors.New("gssapi: WithKrb5Conf needs a path")
		}
		c.krb5conf = path
		return nil
	}
}

// WithServiceName sets the service part of the server's principal (default
// "zookeeper"), like the Java client's zookeeper.sasl.client.username.
func WithServiceName(name string) Option {
	return func(c *config) error {
		if name == "" || strings.ContainsAny(name, "/@") {
			return fmt.Errorf("gssapi: invalid service name %q", name)
		}
		c.service = name
		return nil
	}
}

// WithServerPrincipal sets the server's whole principal
// ("zookeeper/zk.example.com" or with "@REALM"), whatever host the client
// connects to, like the Java client's zookeeper.server.principal.
func WithServerPrincipal(principal string) Option {
	return func(c *config) error {
		if principal == "" {
			return errors.New("gssapi: WithServerPrincipal needs a principal")
		}
		c.serverPrincipal = principal
		return nil
	}
}

// WithCanonicalHostname sets whether the host name of the server's principal
// is canonicalized (default true, like the Java client's
// zookeeper.sasl.client.canonicalize.hostname): the name the client
// connects to is resolved and the address looked up again, so that
// connecting to an alias or an address still names the server's own
// principal. When the reverse lookup fails the name is used as given.
func WithCanonicalHostname(on bool) Option {
	return func(c *config) error {
		c.canonicalize = on
		return nil
	}
}

func (c *config) defaults() error {
	if c.keytab != "" && c.useCCache {
		return errors.New("gssapi: use either a keytab or a credential cache, not both")
	}
	if c.keytab == "" && !c.useCCache {
		c.useCCache = true // kinit's tickets, as the Java client's default JAAS login would
	}
	if c.useCCache && c.ccache == "" {
		c.ccache = defaultCCache()
	}
	if c.krb5conf == "" {
		c.krb5conf = os.Getenv("KRB5_CONFIG")
	}
	if c.krb5conf == "" {
		c.krb5conf = "/etc/krb5.conf"
	}
	return nil
}

// defaultCCache is MIT's default credential cache: $KRB5CCNAME (a FILE:
// cache), else /tmp/krb5cc_<uid>.
func defaultCCache() string {
	if name := os.Getenv("KRB5CCNAME"); name != "" {
		return strings.TrimPrefix(name, "FILE:")
	}
	return fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid())
}
