package recipe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kazoo-go/kazoo"
)

// PartitionState is a SetPartitioner's state, with kazoo's names.
type PartitionState int

const (
	// PartitionAllocating: waiting for the party to be stable, then taking
	// the locks of our share.
	PartitionAllocating PartitionState = iota + 1
	// PartitionAcquired: our share is locked; work on Partitions.
	PartitionAcquired
	// PartitionRelease: the party changed, or the connection was
	// suspended or the session lost: stop working and call ReleaseSet.
	PartitionRelease
	// PartitionFailure: the locks could not be released; final.
	PartitionFailure
)

// String returns the state's name, as kazoo spells it.
func (s PartitionState) String() string {
	switch s {
	case PartitionAllocating:
		return "ALLOCATING"
	case PartitionAcquired:
		return "ACQUIRED"
	case PartitionRelease:
		return "RELEASE"
	case PartitionFailure:
		return "FAILURE"
	}
	return fmt.Sprintf("PartitionState(%d)", int(s))
}

// SetPartitioner is kazoo's SetPartitioner: members of a ShallowParty at
// path/party split a set of items between them, each locking its share
// with a kazoo-layout [Lock] at path/locks/<item>. With the default split (sorted
// items [i::n], i our index among the sorted member ids) a Go member and a
// Python member of one party agree on who owns what, and the locks keep
// shares disjoint while they change hands.
//
// Allocation waits until the party has not changed for the time boundary.
// A party change, a suspended connection or a lost session moves the
// state to Release; the member then calls ReleaseSet and allocation starts
// again (kazoo goes to Failure on a lost session; here the membership is
// re-established, so the partitioner recovers).
type SetPartitioner struct {
	client   *kazoo.Client
	path     string
	items    []string
	id       string
	boundary time.Duration
	split    func(id string, members, items []string) []string

	party  *Party
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	state   PartitionState
	changed chan struct{} // closed at the next state change
	parts   []string
	locks   []*Lock
}

// PartitionerOption configures a SetPartitioner.
type PartitionerOption func(*SetPartitioner) error

// WithTimeBoundary sets how long the party must be unchanged before
// allocation (default 30s, as kazoo).
func WithTimeBoundary(d time.Duration) PartitionerOption {
	return func(p *SetPartitioner) error {
		if d < 0 {
			return fmt.Errorf("recipe: WithTimeBoundary(%v): %w", d, kazoo.ErrInvalidArgument)
		}
		p.boundary = d
		return nil
	}
}

// WithPartitionFunc replaces the split: f returns the items of member id.
// Every member must use the same function.
func WithPartitionFunc(f func(id string, members, items []string) []string) PartitionerOption {
	return func(p *SetPartitioner) error {
		if f == nil {
			return fmt.Errorf("recipe: WithPartitionFunc(nil): %w", kazoo.ErrInvalidArgument)
		}
		p.split = f
		return nil
	}
}

// DefaultPartition is kazoo's split: the sorted items from our index among
// the sorted members, every len(members)-th.
func DefaultPartition(id string, members, items []string) []string {
	items, members = slices.Sorted(slices.Values(items)), slices.Sorted(slices.Values(members))
	i := slices.Index(members, id)
	if i < 0 {
		return nil
	}
	var mine []string
	for ; i < len(items); i += len(members) {
		mine = append(mine, items[i])
	}
	return mine
}

// NewSetPartitioner joins the party at path as id and starts allocating
// items. Finish leaves.
func NewSetPartitioner(client *kazoo.Client, path string, items []string, id string, opts ...PartitionerOption) (*SetPartitioner, error) {
	p := &SetPartitioner{client: client, path: path, items: slices.Clone(items), id: id,
		boundary: 30 * time.Second, split: DefaultPartition, state: PartitionAllocating,
		changed: make(chan struct{}), done: make(chan struct{})}
	for _, o := range opts {
		if err := o(p); err != nil {
			return nil, err
		}
	}
	for _, it := range items {
		if err := kazoo.ValidatePath(childPath(childPath(path, "locks"), it)); err != nil {
			return nil, fmt.Errorf("recipe: partitioner item %q: %w", it, err)
		}
	}
	party, err := NewShallowParty(client, childPath(path, "party"), id)
	if err != nil {
		return nil, err
	}
	p.party = party
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go p.run(ctx)
	return p, nil
}

// State returns the current state.
func (p *SetPartitioner) State() PartitionState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Changed returns a channel closed at the next state change.
func (p *SetPartitioner) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// Partitions returns our share while Acquired.
func (p *SetPartitioner) Partitions() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != PartitionAcquired {
		return nil
	}
	return slices.Clone(p.parts)
}

// WaitForAcquire blocks while allocating and returns the state reached.
func (p *SetPartitioner) WaitForAcquire(ctx context.Context) (PartitionState, error) {
	for {
		p.mu.Lock()
		s, ch := p.state, p.changed
		p.mu.Unlock()
		if s != PartitionAllocating {
			return s, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return s, ctx.Err()
		}
	}
}

// ReleaseSet releases our locks and allocates again.
func (p *SetPartitioner) ReleaseSet(ctx context.Context) error {
	if err := p.releaseLocks(ctx); err != nil {
		p.setState(PartitionFailure, nil)
		return err
	}
	p.mu.Lock()
	release := p.state == PartitionRelease
	p.mu.Unlock()
	if release {
		p.setState(PartitionAllocating, nil)
	}
	return nil
}

// Finish releases our locks, leaves the party and stops.
func (p *SetPartitioner) Finish(ctx context.Context) error {
	p.cancel()
	<-p.done
	err := errors.Join(p.releaseLocks(ctx), p.party.Leave(ctx))
	if err != nil {
		return fmt.Errorf("recipe: partitioner finish: %w", err)
	}
	return nil
}

func (p *SetPartitioner) releaseLocks(ctx context.Context) error {
	p.mu.Lock()
	locks := p.locks
	p.locks = nil
	p.mu.Unlock()
	var errs []error
	for _, l := range locks {
		if err := l.Unlock(ctx); err != nil {
			errs = append(errs, err)
			p.mu.Lock()
			p.locks = append(p.locks, l)
			p.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

func (p *SetPartitioner) setState(s PartitionState, parts []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == s || p.state == PartitionFailure {
		return
	}
	p.state, p.parts = s, parts
	close(p.changed)
	p.changed = make(chan struct{})
}

// run allocates whenever the state is Allocating, and watches for what
// ends an allocation.
func (p *SetPartitioner) run(ctx context.Context) {
	defer close(p.done)
	states := p.client.SubscribeStates()
	defer states.Stop()
	if err := p.party.Join(ctx); err != nil {
		return
	}
	for ctx.Err() == nil {
		p.mu.Lock()
		s, ch := p.state, p.changed
		p.mu.Unlock()
		if s != PartitionAllocating {
			select { // wait for ReleaseSet (or Finish, or the client's end)
			case <-ch:
			case st, ok := <-states.C():
				if !ok || st == kazoo.Closed {
					return
				}
			case <-ctx.Done():
			}
			continue
		}
	stale:
		for { // transitions from before this allocation are over
			select {
			case st, ok := <-states.C():
				if !ok || st == kazoo.Closed {
					return
				}
			default:
				break stale
			}
		}
		partyChanged, err := p.allocate(ctx)
		if closedErr(err) {
			return
		}
		if err != nil {
			_ = p.releaseLocks(ctx)
			select { // a pause before trying again
			case <-time.After(50 * time.Millisecond):
			case <-ctx.Done():
			}
			continue
		}
		// Acquired: hold until the party or the connection changes.
	held:
		for {
			select {
			case <-partyChanged:
				break held
			case st, ok := <-states.C():
				if !ok || st == kazoo.Closed {
					// The client is closed: our locks went with its
					// session, and nothing more is to be allocated.
					p.setState(PartitionRelease, nil)
					return
				}
				if st == kazoo.Suspended || st == kazoo.Lost {
					break held
				}
			case <-ctx.Done():
				return
			}
		}
		p.setState(PartitionRelease, nil)
	}
}

// allocate waits for a stable party, locks our share, and moves to
// Acquired; it returns the watch that fires at the party's next change.
func (p *SetPartitioner) allocate(ctx context.Context) (<-chan kazoo.Event, error) {
	partyPath := childPath(p.path, "party")
	var (
		kids    []string
		changed <-chan kazoo.Event
	)
	for {
		var err error
		kids, _, changed, err = p.client.ChildrenW(ctx, partyPath)
		if err != nil {
			return nil, err
		}
		select {
		case <-changed:
			continue
		case <-time.After(p.boundary):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		break
	}
	members, err := p.party.members(ctx, kids)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(members, p.id) {
		return nil, errors.New("recipe: partitioner: our membership is not visible yet")
	}
	share := p.split(p.id, members, p.items)
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The party watch is forwarded: a change during lock acquisition
	// aborts it, a change after it ends the Acquired state.
	fwd := make(chan kazoo.Event, 1)
	go func() {
		select {
		case ev := <-changed:
			fwd <- ev
			cancel()
		case <-ctx.Done():
		}
	}()
	for _, it := range share {
		l, err := NewLock(p.client, childPath(childPath(p.path, "locks"), it), WithIdentifier(p.id))
		if err != nil {
			return nil, err
		}
		if err := l.Lock(actx); err != nil {
			return nil, err
		}
		p.mu.Lock()
		p.locks = append(p.locks, l)
		p.mu.Unlock()
	}
	if actx.Err() != nil {
		return nil, errors.New("recipe: partitioner: party changed during allocation")
	}
	p.setState(PartitionAcquired, share)
	return fwd, nil
}
