package gssapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/krberror"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/kazoo-go/kazoo"
)

// Mechanism is the GSSAPI SASL mechanism for kazoo.WithSASL. One Mechanism
// may serve several clients. Close it when done: a keytab login renews its
// tickets in the background until then.
type Mechanism struct {
	cfg  config
	krb5 *krbconfig.Config

	mu sync.Mutex     // gokrb5's client is used by one exchange at a time
	kt *client.Client // the keytab login; nil with a credential cache
}

var _ kazoo.SASLMechanism = (*Mechanism)(nil)

// New returns a Mechanism: with WithKeytab it logs in with the keytab's key
// (at the first connection); otherwise it uses a credential cache (see
// WithCredentialCache). It reads the configuration, keytab or cache now and
// reports what is missing; it contacts no KDC.
func New(opts ...Option) (*Mechanism, error) {
	c := config{service: "zookeeper", canonicalize: true}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if err := c.defaults(); err != nil {
		return nil, err
	}
	kc, err := krbconfig.Load(c.krb5conf)
	if err != nil {
		return nil, fmt.Errorf("gssapi: reading the Kerberos configuration %s: %w", c.krb5conf, err)
	}
	m := &Mechanism{cfg: c, krb5: kc}
	if c.keytab != "" {
		kt, err := keytab.Load(c.keytab)
		if err != nil {
			// gokrb5's errors about a keytab name the file, never its keys.
			return nil, fmt.Errorf("gssapi: reading the keytab %s: %w", c.keytab, err)
		}
		user, realm := splitPrincipal(c.principal, kc.LibDefaults.DefaultRealm)
		if realm == "" {
			return nil, fmt.Errorf("gssapi: principal %q has no realm and %s sets no default_realm", c.principal, c.krb5conf)
		}
		m.kt = client.NewWithKeytab(user, realm, kt, kc, client.DisablePAFXFAST(true))
		return m, nil
	}
	if _, err := m.ccacheClient(); err != nil {
		return nil, err
	}
	return m, nil
}

// Name returns "GSSAPI".
func (m *Mechanism) Name() string { return "GSSAPI" }

// Close ends the keytab login and its ticket renewal. Clients using the
// Mechanism fail their next authentication afterwards.
func (m *Mechanism) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kt != nil {
		m.kt.Destroy()
	}
	return nil
}

// Start gets a service ticket for the server's principal (from the cache of
// tickets, or the KDC) and returns the AP-REQ.
func (m *Mechanism) Start(ctx context.Context, host string) (kazoo.SASLExchange, []byte, error) {
	spn := m.servicePrincipal(ctx, host)
	m.mu.Lock()
	defer m.mu.Unlock()
	cl, err := m.login()
	if err != nil {
		return nil, nil, err
	}
	tkt, key, err := cl.GetServiceTicket(spn)
	if err != nil {
		return nil, nil, temporary(fmt.Errorf("gssapi: getting a ticket for %s: %w", spn, err))
	}
	return newExchange(cl, tkt, key)
}

// login returns a client with a valid ticket-granting ticket.
func (m *Mechanism) login() (*client.Client, error) {
	if m.kt == nil {
		return m.ccacheClient()
	}
	if err := m.kt.AffirmLogin(); err != nil {
		return nil, temporary(fmt.Errorf("gssapi: logging in as %s with keytab %s: %w", m.cfg.principal, m.cfg.keytab, err))
	}
	return m.kt, nil
}

// ccacheClient reads the credential cache afresh (kinit may have renewed
// it) and checks that its ticket-granting ticket is still valid.
func (m *Mechanism) ccacheClient() (*client.Client, error) {
	path := m.cfg.ccache
	cc, err := credentials.LoadCCache(path)
	if err != nil {
		return nil, fmt.Errorf("gssapi: no usable Kerberos credential cache at %s (run kinit): %w", path, err)
	}
	realm := cc.DefaultPrincipal.Realm
	tgt, ok := cc.GetEntry(types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "krbtgt/"+realm))
	if !ok {
		return nil, fmt.Errorf("gssapi: the credential cache %s holds no ticket-granting ticket for %s (run kinit)", path, realm)
	}
	if now := time.Now(); !now.Before(tgt.EndTime) && !now.Before(tgt.RenewTill) {
		return nil, fmt.Errorf("gssapi: the ticket-granting ticket in %s expired at %s (run kinit)", path, tgt.EndTime.Format(time.RFC3339))
	}
	cl, err := client.NewFromCCache(cc, m.krb5, client.DisablePAFXFAST(true))
	if err != nil {
		return nil, fmt.Errorf("gssapi: the credential cache %s: %w", path, err)
	}
	return cl, nil
}

// servicePrincipal returns the server's principal for host.
func (m *Mechanism) servicePrincipal(ctx context.Context, host string) string {
	if m.cfg.serverPrincipal != "" {
		return m.cfg.serverPrincipal
	}
	if m.cfg.canonicalize {
		host = canonicalHost(ctx, host)
	}
	return m.cfg.service + "/" + strings.ToLower(host)
}

// canonicalHost resolves host and looks its first address up again, as
// Java's InetAddress.getCanonicalHostName does; on failure it returns host.
func canonicalHost(ctx context.Context, host string) string {
	ip := host
	if net.ParseIP(host) == nil {
		addrs, err := net.DefaultResolver.LookupHost(ctx, host)
		if err != nil || len(addrs) == 0 {
			return host
		}
		ip = addrs[0]
	}
	names, err := net.DefaultResolver.LookupAddr(ctx, ip)
	if err != nil || len(names) == 0 {
		return host
	}
	return strings.TrimSuffix(names[0], ".")
}

// temporary marks err kazoo.ErrSASLTemporary when no KDC could be reached:
// the client then tries again later instead of closing. gokrb5 flattens
// some causes into text, so its root cause is read from the message too.
func temporary(err error) error {
	var ke krberror.Krberror
	if errors.As(err, &ke) && ke.RootCause == krberror.NetworkingError ||
		strings.Contains(err.Error(), "Root cause: "+krberror.NetworkingError) {
		return fmt.Errorf("%w: %w", kazoo.ErrSASLTemporary, err)
	}
	return err
}

// splitPrincipal splits "user@REALM"; without a realm it is def.
func splitPrincipal(p, def string) (user, realm string) {
	if i := strings.LastIndexByte(p, '@'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return p, def
}

// ErrMalformed marks a server token that does not parse or breaks the
// protocol.
var ErrMalformed = errors.New("gssapi: malformed token from the server")

// ErrServerNotAuthenticated is returned when the server's AP-REP does not
// prove that it holds the service principal's key.
var ErrServerNotAuthenticated = errors.New("gssapi: the server failed mutual authentication")
