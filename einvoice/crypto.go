package einvoice

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"io"

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

// frame writes each part to w with a 4-byte big-endian length prefix:
// an injective encoding of the sequence (no copy of the parts is made).
func frame(w io.Writer, parts ...[]byte) {
	var n [4]byte
	for _, p := range parts {
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		w.Write(n[:])
		w.Write(p)
	}
}

// h is the paper's keyed hash h(k, x_1, …, x_n):
// HMAC-SM3(k, frame(label, x_1, …, x_n)), 32 bytes.
func h(k []byte, label string, parts ...[]byte) [KeyLen]byte {
	m := hmac.New(sm3.New, k)
	frame(m, []byte(label))
	frame(m, parts...)
	var out [KeyLen]byte
	m.Sum(out[:0])
	return out
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
