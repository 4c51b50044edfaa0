package kazoo

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidatePath checks p against ZooKeeper's own path rules: absolute, no
// trailing slash (except "/"), no empty, "." or ".." segments, no NUL or
// control characters, and none of the code points ZooKeeper rejects.
func ValidatePath(p string) error {
	return validatePath(p, false)
}

// validatePath also accepts a trailing slash for sequential creates, where
// the server appends digits (ZooKeeper allows "/a/" there). It allocates
// nothing: it runs on every operation.
func validatePath(p string, sequential bool) error {
	if p == "" {
		return fmt.Errorf("%w: empty", ErrInvalidPath)
	}
	if p[0] != '/' {
		return fmt.Errorf("%w: %q is not absolute", ErrInvalidPath, p)
	}
	if len(p) == 1 {
		return nil
	}
	if p[len(p)-1] == '/' && !sequential {
		return fmt.Errorf("%w: %q ends with /", ErrInvalidPath, p)
	}
	segStart := 1
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		seg := p[segStart:i]
		switch {
		case seg == "" && i < len(p):
			return fmt.Errorf("%w: %q has an empty segment", ErrInvalidPath, p)
		case seg == "." || seg == "..":
			return fmt.Errorf("%w: %q has a relative segment", ErrInvalidPath, p)
		}
		segStart = i + 1
	}
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			if c == 0 || c <= 0x1f || c == 0x7f {
				return fmt.Errorf("%w: %q has the invalid character %U", ErrInvalidPath, p, rune(c))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(p[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Errorf("%w: %q is not UTF-8", ErrInvalidPath, p)
		}
		if (r >= 0x7f && r <= 0x9f) || (r >= 0xd800 && r <= 0xf8ff) || r >= 0xfff0 {
			// Above U+FFFF Java sees surrogate pairs, which ZooKeeper rejects.
			return fmt.Errorf("%w: %q has the invalid character %U", ErrInvalidPath, p, r)
		}
		i += size
	}
	return nil
}

// JoinPath joins path elements with "/", like path.Join but never cleaning
// away what ZooKeeper would reject: validate the result if it matters.
func JoinPath(elem ...string) string {
	var b strings.Builder
	for _, e := range elem {
		e = strings.Trim(e, "/")
		if e == "" {
			continue
		}
		b.WriteByte('/')
		b.WriteString(e)
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}
