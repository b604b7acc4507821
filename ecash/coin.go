package ecash

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"fmt"
	"math/big"

	"trustbank/groupsig"
	"trustbank/internal/wire"
)

// Sizes of coin parts.
const (
	SerialSize     = 32
	CommitSize     = 32
	CoinKeySize    = 65 // uncompressed SEC1 P-256 point, as a TPM exports it
	CoinKeySigSize = 64 // ECDSA P-256 r ‖ s
	coinVersion    = 2
	messageSize    = 1 + 1 + 4 + 8 + 1 + SerialSize + 2*CommitSize // 111
	maxSigSize     = 512                                           // RSA-4096
)

// CoinMessage is what the module blind-signs: the coin's denomination,
// epoch and user-group epoch (which select the key), whether it is bound to
// a device key, a random serial (the double-spending identity), the
// commitment H(K_pub) to the coin key (zero for an unbound coin), and the
// commitment to the withdrawer's identity escrow: a BBS04 linear encryption
// of the withdrawer's user-group credential at epoch Users, which every
// payment with the coin must prove (see doc.go, "Tracing").
type CoinMessage struct {
	Denom   Denom
	Epoch   Epoch
	Users   uint64 // the user group's key epoch when the coin was issued
	Bound   bool
	Serial  [SerialSize]byte
	KeyHash [CommitSize]byte
	Escrow  [CommitSize]byte
}

// Encode returns the 111-byte canonical encoding: version ‖ denom ‖ epoch ‖
// users ‖ bound ‖ serial ‖ key hash ‖ escrow hash.
func (m *CoinMessage) Encode() []byte {
	w := wire.Writer{B: make([]byte, 0, messageSize)}
	w.U8(coinVersion)
	w.U8(uint8(m.Denom))
	w.U32(uint32(m.Epoch))
	w.U64(m.Users)
	w.Bool(m.Bound)
	w.Fixed(m.Serial[:])
	w.Fixed(m.KeyHash[:])
	w.Fixed(m.Escrow[:])
	return w.B
}

// Key names the module key that signs the coin.
func (m *CoinMessage) Key() KeyID { return KeyID{Epoch: m.Epoch, Denom: m.Denom, Users: m.Users} }

func (m *CoinMessage) read(r *wire.Reader) {
	if v := r.U8("version"); v != coinVersion && r.Err() == nil {
		r.Fail("coin version %d", v)
	}
	m.Denom = Denom(r.U8("denomination"))
	m.Epoch = Epoch(r.U32("epoch"))
	m.Users = r.U64("user epoch")
	m.Bound = r.Bool("binding")
	copy(m.Serial[:], r.Fixed(SerialSize, "serial"))
	copy(m.KeyHash[:], r.Fixed(CommitSize, "key hash"))
	copy(m.Escrow[:], r.Fixed(CommitSize, "escrow hash"))
	if r.Err() != nil {
		return
	}
	if m.Denom > MaxDenom {
		r.Fail("denomination %d over %d", m.Denom, MaxDenom)
	}
	if !m.Bound && m.KeyHash != ([CommitSize]byte{}) {
		r.Fail("unbound coin with a key hash")
	}
}

// Coin is a withdrawn coin: the message, the module's RSA signature on it,
// and for a bound coin the device public key the message commits to.
type Coin struct {
	Message CoinMessage
	Sig     []byte
	Key     []byte // CoinKeySize bytes if Message.Bound, else empty
}

// MarshalBinary encodes the coin: message ‖ sig (16-bit length) ‖ key (if bound).
func (c *Coin) MarshalBinary() ([]byte, error) {
	var w wire.Writer
	c.write(&w)
	return w.B, nil
}

func (c *Coin) write(w *wire.Writer) {
	w.Fixed(c.Message.Encode())
	w.Bytes16(c.Sig)
	if c.Message.Bound {
		w.Fixed(c.Key)
	}
}

// UnmarshalBinary decodes a coin. It checks the form only (lengths, the key
// is on the curve and matches the commitment); the module signature is
// checked against a key set by VerifyCoin.
func (c *Coin) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	var out Coin
	out.read(r)
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: coin: %w", ErrMalformed, err)
	}
	*c = out
	return nil
}

func (c *Coin) read(r *wire.Reader) {
	c.Message.read(r)
	c.Sig = r.Bytes16(maxSigSize, "coin signature")
	if c.Message.Bound {
		c.Key = r.Fixed(CoinKeySize, "coin key")
		if r.Err() == nil {
			if _, err := parseCoinKey(c.Key); err != nil {
				r.Fail("coin key: %v", err)
			} else if KeyHash(c.Key) != c.Message.KeyHash {
				r.Fail("coin key does not match the committed hash")
			}
		}
	}
}

// Value returns what the coin is worth.
func (c *Coin) Value() Amount { return c.Message.Denom.Value() }

// EscrowHash is the commitment a coin message makes to its escrow.
func EscrowHash(e *groupsig.Escrow) [CommitSize]byte {
	enc, _ := e.MarshalBinary()
	h := sha256.New()
	h.Write([]byte("trustbank/ecash/v2/escrow\x00"))
	h.Write(enc)
	return [CommitSize]byte(h.Sum(nil))
}

// KeyHash is the commitment a coin message makes to its device key.
func KeyHash(key []byte) [CommitSize]byte {
	h := sha256.New()
	h.Write([]byte("trustbank/ecash/v1/coin-key\x00"))
	h.Write(key)
	return [CommitSize]byte(h.Sum(nil))
}

func parseCoinKey(b []byte) (*ecdsa.PublicKey, error) {
	// crypto/ecdh validates the point (on the curve, not infinity).
	if _, err := ecdh.P256().NewPublicKey(b); err != nil {
		return nil, err
	}
	x, y := new(big.Int).SetBytes(b[1:33]), new(big.Int).SetBytes(b[33:65])
	return &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}, nil
}

// verifyKeySig checks an r ‖ s ECDSA P-256 signature by a coin key over digest.
func verifyKeySig(key []byte, digest [32]byte, sig []byte) bool {
	pub, err := parseCoinKey(key)
	if err != nil || len(sig) != CoinKeySigSize {
		return false
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(pub, digest[:], r, s)
}
