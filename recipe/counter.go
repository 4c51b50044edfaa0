package recipe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kazoo-go/kazoo"
)

// Number is what a kazoo Counter counts: integers or floats.
type Number interface{ int64 | float64 }

// Counter is kazoo's Counter: the node holds the value as ASCII decimal
// text ("5", "3.5", as Python's repr writes it); an empty node holds the
// default. Add is a compare-and-set on the node's version, retried when
// another writer got in between, so concurrent adds from Go and Python
// sum exactly.
//
// A node whose text does not parse as T makes every call fail with an
// error wrapping [ErrBadValue]; the node is never overwritten.
//
// kazoo's Counter(support_curator=True) is [SharedCount]'s layout.
type Counter[T Number] struct {
	client *kazoo.Client
	path   string
	def    T
}

// NewCounter returns the kazoo counter at path, reading an empty node as def.
func NewCounter[T Number](client *kazoo.Client, path string, def T) *Counter[T] {
	return &Counter[T]{client: client, path: path, def: def}
}

// Value returns the counter's value.
func (c *Counter[T]) Value(ctx context.Context) (T, error) {
	v, _, err := c.read(ctx)
	return v, err
}

func (c *Counter[T]) read(ctx context.Context) (T, int32, error) {
	data, st, err := c.client.Get(ctx, c.path)
	if errors.Is(err, kazoo.ErrNoNode) {
		if err = c.client.EnsurePath(ctx, c.path); err == nil {
			data, st, err = c.client.Get(ctx, c.path)
		}
	}
	if err != nil {
		return 0, 0, fmt.Errorf("recipe: counter %s: %w", c.path, err)
	}
	v, err := parseNumber(data, c.def)
	if err != nil {
		return 0, 0, badValue(c.path, data, err)
	}
	return v, st.Version, nil
}

// Add adds delta (negative to subtract) and returns the values before and
// after. If the connection is lost while the new value is being written,
// the error wraps kazoo.ErrConnectionLoss and the add may or may not have
// happened: Add does not retry then, so as never to count twice.
func (c *Counter[T]) Add(ctx context.Context, delta T) (pre, post T, err error) {
	for {
		pre, version, err := c.read(ctx)
		if err != nil {
			return 0, 0, err
		}
		post = pre + delta
		_, err = c.client.Set(ctx, c.path, formatNumber(post), version)
		if errors.Is(err, kazoo.ErrBadVersion) {
			continue // another writer got in: read again
		}
		if err != nil {
			return 0, 0, fmt.Errorf("recipe: counter %s add: %w", c.path, err)
		}
		return pre, post, nil
	}
}

func parseNumber[T Number](data []byte, def T) (T, error) {
	if len(data) == 0 {
		return def, nil
	}
	s := string(data)
	switch any(def).(type) {
	case int64:
		v, err := strconv.ParseInt(s, 10, 64)
		return T(v), err
	default:
		v, err := strconv.ParseFloat(s, 64)
		return T(v), err
	}
}

// formatNumber writes v as Python's repr does: "5" for an int, "5.0",
// "0.1", "1e+16" for a float.
func formatNumber[T Number](v T) []byte {
	if i, ok := any(v).(int64); ok {
		return strconv.AppendInt(nil, i, 10)
	}
	f := float64(v)
	switch {
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	case math.IsNaN(f):
		return []byte("nan")
	}
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		return []byte(strconv.FormatFloat(f, 'e', -1, 64))
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return []byte(s)
}
