package cache

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kazoo-go/kazoo"
)

// reading is one read of a watched node: its data or its children.
type reading struct {
	data   []byte
	names  []string
	stat   kazoo.Stat
	exists bool
	event  *kazoo.Event // the event that led to the read; nil for the first and for re-reads after a reconnect
}

// what a follower watches.
type watchKind int

const (
	watchData watchKind = iota
	watchChildren
)

// follower keeps reading one node with one-shot watches, as kazoo's
// DataWatch and ChildrenWatch do, and hands on each reading that differs
// from the last one handed on: by existence, czxid (a node created again)
// and mzxid (data) or cversion (children). Reconnects re-read the node, so
// a change the watch would have missed is caught, and counted once.
type follower struct {
	c      *kazoo.Client
	path   string
	kind   watchKind
	emit   func(reading)
	cancel context.CancelFunc
	done   chan struct{}
	last   *reading
}

func startFollower(c *kazoo.Client, path string, kind watchKind, emit func(reading)) (*follower, error) {
	if err := kazoo.ValidatePath(path); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{c: c, path: path, kind: kind, emit: emit, cancel: cancel, done: make(chan struct{})}
	states := c.SubscribeStates()
	go f.run(ctx, states)
	return f, nil
}

// stop ends the follower and waits for it, unless called from its own emit.
func (f *follower) stop(wait bool) {
	f.cancel()
	if wait {
		<-f.done
	}
}

func (f *follower) run(ctx context.Context, states *kazoo.StateSubscription) {
	defer close(f.done)
	defer states.Stop()
	defer f.removeWatch()
	var ev *kazoo.Event
	prev := kazoo.Connected
	for ctx.Err() == nil {
		r, ch, err := f.read(ctx, true)
		if err != nil {
			if !retryable(ctx, err) || !pause(ctx, 50*time.Millisecond) {
				return
			}
			continue
		}
		r.event = ev
		f.offer(r)
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return
			case e := <-ch:
				ev, waiting = nil, false
				if e.Type > 0 && e.Type <= kazoo.EventNodeChildrenChanged {
					ev = &e // a change; not the end of a session or a removed watch
				}
			case s, ok := <-states.C():
				if !ok {
					return
				}
				if s == kazoo.Connected && (prev == kazoo.Suspended || prev == kazoo.Lost) {
					// Our watch is still set (or ends with the lost
					// session): read without setting another.
					if r, _, err := f.read(ctx, false); err == nil {
						f.offer(r)
					}
				}
				prev = s
			}
		}
	}
}

// offer hands r on if it differs from the last reading handed on.
func (f *follower) offer(r reading) {
	if l := f.last; l != nil && l.exists == r.exists && (!r.exists || f.same(l.stat, r.stat)) {
		return
	}
	f.last = &r
	f.emit(r)
}

// same reports whether two Stats show the same version of what is watched:
// the same node (czxid), and the same data (mzxid) or children (cversion).
func (f *follower) same(a, b kazoo.Stat) bool {
	if f.kind == watchData {
		return a.Czxid == b.Czxid && a.Mzxid == b.Mzxid
	}
	return a.Czxid == b.Czxid && a.Cversion == b.Cversion
}

// read reads the node, with a watch if asked: on the data or children, or
// on its creation when it is absent.
func (f *follower) read(ctx context.Context, watch bool) (reading, <-chan kazoo.Event, error) {
	for {
		var r reading
		var ch <-chan kazoo.Event
		var err error
		switch {
		case f.kind == watchData && watch:
			r.data, r.stat, ch, err = f.c.GetW(ctx, f.path)
		case f.kind == watchData:
			r.data, r.stat, err = f.c.Get(ctx, f.path)
		case watch:
			r.names, r.stat, ch, err = f.c.ChildrenW(ctx, f.path)
		default:
			r.names, r.stat, err = f.c.Children(ctx, f.path)
		}
		if !errors.Is(err, kazoo.ErrNoNode) {
			slices.Sort(r.names)
			r.exists = err == nil
			return r, ch, err
		}
		if !watch {
			return reading{}, nil, nil
		}
		exists, _, ch, err := f.c.ExistsW(ctx, f.path)
		if err != nil || !exists {
			return reading{}, ch, err
		}
		// Created meanwhile: its exists watch fires for the next change,
		// which the data or children watch set now catches too.
	}
}

// removeWatch takes the watch off the server (3.5+) so that a stopped
// watch leaves nothing behind. Like Curator's, it removes this client's
// watches of that kind on the path.
func (f *follower) removeWatch() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	typ := kazoo.WatchData // also what watches an absent node's creation
	if f.kind == watchChildren && f.last != nil && f.last.exists {
		typ = kazoo.WatchChildren
	}
	_ = f.c.RemoveWatches(ctx, f.path, typ)
}
