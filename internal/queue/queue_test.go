package queue

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOrderAndClose(t *testing.T) {
	q := New[int]()
	for i := range 1000 {
		q.Put(i)
	}
	q.Close()
	if q.Put(-1) {
		t.Error("Put after Close accepted")
	}
	want := 0
	for v := range q.Out() {
		if v != want {
			t.Fatalf("got %d, want %d", v, want)
		}
		want++
	}
	if want != 1000 {
		t.Fatalf("%d items delivered, want 1000", want)
	}
}

// Finish ends the goroutine without a consumer: the channel keeps the
// oldest undelivered items it has room for, then the last one.
func TestFinishWithoutConsumer(t *testing.T) {
	q := New[int]()
	for i := range 100 {
		q.Put(i)
	}
	q.Finish(-1)
	var got []int
	for v := range q.Out() {
		got = append(got, v)
	}
	if len(got) != outBuffer || got[len(got)-1] != -1 {
		t.Fatalf("got %v: want %d items ending with the last", got, outBuffer)
	}
	for i := 1; i < len(got)-1; i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("got %v: want consecutive items, in order", got)
		}
	}
	q.Finish(-2) // twice: nothing happens
}

func TestCancelDropsEverything(t *testing.T) {
	q := New[int]()
	q.Put(1)
	q.Cancel()
	n := 0
	for range q.Out() {
		n++
	}
	if n > 1 {
		t.Fatalf("%d items after Cancel", n)
	}
}
