package biometric

import (
	"crypto/hmac"
	"fmt"

	"github.com/emmansun/gmsm/sm3"

	"trustbank/internal/wire"
)

// KindHelper is the first byte of a helper's encoding.
const KindHelper byte = 0xB1

// Helper is the public helper data of one Gen: the code parameters, the
// salt, the code-offset sketch w ⊕ C(m), a commitment SM3(labelCommit ‖ m)
// that tells a wrong decoding from the right one, and a check value Tag
// that makes the helper robust: it is an HMAC-SM3 over the rest of the
// encoding under a key derived from both m and the enrolled bits w, so
// nobody without the face can alter the helper unnoticed.
type Helper struct {
	Params Params
	Salt   [16]byte
	Sketch []byte // Params.Bits()/8 bytes
	Commit [32]byte
	Tag    [32]byte
}

// tag computes the check value over the helper's body.
func (h *Helper) tag(m, w []byte) []byte {
	k := hmac.New(sm3.New, h.Salt[:])
	k.Write([]byte(labelTag))
	k.Write(m)
	k.Write(w)
	mac := hmac.New(sm3.New, k.Sum(nil))
	mac.Write(h.body())
	return mac.Sum(nil)
}

// body is the encoding without the tag:
//
//	KindHelper | N u8 | K u8 | Repeat u8 | Salt [16] | Sketch [N·Repeat] | Commit [32]
func (h *Helper) body() []byte {
	w := wire.Writer{B: make([]byte, 0, 4+16+len(h.Sketch)+64)}
	w.U8(KindHelper)
	w.U8(uint8(h.Params.N))
	w.U8(uint8(h.Params.K))
	w.U8(uint8(h.Params.Repeat))
	w.Fixed(h.Salt[:])
	w.Fixed(h.Sketch)
	w.Fixed(h.Commit[:])
	return w.B
}

// MarshalBinary encodes the helper: its body followed by Tag [32].
func (h *Helper) MarshalBinary() ([]byte, error) {
	if err := h.Params.Validate(); err != nil {
		return nil, err
	}
	if len(h.Sketch) != h.Params.Bits()/8 {
		return nil, fmt.Errorf("%w: sketch of %d bytes, want %d", ErrParams, len(h.Sketch), h.Params.Bits()/8)
	}
	return append(h.body(), h.Tag[:]...), nil
}

// UnmarshalBinary decodes exactly one helper; anything else (another
// kind, parameters out of range, a wrong length) is an error wrapping
// wire.ErrMalformed, and h is then unchanged.
func (h *Helper) UnmarshalBinary(b []byte) error {
	r := wire.NewKindReader(b, KindHelper)
	var out Helper
	out.Params.N = int(r.U8("N"))
	out.Params.K = int(r.U8("K"))
	out.Params.Repeat = int(r.U8("Repeat"))
	if r.Err() == nil {
		if err := out.Params.Validate(); err != nil {
			r.Fail("%v", err)
		}
	}
	copy(out.Salt[:], r.Fixed(16, "salt"))
	out.Sketch = append([]byte(nil), r.Fixed(out.Params.Bits()/8, "sketch")...)
	copy(out.Commit[:], r.Fixed(32, "commit"))
	copy(out.Tag[:], r.Fixed(32, "tag"))
	if err := r.Done(); err != nil {
		return fmt.Errorf("biometric: helper: %w", err)
	}
	*h = out
	return nil
}
