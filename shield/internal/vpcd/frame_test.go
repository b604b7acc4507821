package vpcd

import (
	"bytes"
	"errors"
	"testing"

	"trustbank/internal/fuzzcorpus"
)

func TestFrames(t *testing.T) {
	var buf bytes.Buffer
	for _, p := range [][]byte{{1}, {0, 0xA4, 4, 0}, {4}} {
		if err := Write(&buf, p); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(buf.Bytes()[:3], []byte{0, 1, 1}) {
		t.Fatalf("%x", buf.Bytes())
	}
	f, _ := Read(&buf)
	if fr, err := ParseFrame(f); err != nil || !fr.IsControl || fr.Control != PowerOn {
		t.Fatal(fr, err)
	}
	f, _ = Read(&buf)
	if fr, err := ParseFrame(f); err != nil || fr.IsControl || !bytes.Equal(fr.APDU, []byte{0, 0xA4, 4, 0}) {
		t.Fatal(fr, err)
	}
	for name, p := range map[string][]byte{"fail/empty": {}, "fail/control-3": {3}, "fail/control-ff": {0xFF}} {
		if _, err := ParseFrame(p); !errors.Is(err, ErrFrame) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Read(bytes.NewReader([]byte{0, 5, 1})); !errors.Is(err, ErrFrame) {
		t.Fatalf("cut frame: %v", err)
	}
}

func FuzzParseFrame(f *testing.F) {
	fuzzcorpus.Seed(f, [][]byte{{0}}, [][]byte{{1}}, [][]byte{{2}}, [][]byte{{4}}, [][]byte{{3}},
		[][]byte{{0, 0xA4, 4, 0, 1, 0xF0}}, [][]byte{{0x84, 0xB0}})
	f.Fuzz(func(t *testing.T, p []byte) {
		fr, err := ParseFrame(p)
		if err != nil {
			return
		}
		again, err := fr.MarshalBinary()
		if err != nil || !bytes.Equal(again, p) {
			t.Fatalf("round trip %x → %x %v", p, again, err)
		}
	})
}

func FuzzRead(f *testing.F) {
	fuzzcorpus.Seed(f, [][]byte{{0, 1, 1}}, [][]byte{{0, 4, 0, 0xA4, 4, 0}}, [][]byte{{0, 5, 1}}, [][]byte{{0}})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, p); err != nil || !bytes.Equal(buf.Bytes(), b[:2+len(p)]) {
			t.Fatalf("round trip %x → %x %v", b, buf.Bytes(), err)
		}
	})
}
