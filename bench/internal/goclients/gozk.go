package goclients

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kazoo-go/kazoo/bench/internal/workload"
)

// gozk runs the workloads on github.com/go-zookeeper/zk, which has only a
// synchronous API: concurrency comes from goroutines.
type gozk struct {
	c     *zk.Conn
	chans []<-chan zk.Event
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

func dialGoZK(addr string) (workload.Runner, error) {
	c, events, err := zk.Connect([]string{addr}, sessionTimeout, zk.WithLogger(quietLogger{}))
	if err != nil {
		return nil, err
	}
	deadline, stop := timer(30 * time.Second)
	defer stop()
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return &gozk{c: c}, nil
			}
		case <-deadline:
			c.Close()
			return nil, errors.New("no session within 30s")
		}
	}
}

func (g *gozk) Close() error {
	g.c.Close()
	return nil
}

func (g *gozk) SeqGet(b *workload.Budget, path string, lat []time.Duration) (int, error) {
	for i := range lat {
		if b.Expired() {
			return i, nil
		}
		t := time.Now()
		if _, _, err := g.c.Get(path); err != nil {
			return i, err
		}
		lat[i] = time.Since(t)
	}
	return len(lat), nil
}

func (g *gozk) Read(b *workload.Budget, path string, ops, inflight int) (int, error) {
	return parallel(b, ops, inflight, func(int) error {
		_, _, err := g.c.Get(path)
		return err
	})
}

func (g *gozk) CreateDelete(b *workload.Budget, prefix string, ops, inflight int) (int, error) {
	acl := zk.WorldACL(zk.PermAll)
	n, err := parallel(b, ops/2, inflight, func(int) error {
		p, err := g.c.Create(prefix, nil, zk.FlagEphemeralSequential, acl)
		if err != nil {
			return err
		}
		return g.c.Delete(p, -1)
	})
	return 2 * n, err
}

func (g *gozk) SetWatches(b *workload.Budget, paths []string, inflight int) error {
	g.chans = make([]<-chan zk.Event, len(paths))
	n, err := parallel(b, len(paths), inflight, func(i int) error {
		_, _, ch, err := g.c.GetW(paths[i])
		g.chans[i] = ch
		return err
	})
	if err == nil && n < len(paths) {
		err = fmt.Errorf("set %d of %d watches before the timeout", n, len(paths))
	}
	return err
}

func (g *gozk) FireWatches(paths []string, batch int) (int, error) {
	data := []byte("x")
	for start := 0; start < len(paths); start += batch {
		var ops []any
		for _, p := range paths[start:min(start+batch, len(paths))] {
			ops = append(ops, &zk.SetDataRequest{Path: p, Data: data, Version: -1})
		}
		if _, err := g.c.Multi(ops...); err != nil {
			return 0, fmt.Errorf("multi: %w", err)
		}
	}
	deadline, stop := timer(eventWait)
	defer stop()
	for i, ch := range g.chans {
		select {
		case ev := <-ch:
			if ev.Type != zk.EventNodeDataChanged {
				return i, fmt.Errorf("event %v on %s, want NodeDataChanged", ev.Type, ev.Path)
			}
		case <-deadline:
			return i, errEventTimeout
		}
	}
	n := len(g.chans)
	g.chans = nil
	return n, nil
}
