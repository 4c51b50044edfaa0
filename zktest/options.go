package zktest

import (
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Option configures a server started by [StartServer], [StartCluster] or the
// shared server of [Main].
type Option func(*config)

type config struct {
	inst           *Installation
	tickTime       time.Duration
	minSession     time.Duration
	maxSession     time.Duration
	extendedTypes  bool
	containerCheck time.Duration
	fourLW         []string
	superDigest    string
	props          [][2]string
	jvmFlags       []string
	startTimeout   time.Duration

	ca           *CA      // WithTLS
	tlsOnly      bool     // no plaintext port
	clientAuth   string   // ssl.clientAuth
	tlsNames     []string // WithTLSServerNames
	saslUsers    [][2]string
	saslRequired bool
	kdc          *KDC
	dynamic      bool // WithDynamicReconfig
}

func defaultConfig() config {
	return config{
		// A short tick makes short session timeouts possible (the server
		// grants at least 2 ticks) and server-side expiry prompt, which
		// keeps expiry tests fast.
		tickTime:   500 * time.Millisecond,
		minSession: time.Second,
		// Explicit, so that a client asking for the usual 30 s gets it
		// rather than ZooKeeper's 20 ticks.
		maxSession:   60 * time.Second,
		startTimeout: 90 * time.Second,
	}
}

// WithTickTime sets ZooKeeper's tickTime (default 500 ms). Session timeouts
// are granted in [2, 20] ticks unless [WithSessionTimeouts] says otherwise;
// ensemble timeouts are counted in ticks too.
func WithTickTime(d time.Duration) Option { return func(c *config) { c.tickTime = d } }

// WithSessionTimeouts sets the smallest and largest session timeouts the
// server grants (minSessionTimeout, maxSessionTimeout). The defaults are 1 s
// and 60 s.
func WithSessionTimeouts(min, max time.Duration) Option {
	return func(c *config) { c.minSession, c.maxSession = min, max }
}

// WithExtendedTypes enables TTL nodes (zookeeper.extendedTypesEnabled, 3.5.3
// and later). Servers then refuse session ids with the high byte 0xff, which
// only matters to tests that forge session ids.
func WithExtendedTypes() Option { return func(c *config) { c.extendedTypes = true } }

// WithContainerCheckInterval sets how often the server deletes empty
// container nodes and expired TTL nodes (znode.container.checkIntervalMs,
// default 60 s in ZooKeeper), so that tests of them need not wait a minute.
func WithContainerCheckInterval(d time.Duration) Option {
	return func(c *config) { c.containerCheck = d }
}

// With4LW sets the four-letter words the server answers
// (4lw.commands.whitelist). The default is every word ("*"). ruok and srvr
// are always added: the harness needs them to tell when the server is ready.
func With4LW(words ...string) Option { return func(c *config) { c.fourLW = words } }

// WithSuperDigest makes user/password the super user, who passes every ACL
// check after adding digest auth "user:password".
func WithSuperDigest(user, password string) Option {
	return func(c *config) { c.superDigest = Digest(user, password) }
}

// WithProperty adds a key=value line to zoo.cfg, after the harness's own
// (ZooKeeper keeps the last value of a repeated key).
func WithProperty(key, value string) Option {
	return func(c *config) { c.props = append(c.props, [2]string{key, value}) }
}

// WithJVMFlag adds flags to the java command line, after the harness's own,
// so they win: for example WithJVMFlag("-XX:TieredStopAtLevel=4") restores
// the full JIT for benchmarks (the harness limits it to speed up startup), or
// WithJVMFlag("-Dzookeeper.maxCnxns=10") sets a system property.
func WithJVMFlag(flags ...string) Option {
	return func(c *config) { c.jvmFlags = append(c.jvmFlags, flags...) }
}

// WithDynamicReconfig lets an ensemble change its membership at run time
// (ZooKeeper 3.5+: reconfigEnabled, and the members' client addresses in
// their server lines): clients may call Reconfig, and [Cluster.AddMember]
// starts new members. ACL checks are off on such servers
// (zookeeper.skipACL), since reconfig otherwise needs the super user. It
// only concerns [StartCluster].
func WithDynamicReconfig() Option { return func(c *config) { c.dynamic = true } }

// WithInstallation runs the given installation instead of the one
// [FindInstallation] finds, e.g. to compare two releases in one test.
func WithInstallation(inst *Installation) Option { return func(c *config) { c.inst = inst } }

// WithStartTimeout bounds how long starting a server, or an ensemble's
// quorum, may take (default 90 s, generous for loaded CI machines).
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// Digest returns the id of ZooKeeper's digest scheme for user and password:
// "user:" followed by base64(sha1("user:password")). It is the ID of a digest
// ACL entry, and what the server's superDigest setting expects.
func Digest(user, password string) string {
	sum := sha1.Sum([]byte(user + ":" + password))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// fourLWList is the whitelist line, always including what the harness uses.
func (c *config) fourLWList() string {
	if c.fourLW == nil {
		return "*"
	}
	words := append([]string{"ruok", "srvr"}, c.fourLW...)
	for _, w := range c.fourLW {
		if w == "*" {
			return "*"
		}
	}
	return strings.Join(words, ",")
}
