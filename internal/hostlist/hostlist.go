// Package hostlist parses kazoo-style connection strings and hands out
// server addresses in the order a client should try them: the hosts
// shuffled once per pass, and each name resolved when it is handed out, so
// that a DNS change reaches a long-lived client at its next reconnect.
package hostlist

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
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

// List yields addresses to try. Its methods are safe for concurrent use.
type List struct {
	mu       sync.Mutex
	hosts    []string // configured host:port entries
	resolver Resolver
	pass     []string // the current pass: the hosts, shuffled
	next     int
	turn     map[string]int // per name: which of its addresses comes next
}

// New returns a List over hosts (as returned by Parse).
func New(hosts []string, r Resolver) *List {
	if r == nil {
		r = net.DefaultResolver
	}
	return &List{hosts: hosts, resolver: r, turn: make(map[string]int)}
}

// Len is the number of configured hosts.
func (l *List) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.hosts)
}

// Hosts returns the configured host:port entries.
func (l *List) Hosts() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.hosts...)
}

// Update replaces the configured hosts with hosts (as returned by Parse).
// current is the entry of the connected server ("" while disconnected).
// It reports whether the client should move to another server to even the
// load (see Rebalance); the servers chosen then come first in the next
// pass.
func (l *List) Update(hosts []string, current string) (move bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.hosts
	l.hosts = append([]string(nil), hosts...)
	l.pass, l.next = nil, 0
	if current == "" {
		return false
	}
	to := Rebalance(old, l.hosts, current, nil)
	if to == nil {
		return false
	}
	l.pass = to
	return true
}

// Server is an address to dial and the host name it was given as (for TLS
// verification): Host equals the address's host for IP addresses.
type Server struct {
	Addr string // ip:port
	Host string // as configured, without the port
}

// Next returns the next server to try, and whether it starts a new pass
// (every host of the previous pass was handed out). The host's name is
// resolved now; a name with several addresses hands them out in turn, one
// per pass. A name that does not resolve is skipped; if none resolves,
// Next returns an error.
func (l *List) Next(ctx context.Context) (srv Server, newPass bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lastErr error
	for range len(l.hosts) {
		if l.next >= len(l.pass) {
			l.pass = append(l.pass[:0], l.hosts...)
			rand.Shuffle(len(l.pass), func(i, j int) { l.pass[i], l.pass[j] = l.pass[j], l.pass[i] })
			l.next, newPass = 0, true
		}
		hp := l.pass[l.next]
		l.next++
		host, port, _ := net.SplitHostPort(hp)
		if net.ParseIP(host) != nil {
			return Server{Addr: hp, Host: host}, newPass, nil
		}
		ips, err := l.resolver.LookupHost(ctx, host)
		if err == nil && len(ips) == 0 {
			err = errors.New("no addresses")
		}
		if err != nil {
			lastErr = fmt.Errorf("resolving %s: %w", host, err)
			continue
		}
		i := l.turn[hp] % len(ips)
		l.turn[hp] = i + 1
		return Server{Addr: net.JoinHostPort(ips[i], port), Host: host}, newPass, nil
	}
	return Server{}, newPass, fmt.Errorf("no server address resolves: %w", lastErr)
}
