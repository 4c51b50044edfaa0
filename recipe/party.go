package recipe

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/kazoo-go/kazoo"
)

// Party is kazoo's Party: a group of members, each an ephemeral node
// path/<uuid>__party__ holding the member's id. Members see each other with
// Members and follow changes with Watch. A membership survives reconnects
// and is re-established after a session loss (a [PersistentNode]).
type Party struct {
	client  *kazoo.Client
	path    string
	id      string
	name    string // our node's name
	shallow bool

	mu   sync.Mutex
	node *PersistentNode
}

// ShallowParty is kazoo's ShallowParty: members are ephemeral nodes
// path/<uuid>-<id>, read from the names alone (one round trip for all).
type ShallowParty = Party

// NewParty returns a kazoo Party at path for the member id.
func NewParty(client *kazoo.Client, path, id string) (*Party, error) {
	return newParty(client, path, id, false)
}

// NewShallowParty returns a kazoo ShallowParty at path for the member id.
func NewShallowParty(client *kazoo.Client, path, id string) (*ShallowParty, error) {
	return newParty(client, path, id, true)
}

func newParty(client *kazoo.Client, path, id string, shallow bool) (*Party, error) {
	if err := kazoo.ValidatePath(path); err != nil {
		return nil, fmt.Errorf("recipe: party %q: %w", path, err)
	}
	p := &Party{client: client, path: path, id: id, shallow: shallow}
	if shallow {
		p.name = newUUID(false) + "-" + id
		if err := kazoo.ValidatePath(childPath(path, p.name)); err != nil {
			return nil, fmt.Errorf("recipe: shallow party member id %q: %w", id, err)
		}
	} else {
		p.name = newUUID(false) + "__party__"
	}
	return p, nil
}

// Join makes us a member and returns once our node exists. Joining twice
// does nothing.
func (p *Party) Join(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.node != nil {
		return nil
	}
	n, err := NewPersistentNode(p.client, childPath(p.path, p.name), []byte(p.id))
	if err != nil {
		return err
	}
	if err := n.WaitCreated(ctx); err != nil {
		_ = n.Close(context.WithoutCancel(ctx))
		return fmt.Errorf("recipe: party join %s: %w", p.path, err)
	}
	p.node = n
	return nil
}

// Leave ends our membership and deletes our node.
func (p *Party) Leave(ctx context.Context) error {
	p.mu.Lock()
	n := p.node
	p.node = nil
	p.mu.Unlock()
	if n == nil {
		return nil
	}
	return n.Close(ctx)
}

// Members returns the ids of the current members, sorted.
func (p *Party) Members(ctx context.Context) ([]string, error) {
	kids, _, err := p.client.Children(ctx, p.path)
	if errors.Is(err, kazoo.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recipe: party members %s: %w", p.path, err)
	}
	return p.members(ctx, kids)
}

func (p *Party) members(ctx context.Context, kids []string) ([]string, error) {
	var ids []string
	if p.shallow {
		for _, k := range kids {
			if _, id, ok := strings.Cut(k, "-"); ok {
				ids = append(ids, id)
			}
		}
	} else {
		var futs []*kazoo.Future[kazoo.GetResult]
		for _, k := range kids {
			if strings.Contains(k, "__party__") {
				futs = append(futs, p.client.GetAsync(ctx, childPath(p.path, k)))
			}
		}
		for _, f := range futs {
			r, err := f.Result()
			if errors.Is(err, kazoo.ErrNoNode) {
				continue // left meanwhile
			}
			if err != nil {
				return nil, fmt.Errorf("recipe: party members %s: %w", p.path, err)
			}
			ids = append(ids, string(r.Data))
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Len returns the number of members.
func (p *Party) Len(ctx context.Context) (int, error) {
	m, err := p.Members(ctx)
	return len(m), err
}

// Watch yields the sorted member ids now and after every change, until ctx
// ends or the loop stops; an error ends it.
func (p *Party) Watch(ctx context.Context) iter.Seq2[[]string, error] {
	return watchMembers(ctx, p.client, p.path, p.members)
}
