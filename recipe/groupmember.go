package recipe

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/kazoo-go/kazoo"
)

// GroupMember is Curator's GroupMember: the member is an ephemeral node
// path/<id> holding its payload, kept by a [PersistentNode] (re-created
// after a session loss, payload changes surviving it). Members maps every
// member's id to its payload.
type GroupMember struct {
	client *kazoo.Client
	path   string
	id     string
	node   *PersistentNode
}

// NewGroupMember joins the group at path as id with payload; it returns at
// once (WaitJoined waits for the node). Close leaves.
func NewGroupMember(client *kazoo.Client, path, id string, payload []byte) (*GroupMember, error) {
	if err := kazoo.ValidatePath(childPath(path, id)); err != nil {
		return nil, fmt.Errorf("recipe: group member %q in %q: %w", id, path, err)
	}
	n, err := NewPersistentNode(client, childPath(path, id), payload)
	if err != nil {
		return nil, err
	}
	return &GroupMember{client: client, path: path, id: id, node: n}, nil
}

// WaitJoined blocks until our node exists, or ctx ends.
func (g *GroupMember) WaitJoined(ctx context.Context) error { return g.node.WaitCreated(ctx) }

// SetPayload changes our payload (see [PersistentNode.SetData]).
func (g *GroupMember) SetPayload(ctx context.Context, payload []byte) error {
	return g.node.SetData(ctx, payload)
}

// Members returns every member's id and payload.
func (g *GroupMember) Members(ctx context.Context) (map[string][]byte, error) {
	kids, _, err := g.client.Children(ctx, g.path)
	if errors.Is(err, kazoo.ErrNoNode) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recipe: group members %s: %w", g.path, err)
	}
	return g.members(ctx, kids)
}

func (g *GroupMember) members(ctx context.Context, kids []string) (map[string][]byte, error) {
	futs := make([]*kazoo.Future[kazoo.GetResult], len(kids))
	for i, k := range kids {
		futs[i] = g.client.GetAsync(ctx, childPath(g.path, k))
	}
	m := make(map[string][]byte, len(kids))
	for i, f := range futs {
		r, err := f.Result()
		if errors.Is(err, kazoo.ErrNoNode) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("recipe: group members %s: %w", g.path, err)
		}
		m[kids[i]] = r.Data
	}
	return m, nil
}

// Watch yields the members now and after every change of membership or
// payload (a persistent recursive watch, ZooKeeper 3.6+, as Curator's
// cache uses), until ctx ends or the loop stops; an error ends it.
func (g *GroupMember) Watch(ctx context.Context) iter.Seq2[map[string][]byte, error] {
	return func(yield func(map[string][]byte, error) bool) {
		w, err := g.client.AddWatch(ctx, g.path, true)
		if err != nil {
			if ctx.Err() == nil {
				yield(nil, fmt.Errorf("recipe: group watch %s: %w", g.path, err))
			}
			return
		}
		defer func() { w.Close() }()
		for {
			m, err := g.Members(ctx)
			if ctx.Err() != nil || !yield(m, err) || err != nil {
				return
			}
			var ev kazoo.Event
			select {
			case e, ok := <-w.Events():
				if !ok {
					return
				}
				ev = e
			case <-ctx.Done():
				return
			}
			if ev.Type != kazoo.EventNotWatching {
				ev = drain(w.Events()) // one read covers every change queued so far
			}
			if ev.Type != kazoo.EventNotWatching {
				continue
			}
			if !errors.Is(ev.Err, kazoo.ErrSessionExpired) {
				if ctx.Err() == nil {
					yield(nil, fmt.Errorf("recipe: group watch %s ended: %w", g.path, ev.Err))
				}
				return
			}
			w.Close() // the watch died with the session: set it again
			if w, err = g.client.AddWatch(ctx, g.path, true); err != nil {
				if ctx.Err() == nil {
					yield(nil, fmt.Errorf("recipe: group watch %s: %w", g.path, err))
				}
				return
			}
		}
	}
}

// Close leaves the group: our node is deleted.
func (g *GroupMember) Close(ctx context.Context) error { return g.node.Close(ctx) }
