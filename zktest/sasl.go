package zktest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WithSASLUser adds a DIGEST-MD5 user to the server's SASL logins (the JAAS
// file zktest writes: a Server section with DigestLoginModule) and turns on
// the sasl authentication provider, so that a client authenticated as user
// has the identity "sasl:" + user. Repeat it for more users. A server does
// either DIGEST-MD5 or Kerberos ([WithKerberos]), not both.
func WithSASLUser(user, password string) Option {
	return func(c *config) { c.saslUsers = append(c.saslUsers, [2]string{user, password}) }
}

// WithSASLRequired makes the server refuse every request of a connection
// that has not authenticated with SASL (zookeeper.sessionRequireClientSASLAuth
// in 3.6, zookeeper.enforce.auth.* from 3.7): the server closes it.
func WithSASLRequired() Option { return func(c *config) { c.saslRequired = true } }

func (c *config) sasl() bool { return len(c.saslUsers) > 0 || c.kdc != nil }

// writeJAAS writes the JAAS file of a SASL server.
func (s *Server) writeJAAS() error {
	c := &s.cfg
	if len(c.saslUsers) > 0 && c.kdc != nil {
		return fmt.Errorf("zktest: a server does DIGEST-MD5 (WithSASLUser) or Kerberos (WithKerberos), not both")
	}
	var b strings.Builder
	b.WriteString("Server {\n")
	if c.kdc != nil {
		keytab, err := c.kdc.Keytab(ServerPrincipal)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "  com.sun.security.auth.module.Krb5LoginModule required\n  useKeyTab=true\n  keyTab=%s\n  storeKey=true\n  useTicketCache=false\n  principal=%s;\n",
			jaasQuote(keytab), jaasQuote(ServerPrincipal+"@"+c.kdc.Realm()))
	} else {
		b.WriteString("  org.apache.zookeeper.server.auth.DigestLoginModule required")
		users := c.saslUsers
		if s.harnessSASL[0] != "" {
			users = append(users[:len(users):len(users)], s.harnessSASL)
		}
		for _, up := range users {
			if strings.ContainsAny(up[0], " \t\r\n=;\"\\{}") || up[0] == "" {
				return fmt.Errorf("zktest: SASL user name %q cannot be written in a JAAS file", up[0])
			}
			if strings.ContainsAny(up[1], "\"\\\r\n") {
				return fmt.Errorf("zktest: the password of SASL user %q cannot be written in a JAAS file (quote, backslash or newline)", up[0])
			}
			fmt.Fprintf(&b, "\n  user_%s=%s", up[0], jaasQuote(up[1]))
		}
		b.WriteString(";\n")
	}
	b.WriteString("};\n")
	return writeFile(s.jaasPath(), []byte(b.String()), 0o600)
}

func (s *Server) jaasPath() string { return filepath.Join(s.dir, "jaas.conf") }

// saslArgs are the JVM flags of a SASL server.
func (s *Server) saslArgs() []string {
	c := &s.cfg
	if !c.sasl() {
		return nil
	}
	a := []string{
		"-Djava.security.auth.login.config=" + s.jaasPath(),
		"-Dzookeeper.authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
	}
	if c.kdc != nil {
		a = append(a, "-Djava.security.krb5.conf="+c.kdc.Krb5Conf())
	}
	if c.saslRequired {
		a = append(a, "-Dzookeeper.sessionRequireClientSASLAuth=true",
			"-Dzookeeper.enforce.auth.enabled=true", "-Dzookeeper.enforce.auth.schemes=sasl")
	}
	return a
}

func jaasQuote(s string) string { return `"` + s + `"` }

func writeFile(path string, data []byte, perm os.FileMode) error {
	if err := os.WriteFile(path, data, perm); err != nil {
		return fmt.Errorf("zktest: %w", err)
	}
	return nil
}
