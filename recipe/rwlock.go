package recipe

import (
	"github.com/kazoo-go/kazoo"
)

// RWLock is a distributed readers-writer lock: kazoo's WriteLock and
// ReadLock ("<uuid>__lock__<seq>", "<uuid>__rlock__<seq>"), or with
// WithCurator Curator's InterProcessReadWriteLock ("_c_<uuid>-__WRIT__<seq>",
// "_c_<uuid>-__READ__<seq>"). Readers share the lock, a writer excludes
// everyone, and both are admitted in the order they asked: a reader waits
// only for writers that asked before it, a writer for everyone before it.
// (kazoo 2.8's reader also waits for writers queued after it, which can
// deadlock with them: kazoo #649.)
type RWLock struct {
	c    *kazoo.Client
	o    *options
	path string
}

// NewRWLock returns a readers-writer lock on path. Options: WithIdentifier,
// WithCurator, WithLossPolicy, WithSuspendGrace, WithLogger.
func NewRWLock(c *kazoo.Client, path string, opts ...Option) (*RWLock, error) {
	o, err := newOptions("RWLock", opts, "WithIdentifier", "WithCurator", "WithLossPolicy", "WithSuspendGrace", "WithLogger")
	if err != nil {
		return nil, err
	}
	if err := checkClient("RWLock", c, path); err != nil {
		return nil, err
	}
	return &RWLock{c: c, o: o, path: path}, nil
}

// markers returns the writer's and the reader's markers of the layout.
func (rw *RWLock) markers() (write, read string) {
	if rw.o.curator {
		return "__WRIT__", "__READ__"
	}
	return "__lock__", "__rlock__"
}

// WriteLock returns a new writer contender: a Lock that excludes every
// reader and writer.
func (rw *RWLock) WriteLock() *Lock {
	w, r := rw.markers()
	k := newContender(rw.c, rw.o, rw.path, w)
	k.kinds = []string{w, r}
	k.blocker = predecessor
	return &Lock{k: k}
}

// ReadLock returns a new reader contender: a Lock that excludes writers
// only.
func (rw *RWLock) ReadLock() *Lock {
	w, r := rw.markers()
	k := newContender(rw.c, rw.o, rw.path, r)
	k.kinds = []string{w, r}
	k.blocker = func(ms []member, i int) int { // the last writer before us
		for j := i - 1; j >= 0; j-- {
			if ms[j].Kind == w {
				return j
			}
		}
		return -1
	}
	return &Lock{k: k}
}
