package hostlist

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
)

// ParseConfig reads the ensemble's dynamic configuration, as a server keeps
// it in /zookeeper/config (ZooKeeper 3.5+), and returns the client address
// of every member that serves clients, in the order listed, and the
// configuration's version. A member line looks like
//
//	server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181
//
// where the part after ';' is the client address, [host:]port; a wildcard
// or missing host means the member's own host. A member without a client
// address serves no clients and is left out.
func ParseConfig(data []byte) (addrs []string, version int64, err error) {
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		key, value, ok := strings.Cut(line, "=")
		switch {
		case line == "":
			continue
		case !ok:
			return nil, 0, fmt.Errorf("config line %d: no '=': %q", n+1, line)
		case key == "version":
			if version, err = strconv.ParseInt(value, 16, 64); err != nil {
				return nil, 0, fmt.Errorf("config line %d: bad version %q", n+1, value)
			}
			continue
		case !strings.HasPrefix(key, "server."):
			continue // other keys (e.g. group, weight) do not concern clients
		}
		server, client, ok := strings.Cut(value, ";")
		if !ok {
			continue
		}
		addr, err := clientAddr(server, strings.TrimSpace(client))
		if err != nil {
			return nil, 0, fmt.Errorf("config line %d: %w", n+1, err)
		}
		addrs = append(addrs, addr)
	}
	if len(addrs) == 0 {
		return nil, 0, fmt.Errorf("config lists no member that serves clients")
	}
	return addrs, version, nil
}

// clientAddr makes host:port from a member's "host:quorum:election[:role]"
// and its client part "[host:]port".
func clientAddr(server, client string) (string, error) {
	host, port := "", client
	if i := strings.LastIndexByte(client, ':'); i >= 0 {
		host, port = strings.Trim(client[:i], "[]"), client[i+1:]
	}
	if err := checkPort(port); err != nil {
		return "", fmt.Errorf("client address %q: %w", client, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = memberHost(server)
		if host == "" {
			return "", fmt.Errorf("member %q has no host", server)
		}
	}
	if net.ParseIP(host) == nil && (strings.ContainsAny(host, ",/[]:") || strings.IndexFunc(host, badHostRune) >= 0) {
		return "", fmt.Errorf("bad host %q", host)
	}
	return net.JoinHostPort(host, port), nil
}

// memberHost returns the host of "host:quorum:election[:role]", which may
// be a bracketed IPv6 address.
func memberHost(server string) string {
	if strings.HasPrefix(server, "[") {
		if end := strings.IndexByte(server, ']'); end > 0 {
			return server[1:end]
		}
		return ""
	}
	host, _, _ := strings.Cut(server, ":")
	return strings.TrimSpace(host)
}

// badHostRune reports the runes no host name has: spaces and controls
// (which a connection string would trim or choke on).
func badHostRune(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }
