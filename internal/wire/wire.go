// Package wire is trustbank's compact canonical binary encoding: big-endian
// fixed-width integers, fixed-size byte strings, and variable byte strings
// with a length prefix. A Reader consumes exactly one message: it keeps the
// first error, refuses lengths over a caller-given bound, and Done fails on
// trailing bytes, so that every accepted input has exactly one encoding.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("wire: malformed")

// Writer appends fields to a byte slice.
type Writer struct{ B []byte }

func (w *Writer) U8(v uint8)   { w.B = append(w.B, v) }
func (w *Writer) U16(v uint16) { w.B = binary.BigEndian.AppendUint16(w.B, v) }
func (w *Writer) U32(v uint32) { w.B = binary.BigEndian.AppendUint32(w.B, v) }
func (w *Writer) U64(v uint64) { w.B = binary.BigEndian.AppendUint64(w.B, v) }

// Fixed appends b as it is; the reader must know its length.
func (w *Writer) Fixed(b []byte) { w.B = append(w.B, b...) }

// Bytes16 appends b with a 16-bit length prefix. It panics if b is longer
// than 65535 bytes: callers bound their fields before encoding.
func (w *Writer) Bytes16(b []byte) {
	if len(b) > 0xffff {
		panic("wire: field longer than 65535 bytes")
	}
	w.U16(uint16(len(b)))
	w.Fixed(b)
}

// Bytes32 appends b with a 32-bit length prefix.
func (w *Writer) Bytes32(b []byte) {
	w.U32(uint32(len(b)))
	w.Fixed(b)
}

// String16 appends s with a 16-bit length prefix (as Bytes16 would
// []byte(s), without the copy).
func (w *Writer) String16(s string) {
	if len(s) > 0xffff {
		panic("wire: field longer than 65535 bytes")
	}
	w.U16(uint16(len(s)))
	w.B = append(w.B, s...)
}

// Grow makes room for n more bytes: a caller that knows about how long
// its message is saves the writer's regrowing.
func (w *Writer) Grow(n int) { w.B = slices.Grow(w.B, n) }

// NewKindWriter returns a writer of a message whose first byte is kind.
func NewKindWriter(kind uint8) *Writer { return &Writer{B: []byte{kind}} }

// Bool appends 0 or 1.
func (w *Writer) Bool(v bool) {
	if v {
		w.U8(1)
	} else {
		w.U8(0)
	}
}

// Reader consumes one message.
type Reader struct {
	b   []byte
	err error
}

// NewReader returns a reader of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// NewKindReader returns a reader of b that has read its first byte, the
// message kind, and failed unless it is want.
func NewKindReader(b []byte, want uint8) *Reader {
	r := NewReader(b)
	if got := r.U8("kind"); r.err == nil && got != want {
		r.Fail("kind 0x%02x, want 0x%02x", got, want)
	}
	return r
}

// Err returns the first error.
func (r *Reader) Err() error { return r.err }

// Fail records err (wrapped in ErrMalformed) unless an error came first.
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
}

func (r *Reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.Fail("%s: need %d bytes, have %d", what, n, len(r.b))
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *Reader) U8(what string) uint8 {
	if b := r.take(1, what); b != nil {
		return b[0]
	}
	return 0
}

func (r *Reader) U16(what string) uint16 {
	if b := r.take(2, what); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *Reader) U32(what string) uint32 {
	if b := r.take(4, what); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *Reader) U64(what string) uint64 {
	if b := r.take(8, what); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// Fixed reads n bytes (a sub-slice of the input).
func (r *Reader) Fixed(n int, what string) []byte { return r.take(n, what) }

// Bytes16 reads a 16-bit-length-prefixed field of at most max bytes.
func (r *Reader) Bytes16(max int, what string) []byte {
	n := int(r.U16(what + " length"))
	if r.err == nil && n > max {
		r.Fail("%s: %d bytes, at most %d allowed", what, n, max)
	}
	return r.take(n, what)
}

// Bytes32 reads a 32-bit-length-prefixed field of at most max bytes.
func (r *Reader) Bytes32(max int, what string) []byte {
	n := r.U32(what + " length")
	if r.err == nil && int64(n) > int64(max) {
		r.Fail("%s: %d bytes, at most %d allowed", what, n, max)
	}
	return r.take(int(n), what)
}

// String16 reads a 16-bit-length-prefixed string of at most max bytes.
func (r *Reader) String16(max int, what string) string { return string(r.Bytes16(max, what)) }

// Bool reads 0 or 1; anything else is malformed.
func (r *Reader) Bool(what string) bool {
	switch v := r.U8(what); v {
	case 0:
		return false
	case 1:
		return true
	default:
		r.Fail("%s: boolean byte %d", what, v)
		return false
	}
}

// Count reads a 16-bit element count of at most max.
func (r *Reader) Count(max int, what string) int {
	n := int(r.U16(what + " count"))
	if r.err == nil && n > max {
		r.Fail("%s: %d elements, at most %d allowed", what, n, max)
	}
	return n
}

// Done returns the first error, or an error if bytes are left over.
func (r *Reader) Done() error {
	if r.err == nil && len(r.b) != 0 {
		r.Fail("%d trailing bytes", len(r.b))
	}
	return r.err
}

// DoneAs is Done with the error wrapped in a package's own sentinel:
// "sentinel: what: wire error".
func (r *Reader) DoneAs(sentinel error, what string) error {
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %s: %v", sentinel, what, err)
	}
	return nil
}
