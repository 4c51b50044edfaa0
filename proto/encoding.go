package proto

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxPacket is ZooKeeper's default jute.maxbuffer: the largest frame body a
// server accepts or sends unless configured otherwise.
const MaxPacket = 1048575

// ErrShortBuffer is reported by a Decoder that ran out of bytes.
var ErrShortBuffer = errors.New("proto: frame too short")

// ErrBadLength is reported by a Decoder that read a negative (other than -1)
// or impossibly large length or count.
var ErrBadLength = errors.New("proto: invalid length")

// AppendInt32 appends v as 4 big-endian bytes.
func AppendInt32(b []byte, v int32) []byte { return binary.BigEndian.AppendUint32(b, uint32(v)) }

// AppendInt64 appends v as 8 big-endian bytes.
func AppendInt64(b []byte, v int64) []byte { return binary.BigEndian.AppendUint64(b, uint64(v)) }

// AppendBool appends v as one byte.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// multiOpRoom is the room reserved for each operation of a multi: a header
// and a small body. Larger bodies grow the buffer by doubling.
const multiOpRoom = 64

// reserve returns b with room for n more bytes, at least doubling its
// capacity when it must grow: append grows a large slice by a quarter at a
// time, which copies a large request (a multi of thousands of operations)
// over and over and allocates several times its size.
func reserve(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), max(2*cap(b), len(b)+n))
	copy(nb, b)
	return nb
}

// AppendBuffer appends a jute buffer: a length, then the bytes. A nil slice is
// encoded as length -1 (null), an empty non-nil slice as length 0.
func AppendBuffer(b []byte, v []byte) []byte {
	if v == nil {
		return AppendInt32(b, -1)
	}
	b = AppendInt32(b, int32(len(v)))
	return append(b, v...)
}

// AppendString appends a jute ustring: a length, then the UTF-8 bytes.
func AppendString(b []byte, s string) []byte {
	b = AppendInt32(b, int32(len(s)))
	return append(b, s...)
}

// AppendStrings appends a vector of ustrings. A nil slice is encoded as an
// empty vector, which every server accepts where it accepts null.
func AppendStrings(b []byte, ss []string) []byte {
	b = AppendInt32(b, int32(len(ss)))
	for _, s := range ss {
		b = AppendString(b, s)
	}
	return b
}

// Decoder reads jute values from a byte slice. The first error sticks: later
// reads return zero values, and Err reports it. Slices returned by Buffer
// alias the input; strings are copies.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a Decoder over b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Reset makes d read b from its start and clears any error.
func (d *Decoder) Reset(b []byte) { d.buf, d.off, d.err = b, 0, nil }

// Err returns the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Remaining reports how many bytes are left unread.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Fail records err as the decoder's error unless one is already recorded.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *Decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.buf)-d.off {
		d.err = ErrShortBuffer
		return nil
	}
	p := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return p
}

// Int32 reads a 4-byte big-endian integer.
func (d *Decoder) Int32() int32 {
	p := d.take(4)
	if p == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(p))
}

// Int64 reads an 8-byte big-endian integer.
func (d *Decoder) Int64() int64 {
	p := d.take(8)
	if p == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(p))
}

// Bool reads one byte; any non-zero value is true.
func (d *Decoder) Bool() bool {
	p := d.take(1)
	return p != nil && p[0] != 0
}

// length reads a length or count prefix. -1 (null) is returned as -1; other
// negative values, and lengths that cannot fit in what is left of the frame
// when each element takes at least minElem bytes, are errors.
func (d *Decoder) length(minElem int) int {
	minElem = max(minElem, 1) // a zero minimum would divide by zero below
	n := int(d.Int32())
	if d.err != nil {
		return 0
	}
	if n == -1 {
		return -1
	}
	if n < 0 || n > d.Remaining()/minElem {
		d.err = fmt.Errorf("%w: %d at offset %d", ErrBadLength, n, d.off-4)
		return 0
	}
	return n
}

// Buffer reads a jute buffer. Null is returned as nil, empty as a non-nil
// empty slice. The result aliases the decoder's input.
func (d *Decoder) Buffer() []byte {
	n := d.length(1)
	if n < 0 || d.err != nil {
		return nil
	}
	return d.take(n)
}

// String reads a jute ustring; null reads as "".
func (d *Decoder) String() string {
	n := d.length(1)
	if n <= 0 || d.err != nil {
		return ""
	}
	return string(d.take(n))
}

// Strings reads a vector of ustrings; null reads as nil.
func (d *Decoder) Strings() []string {
	n := d.length(4) // each element is at least its 4-byte length
	if n < 0 || d.err != nil {
		return nil
	}
	ss := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		ss = append(ss, d.String())
	}
	if d.err != nil {
		return nil
	}
	return ss
}

// Count reads a vector's element count, checking that count elements of at
// least minElem bytes each fit in what is left (a minElem below 1 counts as
// 1). Null reads as -1.
func (d *Decoder) Count(minElem int) int { return d.length(minElem) }
