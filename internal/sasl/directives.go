package sasl

import (
	"fmt"
	"strings"
)

// ParseDirectives decodes a DIGEST-MD5 token: a comma-separated list of
// name=value directives (RFC 2831 7.1), where a value is a token or a
// quoted-string with backslash escapes. Names are returned in lower case,
// in order; empty list elements are skipped. Anything else is ErrMalformed.
func ParseDirectives(b []byte) ([][2]string, error) {
	var out [][2]string
	s := string(b)
	i := 0
	skipLWS := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			i++
		}
	}
	for {
		skipLWS()
		if i == len(s) {
			return out, nil
		}
		if s[i] == ',' {
			i++
			continue
		}
		start := i
		for i < len(s) && isTokenChar(s[i]) {
			i++
		}
		name := strings.ToLower(s[start:i])
		if name == "" {
			return nil, fmt.Errorf("%w: expected a directive name at byte %d", ErrMalformed, start)
		}
		skipLWS()
		if i == len(s) || s[i] != '=' {
			return nil, fmt.Errorf("%w: directive %q has no value", ErrMalformed, name)
		}
		i++
		skipLWS()
		var value string
		if i < len(s) && s[i] == '"' {
			var v strings.Builder
			i++
			closed := false
			for i < len(s) && !closed {
				switch c := s[i]; c {
				case '\\':
					if i+1 == len(s) {
						return nil, fmt.Errorf("%w: directive %q ends in an escape", ErrMalformed, name)
					}
					v.WriteByte(s[i+1])
					i += 2
				case '"':
					closed = true
					i++
				default:
					v.WriteByte(c)
					i++
				}
			}
			if !closed {
				return nil, fmt.Errorf("%w: directive %q has an unterminated quoted value", ErrMalformed, name)
			}
			value = v.String()
		} else {
			start := i
			for i < len(s) && isTokenChar(s[i]) {
				i++
			}
			value = s[start:i]
			if value == "" {
				return nil, fmt.Errorf("%w: directive %q has an empty value", ErrMalformed, name)
			}
		}
		out = append(out, [2]string{name, value})
		skipLWS()
		if i < len(s) && s[i] != ',' {
			return nil, fmt.Errorf("%w: unexpected %q after directive %q", ErrMalformed, s[i], name)
		}
	}
}

// isTokenChar reports whether c may appear in an RFC 2616 token.
func isTokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune("()<>@,;:\\\"/[]?={}", rune(c))
}
