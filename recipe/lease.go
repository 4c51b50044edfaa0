package recipe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/kazoo-go/kazoo"
)

// Leases are kazoo's NonBlockingLease and MultiNonBlockingLease: a lease is
// the persistent node "path/lease_holder" holding
// {"version": 1, "holder": "<id>", "end": "YYYY-MM-DDTHH:MM:SS"} (UTC),
// written byte for byte as kazoo writes it, and taken under a kazoo-layout
// Lock at path. Leases use the clocks of their holders, which must roughly
// agree; they are not fenced, and nothing tells a holder that its lease
// ended: use them for "run this job on one host per period", not for
// mutual exclusion.

const (
	leaseVersion = 1
	leaseTime    = "2006-01-02T15:04:05" // kazoo's "%Y-%m-%dT%H:%M:%S", naive UTC
)

// NonBlockingLease tries once to obtain (or, when id holds it, renew) the
// lease at path for d, and reports whether it did. It waits only for the
// short-lived lock that guards the lease.
func NonBlockingLease(ctx context.Context, c *kazoo.Client, path string, d time.Duration, id string) (bool, error) {
	if err := checkClient("NonBlockingLease", c, path); err != nil {
		return false, err
	}
	if d <= 0 {
		return false, fmt.Errorf("recipe: NonBlockingLease %s: duration %v: %w", path, d, kazoo.ErrInvalidArgument)
	}
	lock, err := NewLock(c, path, WithIdentifier(id), WithLossPolicy(SessionPolicy))
	if err != nil {
		return false, err
	}
	if err := lock.Lock(ctx); err != nil {
		return false, err
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	holder := kazoo.JoinPath(path, "lease_holder")
	now := time.Now().UTC()
	txn, err := lock.Txn()
	if err != nil {
		return false, err
	}
	data, st, err := c.Get(ctx, holder)
	switch {
	case errors.Is(err, kazoo.ErrNoNode):
	case err != nil:
		return false, err
	default:
		var cur struct {
			Version int    `json:"version"`
			Holder  string `json:"holder"`
			End     string `json:"end"`
		}
		if err := json.Unmarshal(data, &cur); err != nil {
			return false, fmt.Errorf("recipe: %s holds %q, not a lease: %w", holder, data, ErrForeignLayout)
		}
		if cur.Version != leaseVersion {
			return false, nil // a newer format: let its writers decide, as kazoo does
		}
		end, err := time.Parse(leaseTime, cur.End)
		if err != nil {
			return false, fmt.Errorf("recipe: %s ends %q: %w", holder, cur.End, ErrForeignLayout)
		}
		if cur.Holder != id && now.Before(end) {
			return false, nil
		}
		txn.Delete(holder, st.Version)
	}
	if _, err := txn.Create(holder, encodeLease(id, now.Add(d))).Commit(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// MultiNonBlockingLease tries the leases path/0 ... path/<count-1> in
// turn and reports whether it obtained (or renewed) one of them.
func MultiNonBlockingLease(ctx context.Context, c *kazoo.Client, count int, path string, d time.Duration, id string) (bool, error) {
	if count < 1 {
		return false, fmt.Errorf("recipe: MultiNonBlockingLease %s: count %d: %w", path, count, kazoo.ErrInvalidArgument)
	}
	for i := range count {
		ok, err := NonBlockingLease(ctx, c, kazoo.JoinPath(path, strconv.Itoa(i)), d, id)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// encodeLease writes the lease as Python's json.dumps does: ", " and ": "
// separators, keys in kazoo's order, non-ASCII escaped as \uXXXX.
func encodeLease(holder string, end time.Time) []byte {
	var b strings.Builder
	b.WriteString(`{"version": 1, "holder": "`)
	for _, r := range holder {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r > 0x7f:
			if r > 0xffff {
				hi, lo := utf16.EncodeRune(r)
				fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(`", "end": "`)
	b.WriteString(end.UTC().Format(leaseTime))
	b.WriteString(`"}`)
	return []byte(b.String())
}
