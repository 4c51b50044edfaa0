package session

import "strings"

// The chroot, both ways: client paths to the server's, and back.

// serverPath returns the server's path for p: the chroot applied. Requests
// do not use it (see appendRequest); watches re-sent after a reconnect do.
func (c *Session) serverPath(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == "/" {
		return c.chroot
	}
	return c.chroot + p
}

// StripRoot returns the client's path for the server's path p: the chroot
// removed, unless p is outside it.
func (c *Session) StripRoot(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == c.chroot {
		return "/"
	}
	if strings.HasPrefix(p, c.chroot) && len(p) > len(c.chroot) && p[len(c.chroot)] == '/' {
		return p[len(c.chroot):]
	}
	return p
}

// relPath is StripRoot for a path as bytes (a notification's), without
// allocating; ok is false for a path outside the chroot.
func (c *Session) relPath(p []byte) (rel []byte, ok bool) {
	root := c.chroot
	switch {
	case root == "":
		return p, true
	case len(p) < len(root) || string(p[:len(root)]) != root:
		return nil, false
	case len(p) == len(root):
		return slash, true
	case p[len(root)] != '/':
		return nil, false
	}
	return p[len(root):], true
}

var slash = []byte("/")
