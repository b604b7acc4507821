package middleware

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/cloudflare/circl/group"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// Sizes of the dispersal encodings.
const (
	scalarLen  = 32 // a P-256 scalar, big-endian
	sealedLen  = 32 + 16 + 16
	nonceLen   = 12
	sandboxHdr = 4 + 1 + 8 + 1 // magic, version, card serial, slots
	cardIDBase = 200           // card shares have IDs 201…; file slot s has ID s+1
	MaxSlots   = 200           // slots of a sandbox file
)

var (
	sandboxMagic = []byte("TBSB")
	recordMagic  = []byte("TBKD")
	kekLabel     = []byte("trustbank/shield/middleware/v1/kek\x00")
	posLabel     = []byte("trustbank/shield/middleware/v1/positions\x00")
	orderLabel   = []byte("trustbank/shield/middleware/v1/order\x00")
)

// Sandbox is the phone's "sandbox file" (沙盤文件): Slots scalars of which
// the ones at the card's chosen positions are Shamir shares and the rest
// uniformly random decoys, and the host keys sealed under the key the
// shares rebuild. It holds no secret by itself.
type Sandbox struct {
	Serial [8]byte // the card's serial
	Nonce  [nonceLen]byte
	Sealed []byte   // SM4-GCM of host SM2 scalar ‖ SM4 channel key
	Slots  [][]byte // each scalarLen bytes
}

// record is the card's half, in EF EFDispersal: the threshold, the
// positions of the file's shares and the card's own shares.
type record struct {
	T         int
	Positions []byte   // slot numbers of the real shares in the sandbox
	CardIDs   []byte   // share IDs of the card's shares (> cardIDBase)
	Card      [][]byte // the card's share values
}

// MarshalBinary encodes s: "TBSB" 01 serial(8) slots(1) nonce(12) sealed(64) slots×32.
func (s *Sandbox) MarshalBinary() ([]byte, error) {
	if len(s.Slots) == 0 || len(s.Slots) > MaxSlots || len(s.Sealed) != sealedLen {
		return nil, fmt.Errorf("%w: sandbox shape", ErrSandbox)
	}
	b := s.header()
	b = append(append(b, s.Nonce[:]...), s.Sealed...)
	for _, v := range s.Slots {
		if len(v) != scalarLen {
			return nil, fmt.Errorf("%w: slot length", ErrSandbox)
		}
		b = append(b, v...)
	}
	return b, nil
}

func (s *Sandbox) header() []byte {
	b := append(append([]byte(nil), sandboxMagic...), 1)
	return append(append(b, s.Serial[:]...), byte(len(s.Slots)))
}

// UnmarshalBinary decodes what MarshalBinary writes, refusing anything else.
func (s *Sandbox) UnmarshalBinary(b []byte) error {
	if len(b) < sandboxHdr || !bytes.Equal(b[:4], sandboxMagic) || b[4] != 1 {
		return fmt.Errorf("%w: not a sandbox file", ErrSandbox)
	}
	n := int(b[13])
	if n == 0 || n > MaxSlots || len(b) != sandboxHdr+nonceLen+sealedLen+n*scalarLen {
		return fmt.Errorf("%w: sandbox length", ErrSandbox)
	}
	var t Sandbox
	copy(t.Serial[:], b[5:13])
	b = b[sandboxHdr:]
	copy(t.Nonce[:], b)
	t.Sealed = append([]byte(nil), b[nonceLen:nonceLen+sealedLen]...)
	for b = b[nonceLen+sealedLen:]; len(b) > 0; b = b[scalarLen:] {
		t.Slots = append(t.Slots, append([]byte(nil), b[:scalarLen]...))
	}
	*s = t
	return nil
}

// marshal encodes r: "TBKD" 01 t(1) f(1) positions(f) k(1) k×(id(1) value(32)).
func (r *record) marshal() []byte {
	b := append(append([]byte(nil), recordMagic...), 1, byte(r.T), byte(len(r.Positions)))
	b = append(append(b, r.Positions...), byte(len(r.Card)))
	for i, v := range r.Card {
		b = append(append(b, r.CardIDs[i]), v...)
	}
	return b
}

func parseRecord(b []byte) (*record, error) {
	bad := fmt.Errorf("%w: dispersal record", ErrSandbox)
	if len(b) < 8 || !bytes.Equal(b[:4], recordMagic) || b[4] != 1 {
		return nil, bad
	}
	r := &record{T: int(b[5])}
	f := int(b[6])
	if len(b) < 8+f {
		return nil, bad
	}
	r.Positions, b = append([]byte(nil), b[7:7+f]...), b[7+f:]
	k := int(b[0])
	if len(b) != 1+k*(1+scalarLen) || r.T < 2 || f >= r.T || k >= r.T || f+k < r.T {
		return nil, bad
	}
	for b = b[1:]; len(b) > 0; b = b[1+scalarLen:] {
		if b[0] <= cardIDBase {
			return nil, bad
		}
		r.CardIDs = append(r.CardIDs, b[0])
		r.Card = append(r.Card, append([]byte(nil), b[1:1+scalarLen]...))
	}
	return r, nil
}

// kek derives the SM4 key that seals the host keys from the shared secret.
func kek(w group.Scalar) []byte {
	wb, _ := w.MarshalBinary()
	h := sm3.Sum(append(append([]byte(nil), kekLabel...), wb...))
	clear(wb)
	return h[:16]
}

func gcm(key []byte) cipher.AEAD {
	b, err := sm4.NewCipher(key)
	if err != nil {
		panic(err) // key is always 16 bytes
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return a
}

// seal encrypts the host keys under w's key, bound to the file's header.
func (s *Sandbox) seal(w group.Scalar, plain []byte) {
	rand.Read(s.Nonce[:])
	s.Sealed = gcm(kek(w)).Seal(nil, s.Nonce[:], plain, s.header())
}

// open decrypts the host keys; a wrong w fails the GCM tag (the check value).
func (s *Sandbox) open(w group.Scalar) ([]byte, error) {
	return gcm(kek(w)).Open(nil, s.Nonce[:], s.Sealed, s.header())
}

// positions draws f distinct slots out of n from the card's challenge.
func positions(cc []byte, f, n int) []byte {
	var out []byte
	seen := map[byte]bool{}
	limit := 256 - 256%n
	for ctr := uint32(0); len(out) < f; ctr++ {
		h := sm3.Sum(binary.BigEndian.AppendUint32(append(append([]byte(nil), posLabel...), cc...), ctr))
		for _, v := range h {
			if int(v) >= limit || len(out) == f {
				continue
			}
			if p := byte(int(v) % n); !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func scalarID(id int) group.Scalar { return group.P256.NewScalar().SetUint64(uint64(id)) }

func scalarOf(b []byte) (group.Scalar, error) {
	s := group.P256.NewScalar()
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: share value", ErrSandbox)
	}
	return s, nil
}
