package recipe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kazoo-go/kazoo"
)

// Queue is kazoo's Queue: items are persistent-sequential nodes
// path/entry-<ppp>-<seq> holding the item's bytes, ppp a priority 000-999
// (lower first), then in order of arrival. Get takes the first item, reads
// and deletes it: whoever deletes it owns it, so each item goes to exactly
// one consumer, Go or Python. Get blocks on a child watch while the queue
// is empty (no polling); TryGet does not block.
//
// A child whose name is not an entry (a foreign node) is logged once and
// left alone: kazoo's own consumer would take it, ours does not.
//
// If the connection is lost while an item is being deleted, Get returns an
// error wrapping kazoo.ErrConnectionLoss and the item may be gone: a queue
// on ZooKeeper delivers at most once in that case.
type Queue struct {
	q *seqQueue
}

// NewQueue returns the kazoo queue at path.
func NewQueue(client *kazoo.Client, path string) (*Queue, error) {
	q, err := newSeqQueue(client, path, "entry-", parseEntry)
	if err != nil {
		return nil, err
	}
	return &Queue{q: q}, nil
}

// DefaultPriority is kazoo's default priority.
const DefaultPriority = 100

// Put adds an item with the default priority.
func (q *Queue) Put(ctx context.Context, item []byte) error {
	return q.PutPriority(ctx, item, DefaultPriority)
}

// PutPriority adds an item with priority 0 (first) to 999.
func (q *Queue) PutPriority(ctx context.Context, item []byte, priority int) error {
	if priority < 0 || priority > 999 {
		return fmt.Errorf("recipe: queue put: %w: priority %d not in 0..999", kazoo.ErrInvalidArgument, priority)
	}
	return q.q.put(ctx, fmt.Sprintf("entry-%03d-", priority), item)
}

// Get takes the next item, waiting for one while the queue is empty.
func (q *Queue) Get(ctx context.Context) ([]byte, error) {
	item, _, err := q.q.take(ctx, true)
	return item, err
}

// TryGet takes the next item if there is one.
func (q *Queue) TryGet(ctx context.Context) ([]byte, bool, error) { return q.q.take(ctx, false) }

// Len returns the number of items (entries; foreign children excluded).
func (q *Queue) Len(ctx context.Context) (int, error) { return q.q.len(ctx) }

// parseEntry reads "entry-<ppp>-<seq>" into its sort key.
func parseEntry(name string) (queueKey, bool) {
	rest, ok := strings.CutPrefix(name, "entry-")
	if !ok || len(rest) < 14 || rest[3] != '-' {
		return queueKey{}, false
	}
	p, err := strconv.Atoi(rest[:3])
	if err != nil || p < 0 {
		return queueKey{}, false
	}
	seq, ok := parseSeq(rest[4:])
	if !ok {
		return queueKey{}, false
	}
	return queueKey{prio: p, seq: seq}, true
}

// queueKey orders queue entries: priority, then sequence as an integer.
type queueKey struct {
	prio int
	seq  int32
}

// seqQueue is the machinery shared by the queues whose items are
// sequential children of one node, taken by read-then-delete.
type seqQueue struct {
	client *kazoo.Client
	path   string
	prefix string
	parse  func(name string) (queueKey, bool)
	valid  func(data []byte) error // if set, checked before an item is deleted

	mu       sync.Mutex
	pending  []string  // sorted entries of the last listing, not yet tried
	listedAt time.Time // when that listing was sent
	foreign  map[string]bool
}

func newSeqQueue(client *kazoo.Client, path, prefix string, parse func(string) (queueKey, bool)) (*seqQueue, error) {
	if err := kazoo.ValidatePath(path); err != nil {
		return nil, fmt.Errorf("recipe: queue %q: %w", path, err)
	}
	return &seqQueue{client: client, path: path, prefix: prefix, parse: parse, foreign: map[string]bool{}}, nil
}

func (q *seqQueue) put(ctx context.Context, name string, item []byte) error {
	_, _, err := q.client.Create(ctx, childPath(q.path, name), item,
		kazoo.WithMode(kazoo.ModePersistentSequential), kazoo.WithParents())
	if err != nil {
		return fmt.Errorf("recipe: queue %s put: %w", q.path, err)
	}
	return nil
}

// entries sorts the children that are entries, and reports the others
// once each.
func (q *seqQueue) entries(kids []string) []string {
	type kv struct {
		name string
		key  queueKey
	}
	es := make([]kv, 0, len(kids))
	for _, k := range kids {
		key, ok := q.parse(k)
		q.mu.Lock()
		known := q.foreign[k]
		q.mu.Unlock()
		if known {
			continue
		}
		if !ok {
			q.mu.Lock()
			if !q.foreign[k] {
				q.foreign[k] = true
				slog.Warn("recipe: queue: ignoring a child that is not an entry", "queue", q.path, "child", k)
			}
			q.mu.Unlock()
			continue
		}
		es = append(es, kv{k, key})
	}
	slices.SortFunc(es, func(a, b kv) int {
		if a.key.prio != b.key.prio {
			return a.key.prio - b.key.prio
		}
		return compareSeq(a.key.seq, b.key.seq)
	})
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.name
	}
	return names
}

func (q *seqQueue) len(ctx context.Context) (int, error) {
	kids, _, err := q.client.Children(ctx, q.path)
	if errors.Is(err, kazoo.ErrNoNode) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("recipe: queue %s: %w", q.path, err)
	}
	return len(q.entries(kids)), nil
}

// take returns the first item it manages to delete. It tries the entries
// of a listing in order, and shares the listing with the takes that run
// concurrently in this process, so that consumers neither list the queue
// once per lost race nor all race for its head. A take only uses a listing
// sent after it started, so that an item put before a take started is
// seen by it (priorities hold as in kazoo).
func (q *seqQueue) take(ctx context.Context, block bool) ([]byte, bool, error) {
	start := time.Now()
	watch := false // list with a watch only once a plain listing found nothing
	delay := minDelay
	for {
		if name, ok := q.next(start); ok {
			p := childPath(q.path, name)
			if q.valid != nil {
				data, ok, err := q.takeValid(ctx, name)
				if err != nil || ok {
					return data, ok, err
				}
				continue
			}
			// Read and delete in one round trip: the delete decides who
			// owns the item.
			get := q.client.GetAsync(ctx, p)
			del := q.client.DeleteAsync(ctx, p, kazoo.AnyVersion)
			r, gerr := get.Result()
			_, derr := del.Result()
			switch {
			case derr == nil && gerr == nil:
				return r.Data, true, nil
			case derr == nil:
				return nil, false, fmt.Errorf("recipe: queue %s: item %s deleted but not read: %w", q.path, name, gerr)
			case errors.Is(derr, kazoo.ErrNoNode):
				continue // taken by another consumer
			default:
				return nil, false, fmt.Errorf("recipe: queue %s get: %w", q.path, derr)
			}
		}
		var (
			kids []string
			ch   <-chan kazoo.Event
			err  error
		)
		listed := time.Now()
		if watch {
			kids, _, ch, err = q.client.ChildrenW(ctx, q.path)
		} else {
			kids, _, err = q.client.Children(ctx, q.path)
		}
		if errors.Is(err, kazoo.ErrNoNode) {
			if !block {
				return nil, false, nil
			}
			if !watch {
				watch = true
				continue
			}
			var ok bool
			if ok, _, ch, err = q.client.ExistsW(ctx, q.path); err == nil && ok {
				continue
			}
		}
		if retryable(err) && pause(ctx, &delay) {
			continue // a listing is safe to repeat
		}
		if err != nil {
			return nil, false, fmt.Errorf("recipe: queue %s get: %w", q.path, err)
		}
		if es := q.entries(kids); len(es) > 0 {
			q.mu.Lock()
			if listed.After(q.listedAt) {
				q.pending, q.listedAt = es, listed
			}
			q.mu.Unlock()
			start = listed // our own listing is fresh enough, and so is a newer one
			watch = false
			continue
		}
		if !block {
			return nil, false, nil
		}
		if !watch { // empty: list again, this time with a watch
			watch = true
			continue
		}
		watch = false
		if _, err := wait(ctx, ch); err != nil {
			return nil, false, fmt.Errorf("recipe: queue %s get: %w", q.path, err)
		}
	}
}

// takeValid reads the entry, checks it, and deletes it only if it is valid
// and unchanged; an invalid entry is left in place and skipped from then on.
func (q *seqQueue) takeValid(ctx context.Context, name string) ([]byte, bool, error) {
	p := childPath(q.path, name)
	data, st, err := q.client.Get(ctx, p)
	if errors.Is(err, kazoo.ErrNoNode) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("recipe: queue %s get: %w", q.path, err)
	}
	if verr := q.valid(data); verr != nil {
		q.mu.Lock()
		q.foreign[name] = true
		q.mu.Unlock()
		return nil, false, badValue(p, data, verr)
	}
	err = q.client.Delete(ctx, p, st.Version)
	if errors.Is(err, kazoo.ErrNoNode) || errors.Is(err, kazoo.ErrBadVersion) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("recipe: queue %s get: %w", q.path, err)
	}
	return data, true, nil
}

// next pops the next entry of the shared listing, if that listing was
// sent at or after since.
func (q *seqQueue) next(since time.Time) (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 || q.listedAt.Before(since) {
		return "", false
	}
	n := q.pending[0]
	q.pending = q.pending[1:]
	return n, true
}
