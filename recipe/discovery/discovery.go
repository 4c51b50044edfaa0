package discovery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/recipe"
)

// ServiceDiscovery registers this process's instances under a base path and
// queries everyone's, in Curator's layout base/<name>/<id>.
type ServiceDiscovery struct {
	client *kazoo.Client
	base   string

	mu   sync.Mutex
	regs map[string]*recipe.PersistentNode // by instance path
}

// New returns the service discovery at base.
func New(client *kazoo.Client, base string) (*ServiceDiscovery, error) {
	if err := kazoo.ValidatePath(base); err != nil {
		return nil, fmt.Errorf("discovery: base %q: %w", base, err)
	}
	return &ServiceDiscovery{client: client, base: base, regs: map[string]*recipe.PersistentNode{}}, nil
}

func (d *ServiceDiscovery) servicePath(name string) string { return kazoo.JoinPath(d.base, name) }

func (d *ServiceDiscovery) instancePath(name, id string) string {
	return kazoo.JoinPath(d.base, name, id)
}

// Register registers in and returns once its node exists. A dynamic
// instance lives as long as this process's session, and is registered
// again in the next session after a session loss. RegistrationTimeUTC is
// set to now when zero; Address defaults to nothing (set it).
func (d *ServiceDiscovery) Register(ctx context.Context, in Instance) error {
	if in.ServiceType == "" {
		in.ServiceType = Dynamic
	}
	if err := in.validate(); err != nil {
		return err
	}
	if in.RegistrationTimeUTC == 0 {
		in.RegistrationTimeUTC = time.Now().UnixMilli()
	}
	data, err := in.encode()
	if err != nil {
		return fmt.Errorf("discovery: register %s: %w", in.ID, err)
	}
	path := d.instancePath(in.Name, in.ID)
	if err := kazoo.ValidatePath(path); err != nil {
		return fmt.Errorf("discovery: register %s: %w", in.ID, err)
	}
	mode := kazoo.ModeEphemeral
	if in.ServiceType == Static || in.ServiceType == Permanent {
		mode = kazoo.ModePersistent
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := d.regs[path]; n != nil {
		return n.SetData(ctx, data)
	}
	n, err := recipe.NewPersistentNode(d.client, path, data, recipe.WithNodeMode(mode))
	if err != nil {
		return err
	}
	if err := n.WaitCreated(ctx); err != nil {
		_ = n.Close(context.WithoutCancel(ctx))
		return fmt.Errorf("discovery: register %s: %w", in.ID, err)
	}
	d.regs[path] = n
	return nil
}

// Update changes a registered instance's data.
func (d *ServiceDiscovery) Update(ctx context.Context, in Instance) error {
	d.mu.Lock()
	registered := d.regs[d.instancePath(in.Name, in.ID)] != nil
	d.mu.Unlock()
	if !registered {
		return fmt.Errorf("discovery: update %s/%s: not registered here", in.Name, in.ID)
	}
	return d.Register(ctx, in)
}

// Unregister removes a registered instance.
func (d *ServiceDiscovery) Unregister(ctx context.Context, in Instance) error {
	path := d.instancePath(in.Name, in.ID)
	d.mu.Lock()
	n := d.regs[path]
	delete(d.regs, path)
	d.mu.Unlock()
	if n == nil {
		return nil
	}
	return n.Close(ctx)
}

// Close unregisters every instance registered here.
func (d *ServiceDiscovery) Close(ctx context.Context) error {
	d.mu.Lock()
	regs := d.regs
	d.regs = map[string]*recipe.PersistentNode{}
	d.mu.Unlock()
	var errs []error
	for _, n := range regs {
		errs = append(errs, n.Close(ctx))
	}
	return errors.Join(errs...)
}

// Names returns the names of the services that have (or had) instances.
func (d *ServiceDiscovery) Names(ctx context.Context) ([]string, error) {
	kids, _, err := d.client.Children(ctx, d.base)
	if errors.Is(err, kazoo.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("discovery: names: %w", err)
	}
	slices.Sort(kids)
	return kids, nil
}

// Instances returns the instances of service name, sorted by id. Nodes
// that are not instances (JSON that does not parse) are left alone and
// reported in an error wrapping recipe.ErrBadValue, returned with the
// instances that could be read.
func (d *ServiceDiscovery) Instances(ctx context.Context, name string) ([]Instance, error) {
	kids, _, err := d.client.Children(ctx, d.servicePath(name))
	if errors.Is(err, kazoo.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("discovery: instances of %s: %w", name, err)
	}
	slices.Sort(kids)
	futs := make([]*kazoo.Future[kazoo.GetResult], len(kids))
	for i, k := range kids {
		futs[i] = d.client.GetAsync(ctx, d.instancePath(name, k))
	}
	var (
		out  []Instance
		errs []error
	)
	for i, f := range futs {
		r, err := f.Result()
		if errors.Is(err, kazoo.ErrNoNode) {
			continue // unregistered meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("discovery: instances of %s: %w", name, err)
		}
		in, err := decodeInstance(d.instancePath(name, kids[i]), r.Data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, in)
	}
	return out, errors.Join(errs...)
}

// Instance returns one instance; kazoo.ErrNoNode when it does not exist.
func (d *ServiceDiscovery) Instance(ctx context.Context, name, id string) (Instance, error) {
	path := d.instancePath(name, id)
	data, _, err := d.client.Get(ctx, path)
	if err != nil {
		return Instance{}, fmt.Errorf("discovery: instance %s/%s: %w", name, id, err)
	}
	return decodeInstance(path, data)
}
