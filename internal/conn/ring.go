package conn

// ring is a FIFO of pending requests that reuses its storage, so a steady
// pipeline allocates nothing per request.
type ring struct {
	buf        []pending
	head, size int
}

func (r *ring) push(p pending) {
	if r.size == len(r.buf) {
		n := max(16, 2*len(r.buf))
		nb := make([]pending, n)
		for i := 0; i < r.size; i++ {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.size)%len(r.buf)] = p
	r.size++
}

func (r *ring) pop() (pending, bool) {
	if r.size == 0 {
		return pending{}, false
	}
	p := r.buf[r.head]
	r.buf[r.head] = pending{}
	r.head = (r.head + 1) % len(r.buf)
	r.size--
	return p, true
}

// drain removes and returns everything queued, oldest first.
func (r *ring) drain() []pending {
	out := make([]pending, 0, r.size)
	for {
		p, ok := r.pop()
		if !ok {
			return out
		}
		out = append(out, p)
	}
}
