package einvoice

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// Sizes of the fixed fields (package documentation, "Encodings").
const (
	IDLen      = 18 // eID_i (PRC resident ID number) and sID_j (unified social credit code), ASCII
	KeyLen     = 32 // Ke, K_i, K_j, TK_i, TK_j, TK_n, b_i: one SM3 output
	MACLen     = 32 // S_i, S_e, S_j, s_e, R_i, S_n
	SaltLen    = 16 // ρ
	NonceLen   = 16 // registration nonces
	SessionLen = 16 // the confirmation handle sid
	encKeyLen  = 16 // SM4 key
	gcmNonce   = 12
	gcmTag     = 16
	// EncOverhead is what ENC adds to a plaintext: nonce and tag.
	EncOverhead = gcmNonce + gcmTag
)

// Labels: the first framed element of every h input, so no two uses of h
// under one key can collide (package documentation, "h").
const (
	lblKi   = "einvoice/v1/K_i"
	lblKj   = "einvoice/v1/K_j"
	lblHID  = "einvoice/v1/HID"
	lblHb   = "einvoice/v1/Hb"
	lblTKi  = "einvoice/v1/TK_i"
	lblTKj  = "einvoice/v1/TK_j"
	lblTKn  = "einvoice/v1/TK_n"
	lblEnc  = "einvoice/v1/enc"
	lblSi   = "einvoice/v1/S_i"
	lblSe   = "einvoice/v1/S_e"
	lblSj   = "einvoice/v1/S_j"
	lblse   = "einvoice/v1/s_e"
	lblRi   = "einvoice/v1/R_i"
	lblSn   = "einvoice/v1/S_n"
	lblTag  = "einvoice/v1/tag" // keyed hashes the system stores
	lblSeal = "einvoice/v1/app-seal"
)

// h is the paper's keyed hash h(k, x_1, …, x_n):
// HMAC-SM3(k, frame(label, x_1, …, x_n)), 32 bytes, where frame writes
// each element with a 4-byte big-endian length prefix (an injective
// encoding of the sequence; no copy of the parts is made).
func h(k []byte, label string, parts ...[]byte) [KeyLen]byte {
	m := macPool.Get().(*macState)
	defer macPool.Put(m)
	defer m.zero()
	m.start(k)
	m.label(label)
	for _, p := range parts {
		m.part(p)
	}
	return m.finish()
}

// macState is HMAC-SM3 (RFC 2104, exactly as crypto/hmac computes it)
// over one reusable SM3 digest: h runs some fifty times a session, and
// hmac.New allocates two digests and two pads each time. A macState
// holds key material only between start and zero; h zeroes it before
// it goes back to macPool.
type macState struct {
	d   hash.Hash
	key [sm3.BlockSize]byte // the key, zero-padded (hashed first if longer)
	pad [sm3.BlockSize]byte // key ⊕ ipad, then key ⊕ opad
	// buf carries everything written to d: length prefixes, labels, the
	// parts (in pieces) and the inner hash. Nothing of the caller's goes
	// to the digest's interface, so keys and parts can stay on the
	// caller's stack.
	buf [256]byte
}

var macPool = sync.Pool{New: func() any { return &macState{d: sm3.New()} }}

// start keys the state with k and begins the inner hash.
func (m *macState) start(k []byte) {
	if len(k) > sm3.BlockSize {
		m.d.Reset()
		m.write(k)
		k = m.d.Sum(m.buf[:0])
	}
	copy(m.key[:], k)
	for i, b := range m.key {
		m.pad[i] = b ^ 0x36
	}
	m.d.Reset()
	m.d.Write(m.pad[:])
}

// label frames a label (at most 60 bytes, as every lbl… constant is).
func (m *macState) label(l string) {
	if len(l) > len(m.buf)-4 {
		panic("einvoice: label too long: " + l)
	}
	binary.BigEndian.PutUint32(m.buf[:4], uint32(len(l)))
	m.d.Write(m.buf[:4+copy(m.buf[4:], l)])
}

// part frames one part: its length, 4 bytes big-endian, then the part.
func (m *macState) part(p []byte) {
	binary.BigEndian.PutUint32(m.buf[:4], uint32(len(p)))
	m.d.Write(m.buf[:4])
	m.write(p)
}

// write writes p to the digest through buf.
func (m *macState) write(p []byte) {
	for len(p) > 0 {
		n := copy(m.buf[:], p)
		m.d.Write(m.buf[:n])
		p = p[n:]
	}
}

// finish ends the inner hash and computes the outer one.
func (m *macState) finish() [KeyLen]byte {
	inner := m.d.Sum(m.buf[:0])
	for i, b := range m.key {
		m.pad[i] = b ^ 0x5c
	}
	m.d.Reset()
	m.d.Write(m.pad[:])
	m.d.Write(inner)
	var out [KeyLen]byte
	copy(out[:], m.d.Sum(m.buf[KeyLen:KeyLen]))
	return out
}

// zero forgets the key, the pads, the inner hash and what the digest
// buffered of the message (writing 63 zero bytes into its buffer).
func (m *macState) zero() {
	clear(m.key[:])
	clear(m.pad[:])
	clear(m.buf[:])
	m.d.Reset()
	m.d.Write(m.buf[:sm3.BlockSize-1])
	m.d.Reset()
}

// mask returns n bytes of h output to XOR with an n-byte field: the first
// n bytes of T_1 ‖ T_2 ‖ …, T_c = h(k, label, x_1, …, x_n, be32(c)).
func mask(n int, k []byte, label string, parts ...[]byte) []byte {
	out := make([]byte, 0, n+KeyLen)
	for c := uint32(1); len(out) < n; c++ {
		t := h(k, label, append(parts, binary.BigEndian.AppendUint32(nil, c))...)
		out = append(out, t[:]...)
	}
	return out[:n]
}

// xor returns a ⊕ b (equal lengths).
func xor(a, b []byte) []byte {
	out := make([]byte, len(a))
	subtle.XORBytes(out, a, b)
	return out
}

// macEqual compares two MACs in constant time.
func macEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// be32 is a 4-byte big-endian timestamp as h hashes it.
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// aead returns SM4-GCM under the encryption key of session key tk:
// the first 16 bytes of h(tk, "enc").
func aead(tk []byte) cipher.AEAD {
	k := h(tk, lblEnc)
	block, err := sm4.NewCipher(k[:encKeyLen])
	if err != nil {
		panic(err) // 16-byte key: cannot fail
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return a
}

// enc is ENC_tk(pt): nonce(12) ‖ SM4-GCM(pt, aad = field name).
func enc(tk []byte, field string, pt []byte) []byte {
	nonce := make([]byte, gcmNonce, gcmNonce+len(pt)+gcmTag)
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("einvoice: system randomness: %v", err))
	}
	return aead(tk).Seal(nonce, nonce, pt, []byte(field))
}

// dec is DEC_tk(ct); every failure is ErrAuth.
func dec(tk []byte, field string, ct []byte) ([]byte, error) {
	if len(ct) < EncOverhead {
		return nil, fmt.Errorf("%w: %s", ErrAuth, field)
	}
	pt, err := aead(tk).Open(nil, ct[:gcmNonce], ct[gcmNonce:], []byte(field))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrAuth, field)
	}
	return pt, nil
}

// random returns n fresh random bytes.
func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("einvoice: system randomness: %v", err))
	}
	return b
}
