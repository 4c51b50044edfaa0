package recipe

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/kazoo-go/kazoo"
)

// SimpleDistributedQueue is Curator's SimpleDistributedQueue: items are
// persistent-sequential nodes path/qn-<seq> holding the item's bytes, taken
// in sequence order by read-then-delete (exactly one consumer, Go or Java,
// gets each). Offer puts; Take blocks on a child watch while the queue is
// empty; Poll does not block. Children without the qn- prefix are left
// alone, as Curator does.
type SimpleDistributedQueue struct {
	q *seqQueue
}

// NewSimpleDistributedQueue returns Curator's simple queue at path.
func NewSimpleDistributedQueue(client *kazoo.Client, path string) (*SimpleDistributedQueue, error) {
	q, err := newSeqQueue(client, path, "qn-", seqOnly("qn-"))
	if err != nil {
		return nil, err
	}
	return &SimpleDistributedQueue{q: q}, nil
}

// Offer adds an item.
func (s *SimpleDistributedQueue) Offer(ctx context.Context, item []byte) error {
	return s.q.put(ctx, "qn-", item)
}

// Take removes and returns the head, waiting while the queue is empty.
func (s *SimpleDistributedQueue) Take(ctx context.Context) ([]byte, error) {
	item, _, err := s.q.take(ctx, true)
	return item, err
}

// Poll removes and returns the head if there is one.
func (s *SimpleDistributedQueue) Poll(ctx context.Context) ([]byte, bool, error) {
	return s.q.take(ctx, false)
}

// seqOnly parses "<prefix><seq>".
func seqOnly(prefix string) func(string) (queueKey, bool) {
	return func(name string) (queueKey, bool) {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			return queueKey{}, false
		}
		seq, ok := parseSeq(rest)
		return queueKey{seq: seq}, ok
	}
}

// DistributedQueue is the layout of Curator's DistributedQueue: items are
// persistent-sequential nodes path/queue-<seq>, each holding one or more
// items in Curator's framing (a 4-byte version 0x00010001, then per item a
// 0x01 byte, a 4-byte length and the item, then a 0x02 byte). Put writes
// one item per node, PutMulti several in one node; Get returns the items of
// the next node. A node whose framing is wrong is left in place and
// reported as an error wrapping [ErrBadValue]; the queue goes on with the
// next node.
//
// Only the layout is shared: Curator's consumer runs in a background
// thread with a QueueConsumer; here the caller takes items with Get.
type DistributedQueue struct {
	q *seqQueue
}

// NewDistributedQueue returns Curator's DistributedQueue layout at path.
func NewDistributedQueue(client *kazoo.Client, path string) (*DistributedQueue, error) {
	q, err := newSeqQueue(client, path, "queue-", seqOnly("queue-"))
	if err != nil {
		return nil, err
	}
	q.valid = func(b []byte) error { _, err := decodeMultiItem(b); return err }
	return &DistributedQueue{q: q}, nil
}

// Put adds one item.
func (d *DistributedQueue) Put(ctx context.Context, item []byte) error {
	return d.PutMulti(ctx, item)
}

// PutMulti adds items in one node: consumers get them together.
func (d *DistributedQueue) PutMulti(ctx context.Context, items ...[]byte) error {
	return d.q.put(ctx, "queue-", encodeMultiItem(items))
}

// Get removes the next node, waiting while there is none, and returns its
// items. A node that is not in Curator's framing is left in place and
// reported once as an error wrapping [ErrBadValue]; the next Get goes on
// with the following node.
func (d *DistributedQueue) Get(ctx context.Context) ([][]byte, error) {
	data, _, err := d.q.take(ctx, true)
	if err != nil {
		return nil, err
	}
	return decodeMultiItem(data)
}

const (
	multiItemVersion = 0x00010001
	itemOpcode       = 0x01
	eofOpcode        = 0x02
)

func encodeMultiItem(items [][]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, multiItemVersion)
	for _, it := range items {
		b = append(b, itemOpcode)
		b = binary.BigEndian.AppendUint32(b, uint32(len(it)))
		b = append(b, it...)
	}
	return append(b, eofOpcode)
}

var errFraming = errors.New("not Curator's queue item framing")

func decodeMultiItem(b []byte) ([][]byte, error) {
	if len(b) < 4 || binary.BigEndian.Uint32(b) != multiItemVersion {
		return nil, fmt.Errorf("%w: bad version", errFraming)
	}
	var items [][]byte
	r := b[4:]
	for {
		if len(r) == 0 {
			return nil, fmt.Errorf("%w: no end marker", errFraming)
		}
		op := r[0]
		r = r[1:]
		switch op {
		case eofOpcode:
			return items, nil
		case itemOpcode:
			if len(r) < 4 {
				return nil, fmt.Errorf("%w: truncated length", errFraming)
			}
			n := binary.BigEndian.Uint32(r)
			r = r[4:]
			if uint64(n) > uint64(len(r)) {
				return nil, fmt.Errorf("%w: item of %d bytes, %d left", errFraming, n, len(r))
			}
			items = append(items, bytes.Clone(r[:n]))
			r = r[n:]
		default:
			return nil, fmt.Errorf("%w: opcode %#x", errFraming, op)
		}
	}
}
