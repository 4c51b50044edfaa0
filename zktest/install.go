package zktest

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kazoo-go/kazoo/proto"
)

// ErrNotInstalled is returned by [FindInstallation] (and reported by every
// function that starts a server) when no ZooKeeper or no Java was found. Its
// message says how to install one.
var ErrNotInstalled = errors.New("zktest: no ZooKeeper installation found")

// installHelp is appended to ErrNotInstalled: what to do about it.
const installHelp = `set ZOOKEEPER_CLASSPATH (java class path of a ZooKeeper server and its dependencies) ` +
	`or ZOOKEEPER_HOME (an unpacked ZooKeeper release), or install Debian's package: ` +
	`sudo apt-get install zookeeper default-jre-headless ` +
	`(in the kazoo repository, scripts/install-deps.sh does that)`

// debianJar is where Debian's libzookeeper-java puts the server jar; its
// manifest's Class-Path names the dependencies.
const debianJar = "/usr/share/java/zookeeper.jar"

// Installation is a ZooKeeper server that zktest can run: a Java class path
// and a java executable.
type Installation struct {
	// Classpath is the list of jars and directories passed to java -cp,
	// in order.
	Classpath []string
	// Version is the server release as read from the jars (see
	// [ParseVersion]); zero when it could not be told. A running server's
	// own answer is in [Server.Version].
	Version proto.Version
	// Source says where the installation was found, for messages:
	// "ZOOKEEPER_CLASSPATH", "ZOOKEEPER_HOME=/opt/zookeeper", or the
	// Debian jar's path.
	Source string
	// Java is the path of the java executable: $JAVA_HOME/bin/java, or
	// java from $PATH.
	Java string
}

// FindInstallation looks for ZooKeeper, in this order:
//
//  1. $ZOOKEEPER_CLASSPATH: a class path (entries separated by ':') used
//     as it is. scripts/fetch-zookeeper.sh prints one for other releases.
//  2. $ZOOKEEPER_HOME: the jars in its lib/ directory and its root, as in
//     Apache's release tarballs.
//  3. Debian's layout: /usr/share/java/zookeeper.jar, whose manifest names
//     its dependencies. slf4j-simple is added next to it when present, so
//     the server's log is not silently dropped, and so are the Netty jars
//     the manifest omits but a secure client port needs.
//
// The error wraps [ErrNotInstalled] when nothing is found.
func FindInstallation() (*Installation, error) {
	inst, err := findClasspath()
	if err != nil {
		return nil, err
	}
	java, err := findJava()
	if err != nil {
		return nil, err
	}
	inst.Java = java
	return inst, nil
}

func findClasspath() (*Installation, error) {
	if cp := os.Getenv("ZOOKEEPER_CLASSPATH"); cp != "" {
		entries := filepath.SplitList(cp)
		if len(jarsOf(entries)) == 0 {
			return nil, fmt.Errorf("%w: ZOOKEEPER_CLASSPATH=%q names no existing jar; %s", ErrNotInstalled, cp, installHelp)
		}
		return &Installation{Classpath: entries, Version: versionOf(entries), Source: "ZOOKEEPER_CLASSPATH"}, nil
	}
	if home := os.Getenv("ZOOKEEPER_HOME"); home != "" {
		var entries []string
		for _, pattern := range []string{filepath.Join(home, "lib", "*.jar"), filepath.Join(home, "*.jar")} {
			m, _ := filepath.Glob(pattern)
			entries = append(entries, m...)
		}
		if len(entries) == 0 {
			return nil, fmt.Errorf("%w: ZOOKEEPER_HOME=%s holds no jar in lib/ or at its root; %s", ErrNotInstalled, home, installHelp)
		}
		return &Installation{Classpath: entries, Version: versionOf(entries), Source: "ZOOKEEPER_HOME=" + home}, nil
	}
	if _, err := os.Stat(debianJar); err == nil {
		entries := []string{debianJar}
		// Debian's manifest omits jars that a secure (Netty) client port
		// needs; add them when they are installed.
		extras := []string{"netty-codec.jar", "netty-resolver.jar"}
		if !hasLogBinding(entries) {
			extras = append(extras, "slf4j-simple.jar")
		}
		for _, name := range extras {
			jar := filepath.Join(filepath.Dir(debianJar), name)
			if _, err := os.Stat(jar); err == nil {
				entries = append(entries, jar)
			}
		}
		return &Installation{Classpath: entries, Version: versionOf(entries), Source: debianJar}, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNotInstalled, installHelp)
}

func findJava() (string, error) {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		p := filepath.Join(home, "bin", "java")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("%w: no java in $JAVA_HOME/bin or $PATH: sudo apt-get install default-jre-headless", ErrNotInstalled)
	}
	return p, nil
}

// jarsOf returns the existing jar files among class path entries, expanding
// "dir/*" wildcards the way java does.
func jarsOf(entries []string) []string {
	var jars []string
	for _, e := range entries {
		if strings.HasSuffix(e, "*") {
			m, _ := filepath.Glob(e + ".jar")
			jars = append(jars, m...)
			continue
		}
		if strings.HasSuffix(e, ".jar") {
			if _, err := os.Stat(e); err == nil {
				jars = append(jars, e)
			}
		}
	}
	return jars
}

// logBindings are the slf4j backends a class path may already carry.
var logBindings = []string{"slf4j-simple", "slf4j-log4j12", "slf4j-reload4j", "logback-classic", "log4j-slf4j", "slf4j-jdk14"}

func hasLogBinding(entries []string) bool {
	for _, j := range jarsOf(entries) {
		base := filepath.Base(j)
		for _, b := range logBindings {
			if strings.HasPrefix(base, b) {
				return true
			}
		}
	}
	return false
}

// serverJar matches the server jar's file name, not jute, recipes, contrib...
var serverJar = regexp.MustCompile(`^zookeeper(-[0-9][^/]*)?\.jar$`)

// versionOf reads the release from the first server jar among entries: its
// Maven pom.properties, then its manifest, then its (or its symlink's) name.
func versionOf(entries []string) proto.Version {
	for _, j := range jarsOf(entries) {
		if !serverJar.MatchString(filepath.Base(j)) {
			continue
		}
		if v, ok := jarVersion(j); ok {
			return v
		}
		if v, ok := ParseVersion(filepath.Base(j)); ok {
			return v
		}
		if real, err := filepath.EvalSymlinks(j); err == nil {
			if v, ok := ParseVersion(filepath.Base(real)); ok {
				return v
			}
		}
		// Debian ships zookeeper.jar plus a zookeeper-X.Y.Z.jar symlink
		// to it (or the reverse): look at the siblings.
		sib, _ := filepath.Glob(filepath.Join(filepath.Dir(j), "zookeeper-[0-9]*.jar"))
		for _, s := range sib {
			if same(s, j) {
				if v, ok := ParseVersion(filepath.Base(s)); ok {
					return v
				}
			}
		}
	}
	return proto.Version{}
}

func same(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// jarVersion reads the version recorded inside a jar.
func jarVersion(path string) (proto.Version, bool) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return proto.Version{}, false
	}
	defer z.Close()
	keys := map[string][]string{
		"META-INF/maven/org.apache.zookeeper/zookeeper/pom.properties": {"version="},
		"META-INF/MANIFEST.MF": {"Implementation-Version:", "Bundle-Version:"},
	}
	for _, name := range []string{"META-INF/maven/org.apache.zookeeper/zookeeper/pom.properties", "META-INF/MANIFEST.MF"} {
		f, err := z.Open(name)
		if err != nil {
			continue
		}
		v, ok := scanKeys(f, keys[name])
		f.Close()
		if ok {
			return v, true
		}
	}
	return proto.Version{}, false
}

func scanKeys(r io.Reader, prefixes []string) (proto.Version, bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				if v, ok := ParseVersion(line[len(p):]); ok {
					return v, true
				}
			}
		}
	}
	return proto.Version{}, false
}
