// Package hostlist parses kazoo-style connection strings and hands out
// server addresses in the order a client should try them: shuffled, every
// name re-resolved at the start of each pass, so that a DNS change reaches a
// long-lived client.
package hostlist

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
)

// DefaultPort is ZooKeeper's client port.
const DefaultPort = 2181

// Parse splits "h1:2181,h2,[::1]:2182/chroot" into host:port addresses and a
// chroot ("" when absent, else a path like "/chroot" without a trailing
// slash). Hosts without a port get DefaultPort.
func Parse(s string) (addrs []string, chroot string, err error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s, chroot = s[:i], s[i:]
		chroot = strings.TrimRight(chroot, "/")
	}
	for _, h := range strings.Split(s, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		addr, err := normalize(h)
		if err != nil {
			return nil, "", err
		}
		addrs = append(addrs, addr)
	}
	if len(addrs) == 0 {
		return nil, "", errors.New("no servers in connection string")
	}
	return addrs, chroot, nil
}

func normalize(h string) (string, error) {
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", fmt.Errorf("bad IPv6 host %q: missing ]", h)
		}
		host, rest := h[1:end], h[end+1:]
		switch {
		case rest == "":
			return net.JoinHostPort(host, strconv.Itoa(DefaultPort)), nil
		case strings.HasPrefix(rest, ":"):
			if err := checkPort(rest[1:]); err != nil {
				return "", fmt.Errorf("host %q: %w", h, err)
			}
			return net.JoinHostPort(host, rest[1:]), nil
		}
		return "", fmt.Errorf("bad host %q", h)
	}
	if strings.Count(h, ":") > 1 { // a bare IPv6 address
		return net.JoinHostPort(h, strconv.Itoa(DefaultPort)), nil
	}
	host, port, found := strings.Cut(h, ":")
	if !found {
		port = strconv.Itoa(DefaultPort)
	}
	if host == "" {
		return "", fmt.Errorf("bad host %q: empty name", h)
	}
	if err := checkPort(port); err != nil {
		return "", fmt.Errorf("host %q: %w", h, err)
	}
	return net.JoinHostPort(host, port), nil
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 || n > 65535 {
		return fmt.Errorf("bad port %q", p)
	}
	return nil
}

// Resolver looks names up; net.DefaultResolver satisfies it.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// List yields addresses to try. It is not safe for concurrent use.
type List struct {
	hosts    []string // configured host:port entries
	resolver Resolver
	pass     []string // the current pass, resolved and shuffled
	next     int
	origin   map[string]string // resolved address -> the configured host name
}

// New returns a List over hosts (as returned by Parse).
func New(hosts []string, r Resolver) *List {
	if r == nil {
		r = net.DefaultResolver
	}
	return &List{hosts: hosts, resolver: r}
}

// Len is the number of configured hosts.
func (l *List) Len() int { return len(l.hosts) }

// Hosts returns the configured host:port entries.
func (l *List) Hosts() []string { return l.hosts }

// SetHosts replaces the configured hosts (after a reconfig); the next call to
// Next starts a new pass.
func (l *List) SetHosts(hosts []string) {
	l.hosts = hosts
	l.pass, l.next = nil, 0
}

// Next returns the next address to try, and whether it starts a new pass
// (every address of the previous pass was handed out). Names are resolved
// afresh at the start of each pass; a name that does not resolve is skipped
// for that pass. If nothing resolves, Next returns an error.
func (l *List) Next(ctx context.Context) (addr string, newPass bool, err error) {
	if l.next >= len(l.pass) {
		if err := l.resolve(ctx); err != nil {
			return "", true, err
		}
		newPass = true
	}
	addr = l.pass[l.next]
	l.next++
	return addr, newPass, nil
}

func (l *List) resolve(ctx context.Context) error {
	var pass []string
	var lastErr error
	origin := map[string]string{}
	for _, hp := range l.hosts {
		host, port, _ := net.SplitHostPort(hp)
		if net.ParseIP(host) != nil {
			pass = append(pass, hp)
			continue
		}
		ips, err := l.resolver.LookupHost(ctx, host)
		if err != nil {
			lastErr = err
			continue
		}
		for _, ip := range ips {
			a := net.JoinHostPort(ip, port)
			pass = append(pass, a)
			origin[a] = host
		}
	}
	if len(pass) == 0 {
		return fmt.Errorf("no server address resolves: %w", lastErr)
	}
	rand.Shuffle(len(pass), func(i, j int) { pass[i], pass[j] = pass[j], pass[i] })
	l.pass, l.next, l.origin = pass, 0, origin
	return nil
}

// Host returns the host name addr (from Next) was resolved from, as the
// connection string gave it, or addr's own host when it was an IP address:
// the name a server's identity is checked against (TLS, Kerberos).
func (l *List) Host(addr string) string {
	if h, ok := l.origin[addr]; ok {
		return h
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}
