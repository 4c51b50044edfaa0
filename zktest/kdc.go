package zktest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ServerPrincipal is the Kerberos principal of servers started with
// [WithKerberos] (in the KDC's realm): the Java client's default,
// "zookeeper/" + the server's host name, which is localhost.
const ServerPrincipal = "zookeeper/localhost"

// KDC is a real MIT Kerberos KDC (Debian's krb5-kdc) for one test: a realm
// created in a temporary directory, listening on a loopback port (TCP and
// UDP), with its own krb5.conf. Start it with [StartKDC].
type KDC struct {
	dir   string
	realm string
	port  int
	proc  *process

	mu      sync.Mutex
	keytabs map[string]string
}

// KDC programs, in the directories Debian installs them to.
var kdcDirs = []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin"}

func kdcTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range kdcDirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("zktest: %s not found: install the MIT KDC (Debian: apt-get install krb5-kdc krb5-admin-server, or scripts/install-deps.sh)", name)
}

// StartKDC creates the realm KAZOO.TEST and starts its KDC; t.Cleanup stops
// it, and its log is printed when the test failed. Tickets last 10 minutes
// unless asked for less.
func StartKDC(t testing.TB) *KDC {
	t.Helper()
	k, err := startKDC(t.TempDir(), "KAZOO.TEST")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.Stop()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(k.dir, "kdc.log"))
			t.Logf("zktest: KDC log:\n%s", log)
		}
	})
	return k
}

func startKDC(dir, realm string) (*KDC, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	k := &KDC{dir: dir, realm: realm, port: port, keytabs: map[string]string{}}
	if err := writeFile(k.Krb5Conf(), []byte(k.krb5Conf()), 0o644); err != nil {
		return nil, err
	}
	if err := writeFile(k.kdcConf(), []byte(k.kdcConfText()), 0o644); err != nil {
		return nil, err
	}
	// The master key only protects this throwaway database.
	if err := k.run("kdb5_util", "create", "-s", "-r", realm, "-P", "zktest-master-key"); err != nil {
		return nil, err
	}
	if err := k.Start(); err != nil {
		return nil, err
	}
	return k, nil
}

// Start starts the KDC (again, after Stop), on the same port with the same
// realm and principals.
func (k *KDC) Start() error {
	kdcBin, err := kdcTool("krb5kdc")
	if err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(k.dir, "kdc.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("zktest: %w", err)
	}
	defer log.Close()
	cmd := exec.Command(kdcBin, "-n", "-r", k.realm)
	cmd.Env = k.Env()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("zktest: starting krb5kdc: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	k.proc = p
	if err := k.waitUp(10 * time.Second); err != nil {
		k.Stop()
		out, _ := os.ReadFile(filepath.Join(k.dir, "kdc.out"))
		return fmt.Errorf("zktest: KDC on port %d: %w\n%s", k.port, err, out)
	}
	return nil
}

func (k *KDC) waitUp(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for delay := 10 * time.Millisecond; ; delay = min(delay*2, 200*time.Millisecond) {
		var d net.Dialer
		if c, err := d.DialContext(ctx, "tcp", k.Addr()); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-k.proc.done:
			return fmt.Errorf("krb5kdc exited: %v", k.proc.err)
		case <-ctx.Done():
			return errors.New("krb5kdc did not listen in time")
		case <-time.After(delay):
		}
	}
}

// Stop stops the KDC (SIGKILL; Start starts it again). Tickets already
// issued stay valid; new ones cannot be had meanwhile.
func (k *KDC) Stop() {
	if k.proc == nil {
		return
	}
	k.proc.cmd.Process.Kill()
	<-k.proc.done
	k.proc = nil
}

// Realm returns the realm's name.
func (k *KDC) Realm() string { return k.realm }

// Addr returns the KDC's address, "127.0.0.1:port".
func (k *KDC) Addr() string { return "127.0.0.1:" + strconv.Itoa(k.port) }

// Krb5Conf returns the path of the realm's krb5.conf, for KRB5_CONFIG, the
// JVM's java.security.krb5.conf, or a Go Kerberos library.
func (k *KDC) Krb5Conf() string { return filepath.Join(k.dir, "krb5.conf") }

func (k *KDC) kdcConf() string { return filepath.Join(k.dir, "kdc.conf") }

// Env returns the environment of a Kerberos tool (kinit, klist) for this
// realm: the process's own with KRB5_CONFIG and KRB5_KDC_PROFILE set.
func (k *KDC) Env() []string {
	return append(os.Environ(), "KRB5_CONFIG="+k.Krb5Conf(), "KRB5_KDC_PROFILE="+k.kdcConf())
}

// The encryption types both Java 17 and Go's Kerberos library support.
const kdcEnctypes = "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96"

func (k *KDC) krb5Conf() string {
	return fmt.Sprintf(`[libdefaults]
  default_realm = %[1]s
  dns_lookup_realm = false
  dns_lookup_kdc = false
  dns_canonicalize_hostname = false
  rdns = false
  udp_preference_limit = 1
  ticket_lifetime = 10m
  default_tkt_enctypes = %[3]s
  default_tgs_enctypes = %[3]s
  permitted_enctypes = %[3]s

[realms]
  %[1]s = {
    kdc = 127.0.0.1:%[2]d
  }

[domain_realm]
  localhost = %[1]s
`, k.realm, k.port, kdcEnctypes)
}

func (k *KDC) kdcConfText() string {
	var st []string
	for _, e := range strings.Fields(kdcEnctypes) {
		st = append(st, e+":normal")
	}
	return fmt.Sprintf(`[kdcdefaults]
  kdc_listen = 127.0.0.1:%[2]d
  kdc_tcp_listen = 127.0.0.1:%[2]d

[realms]
  %[1]s = {
    database_name = %[3]s
    key_stash_file = %[4]s
    acl_file = %[5]s
    kdc_listen = 127.0.0.1:%[2]d
    kdc_tcp_listen = 127.0.0.1:%[2]d
    max_life = 10m
    max_renewable_life = 20m
    supported_enctypes = %[6]s
  }

[logging]
  kdc = FILE:%[7]s
`, k.realm, k.port, filepath.Join(k.dir, "principal"), filepath.Join(k.dir, "stash"),
		filepath.Join(k.dir, "kadm5.acl"), strings.Join(st, " "), filepath.Join(k.dir, "kdc.log"))
}

// run runs a KDC tool with the realm's environment.
func (k *KDC) run(tool string, args ...string) error {
	bin, err := kdcTool(tool)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = k.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("zktest: %s %s: %v\n%s", tool, args[0], err, out)
	}
	return nil
}

// AddPrincipal adds principal (e.g. "alice", without the realm) with a
// password, for clients that log in with one.
func (k *KDC) AddPrincipal(principal, password string) error {
	return k.run("kadmin.local", "-r", k.realm, "-q", "addprinc -pw "+password+" "+principal)
}

// Keytab returns the path of a keytab holding principal's key (e.g.
// "client" or ServerPrincipal, without the realm), creating the principal
// with a random key on first use.
func (k *KDC) Keytab(principal string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if p, ok := k.keytabs[principal]; ok {
		return p, nil
	}
	path := filepath.Join(k.dir, strings.ReplaceAll(principal, "/", "_")+".keytab")
	if err := k.run("kadmin.local", "-r", k.realm, "-q", "addprinc -randkey "+principal); err != nil {
		return "", err
	}
	if err := k.run("kadmin.local", "-r", k.realm, "-q", "ktadd -k "+path+" "+principal); err != nil {
		return "", err
	}
	k.keytabs[principal] = path
	return path, nil
}

// SetMaxLife limits the lifetime of principal's tickets (kadmin's
// modprinc -maxlife), e.g. to a few seconds to test ticket renewal.
func (k *KDC) SetMaxLife(principal string, d time.Duration) error {
	return k.run("kadmin.local", "-r", k.realm, "-q", "modprinc -maxlife "+seconds(d)+" "+principal)
}

// Kinit gets a ticket-granting ticket for principal from its keytab into
// the credential cache at ccache (a file path) with MIT's kinit (Debian's
// krb5-user), valid for lifetime (the KDC grants at most 10 minutes) and
// renewable for renewable (0: not renewable; at most 20 minutes).
func (k *KDC) Kinit(principal, ccache string, lifetime, renewable time.Duration) error {
	keytab, err := k.Keytab(principal)
	if err != nil {
		return err
	}
	args := []string{"-l", seconds(lifetime), "-k", "-t", keytab, "-c", "FILE:" + ccache}
	if renewable > 0 {
		args = append(args, "-r", seconds(renewable))
	}
	return k.run("kinit", append(args, principal+"@"+k.realm)...)
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d.Seconds())) + "s" }

// WithKerberos makes the server authenticate clients with SASL GSSAPI
// against kdc, as ServerPrincipal (its keytab made by the KDC), and turns
// on the sasl authentication provider: a client authenticated as
// client@REALM has the identity "sasl:client@REALM".
func WithKerberos(kdc *KDC) Option { return func(c *config) { c.kdc = kdc } }
