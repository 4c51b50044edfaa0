package conn

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

func TestWaitDrained(t *testing.T) {
	gate := make(chan struct{})
	got := make(chan int32, 64)
	c := dial(t, gatedServer(t, gate, got))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitDrained(ctx); err != nil {
		t.Fatalf("WaitDrained with nothing pending = %v", err)
	}
	calls := []*result{newResult(), newResult(), newResult()}
	for _, r := range calls {
		if err := c.SendSync(proto.OpSync, nil, r); err != nil {
			t.Fatal(err)
		}
	}
	gate <- struct{}{}
	calls[0].wait(t)

	// Two replies are outstanding (the server waits for gate): a waiter
	// whose context ends gives up.
	ended, stop := context.WithCancel(ctx)
	stop()
	if err := c.WaitDrained(ended); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitDrained with replies outstanding and its context ended = %v", err)
	}

	type outcome struct {
		err     error
		settled []bool
	}
	waited := make(chan outcome, 1)
	go func() {
		err := c.WaitDrained(ctx)
		o := outcome{err: err}
		for _, r := range calls {
			o.settled = append(o.settled, r.Settled())
		}
		waited <- o
	}()
	for _, r := range calls[1:] {
		gate <- struct{}{}
		r.wait(t)
	}
	o := <-waited
	if o.err != nil {
		t.Fatalf("WaitDrained = %v", o.err)
	}
	for i, s := range o.settled {
		if !s {
			t.Errorf("WaitDrained returned before call %d was completed and woken", i)
		}
	}
	c.mu.Lock()
	left := c.drained
	c.mu.Unlock()
	if left != nil {
		t.Error("the drained channel outlived the drain")
	}
}

func TestWaitDrainedConnectionFails(t *testing.T) {
	read, release := make(chan struct{}), make(chan struct{})
	addr := fakeServer(t, connectResp(3000, true), func(nc net.Conn) {
		if _, err := readRequest(nc); err != nil {
			return
		}
		close(read)
		<-release // then close the connection without an answer
	})
	c := dial(t, addr)
	r := newResult()
	if err := c.SendSync(proto.OpSync, nil, r); err != nil {
		t.Fatal(err)
	}
	<-read
	ended, stop := context.WithCancel(context.Background())
	stop()
	if err := c.WaitDrained(ended); !errors.Is(err, context.Canceled) { // and a waiter's channel exists
		t.Fatalf("WaitDrained with a reply outstanding and its context ended = %v", err)
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.WaitDrained(ctx)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitDrained on a failed connection = %v, want its cause", err)
	}
	if !r.Settled() || r.err == nil {
		t.Errorf("WaitDrained returned before the pending call failed: %+v", r)
	}
	if !errors.Is(err, c.Err()) {
		t.Errorf("WaitDrained = %v, want the connection's cause %v", err, c.Err())
	}
}

func TestNoDrainedChannelWithoutWaiter(t *testing.T) {
	addr := fakeServer(t, connectResp(3000, true), func(nc net.Conn) {
		for {
			h, err := readRequest(nc)
			if err != nil {
				return
			}
			reply(nc, h.Xid, proto.CodeOK, nil)
		}
	})
	c := dial(t, addr)
	for range 3 {
		r := newResult()
		if err := c.Send(proto.OpSync, nil, r); err != nil {
			t.Fatal(err)
		}
		r.wait(t)
	}
	c.mu.Lock()
	made := c.drained != nil
	c.mu.Unlock()
	if made {
		t.Error("a drained channel was made with nobody waiting")
	}
}
