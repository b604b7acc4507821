package biometric

import (
	"crypto/hmac"
	"crypto/subtle"
	"fmt"
	"io"
	"sync"

	"github.com/emmansun/gmsm/sm3"
	"storj.io/infectious"
)

// Params fix the code of the code-offset sketch: an outer Reed–Solomon
// code RS(N, K) over GF(2^8) (storj.io/infectious, Berlekamp–Welch
// decoding) whose every codeword bit is repeated Repeat times (an inner
// repetition code decoded by majority). The sketch has 8·N·Repeat bits;
// Rep corrects up to Capacity() = ⌊(N−K)/2⌋ wrong bytes after the
// majority vote.
type Params struct {
	N      int // RS code length in bytes, K < N ≤ 255
	K      int // RS message length in bytes (the random secret), 16 ≤ K
	Repeat int // odd repetition factor, 1 ≤ Repeat ≤ 31
}

// DefaultParams are the parameters Gen uses; docs/einvoice-biometrics.md
// gives their measured FAR/FRR.
var DefaultParams = Params{N: 48, K: 16, Repeat: 15}

// Capacity is the number of byte errors (after the majority vote) that
// Rep corrects.
func (p Params) Capacity() int { return (p.N - p.K) / 2 }

// Bits is the length of the binarised template and of the sketch.
func (p Params) Bits() int { return 8 * p.N * p.Repeat }

// Validate reports whether the parameters are usable.
func (p Params) Validate() error {
	switch {
	case p.K < 16 || p.N <= p.K || p.N > 255:
		return fmt.Errorf("%w: RS(%d, %d): need 16 ≤ K < N ≤ 255", ErrParams, p.N, p.K)
	case p.Repeat < 1 || p.Repeat > 31 || p.Repeat%2 == 0:
		return fmt.Errorf("%w: repetition %d: need an odd number in [1, 31]", ErrParams, p.Repeat)
	case p.Bits() > MaxBits:
		return fmt.Errorf("%w: %d sketch bits, at most %d", ErrParams, p.Bits(), MaxBits)
	}
	return nil
}

// Domain labels of the SM3 uses (each input is label ‖ data).
const (
	labelKey    = "trustbank/einvoice/biometric/key"
	labelCommit = "trustbank/einvoice/biometric/commit"
	labelTag    = "trustbank/einvoice/biometric/tag"
)

// Gen is the fuzzy extractor's generation step with DefaultParams: it
// draws a fresh random secret m and salt from rand, and returns the key
// b = HMAC-SM3(salt, labelKey ‖ m) and the public helper data. Two calls
// on the same face give unrelated keys and helpers.
func Gen(rand io.Reader, B Template) (key [32]byte, helper *Helper, err error) {
	return GenParams(rand, B, DefaultParams)
}

// GenParams is Gen with the caller's code parameters.
func GenParams(rand io.Reader, B Template, p Params) (key [32]byte, helper *Helper, err error) {
	if err := B.Validate(); err != nil {
		return key, nil, err
	}
	if err := p.Validate(); err != nil {
		return key, nil, err
	}
	m := make([]byte, p.K)
	h := &Helper{Params: p}
	if _, err := io.ReadFull(rand, m); err != nil {
		return key, nil, fmt.Errorf("biometric: reading randomness: %w", err)
	}
	if _, err := io.ReadFull(rand, h.Salt[:]); err != nil {
		return key, nil, fmt.Errorf("biometric: reading randomness: %w", err)
	}
	cw, err := codeword(p, m)
	if err != nil {
		return key, nil, err
	}
	w := binarize(B, p.Bits())
	h.Sketch = xorBytes(w, cw)
	h.Commit = commit(m)
	copy(h.Tag[:], h.tag(m, w))
	return deriveKey(h.Salt, m), h, nil
}

// Rep is the reproduction step: from a template close to the one Gen
// saw, it returns the same key. It returns ErrNoMatch when the template
// is too far for the code, and ErrHelperTampered when the code decodes
// but the helper's check value fails.
func Rep(B Template, helper *Helper) ([32]byte, error) {
	var key [32]byte
	if err := B.Validate(); err != nil {
		return key, err
	}
	if helper == nil {
		return key, fmt.Errorf("%w: no helper", ErrParams)
	}
	return rep(binarize(B, helper.Params.Bits()), helper)
}

// rep reproduces from an already binarised template.
func rep(w []byte, h *Helper) ([32]byte, error) {
	var key [32]byte
	p := h.Params
	if err := p.Validate(); err != nil {
		return key, err
	}
	if len(h.Sketch) != p.Bits()/8 || len(w) != len(h.Sketch) {
		return key, fmt.Errorf("%w: sketch of %d bytes, want %d", ErrParams, len(h.Sketch), p.Bits()/8)
	}
	m, err := decode(p, majority(p, xorBytes(w, h.Sketch)))
	if err != nil {
		return key, err
	}
	if c := commit(m); !hmac.Equal(c[:], h.Commit[:]) {
		return key, ErrNoMatch
	}
	cw, err := codeword(p, m)
	if err != nil {
		return key, err
	}
	enrolled := xorBytes(h.Sketch, cw)
	if !hmac.Equal(h.tag(m, enrolled), h.Tag[:]) {
		return key, ErrHelperTampered
	}
	return deriveKey(h.Salt, m), nil
}

func newFEC(p Params) (*infectious.FEC, error) {
	key := [2]int{p.K, p.N}
	if f, ok := fecs.Load(key); ok {
		return f.(*infectious.FEC), nil
	}
	f, err := infectious.NewFEC(p.K, p.N)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrParams, err)
	}
	fecs.Store(key, f)
	return f, nil
}

// fecs caches the codes by (K, N): building one (its matrices) cost as
// much as a decoding, and an infectious.FEC is never written after
// NewFEC, so one serves concurrent callers.
var fecs sync.Map

// codeword returns the RS codeword of m with every bit repeated
// p.Repeat times, packed (bit b of byte i, most significant first, is
// sketch bits [(8i+b)·Repeat, (8i+b+1)·Repeat)).
func codeword(p Params, m []byte) ([]byte, error) {
	f, err := newFEC(p)
	if err != nil {
		return nil, err
	}
	rs := make([]byte, p.N)
	if err := f.Encode(m, func(s infectious.Share) { rs[s.Number] = s.Data[0] }); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrParams, err)
	}
	out := make([]byte, p.Bits()/8)
	for i := range 8 * p.N {
		if rs[i/8]&(0x80>>(i%8)) == 0 {
			continue
		}
		for j := i * p.Repeat; j < (i+1)*p.Repeat; j++ {
			out[j/8] |= 0x80 >> (j % 8)
		}
	}
	return out, nil
}

// majority decodes the repetition code: bit i of the result is the
// majority of bits [i·Repeat, (i+1)·Repeat) of y.
func majority(p Params, y []byte) []byte {
	out := make([]byte, p.N)
	for i := range 8 * p.N {
		ones := 0
		for j := i * p.Repeat; j < (i+1)*p.Repeat; j++ {
			ones += int(y[j/8]>>(7-j%8)) & 1
		}
		if 2*ones > p.Repeat {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

// decode corrects up to Capacity byte errors in the RS word and returns
// the message, or ErrNoMatch. Berlekamp–Welch either fails or lands on a
// codeword within the capacity; if that is not the enrolled one, the
// commitment check in rep turns it into ErrNoMatch.
func decode(p Params, word []byte) ([]byte, error) {
	f, err := newFEC(p)
	if err != nil {
		return nil, err
	}
	// Each share is one byte of word (Decode corrects the shares in
	// place; word is the caller's scratch, used for nothing after).
	shares := make([]infectious.Share, p.N)
	for i := range shares {
		shares[i] = infectious.Share{Number: i, Data: word[i : i+1 : i+1]}
	}
	m, err := f.Decode(nil, shares)
	if err != nil {
		return nil, ErrNoMatch
	}
	return m, nil
}

func xorBytes(a, b []byte) []byte {
	out := make([]byte, len(a))
	subtle.XORBytes(out, a, b)
	return out
}

func deriveKey(salt [16]byte, m []byte) (key [32]byte) {
	mac := hmac.New(sm3.New, salt[:])
	mac.Write([]byte(labelKey))
	mac.Write(m)
	copy(key[:], mac.Sum(nil))
	return key
}

func commit(m []byte) (c [32]byte) {
	h := sm3.New()
	h.Write([]byte(labelCommit))
	h.Write(m)
	copy(c[:], h.Sum(nil))
	return c
}
