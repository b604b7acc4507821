package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var w Writer
	w.U8(7)
	w.U16(0x1234)
	w.U32(0xdeadbeef)
	w.U64(1 << 60)
	w.Fixed([]byte("abc"))
	w.Bytes16([]byte("hello"))
	w.Bytes32([]byte("world"))
	w.String16("s")
	w.Bool(true)
	r := NewReader(w.B)
	if r.U8("a") != 7 || r.U16("b") != 0x1234 || r.U32("c") != 0xdeadbeef || r.U64("d") != 1<<60 {
		t.Fatal("integers")
	}
	if !bytes.Equal(r.Fixed(3, "e"), []byte("abc")) || string(r.Bytes16(10, "f")) != "hello" ||
		string(r.Bytes32(10, "g")) != "world" || r.String16(1, "h") != "s" || !r.Bool("i") {
		t.Fatal("fields")
	}
	if err := r.Done(); err != nil {
		t.Fatal(err)
	}
}

func TestRejects(t *testing.T) {
	cases := map[string]func(r *Reader){
		"fail/short":     func(r *Reader) { r.U32("x") },
		"fail/too-long":  func(r *Reader) { r.Bytes16(1, "x") },
		"fail/bool":      func(r *Reader) { r.Bool("x"); r.Bool("y") },
		"fail/trailing":  func(r *Reader) { r.U8("x") },
		"fail/count":     func(r *Reader) { r.Count(1, "x") },
		"fail/bytes32-n": func(r *Reader) { r.Bytes32(100, "x") },
	}
	inputs := map[string][]byte{
		"fail/short":     {1, 2},
		"fail/too-long":  {0, 2, 'a', 'b'},
		"fail/bool":      {1, 2},
		"fail/trailing":  {1, 2},
		"fail/count":     {0, 2},
		"fail/bytes32-n": {0, 0, 0, 5, 1},
	}
	for name, fn := range cases {
		r := NewReader(inputs[name])
		fn(r)
		if err := r.Done(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestKind(t *testing.T) {
	w := NewKindWriter(0x21)
	w.U16(7)
	if r := NewKindReader(w.B, 0x21); r.U16("v") != 7 || r.Done() != nil {
		t.Fatalf("kind 0x21 round trip: %v", r.Err())
	}
	sentinel := errors.New("pkg: malformed")
	r := NewKindReader(w.B, 0x22)
	r.U16("v")
	err := r.DoneAs(sentinel, "thing")
	if !errors.Is(err, sentinel) || !strings.Contains(err.Error(), "thing: wire: malformed: kind 0x21, want 0x22") {
		t.Fatalf("another kind: %v", err)
	}
	if err := NewKindReader(nil, 0x21).DoneAs(sentinel, "empty"); !errors.Is(err, sentinel) {
		t.Fatalf("empty input: %v", err)
	}
}
