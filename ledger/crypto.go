package ledger

import (
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/kdf"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
	"github.com/emmansun/gmsm/sm9"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// DefaultUID is the SM2 user ID of GB/T 32918 that every trustbank signer
// and verifier uses unless given another; account and bank keys use it.
// OpenSSL 3.0 must be told it explicitly: "pkeyutl -verify -rawin -digest
// sm3 -pkeyopt distid:1234567812345678", or "dgst -sm3 -verify -sigopt
// distid:1234567812345678" (3.0's dgst has no -vfyopt).
const DefaultUID = "1234567812345678"

// Scheme names a signature algorithm.
type Scheme uint8

const (
	// SM2 is SM2 with SM3 (GB/T 32918.2), the default.
	SM2 Scheme = 1
	// SM9 is SM9 identity-based signatures (GB/T 38635.2); the bank is the
	// key generation centre and an account's identity is its name.
	SM9 Scheme = 2
)

func (s Scheme) String() string {
	switch s {
	case SM2:
		return "sm2"
	case SM9:
		return "sm9"
	}
	return fmt.Sprintf("scheme(%d)", uint8(s))
}

// ParseScheme reads "sm2" or "sm9".
func ParseScheme(s string) (Scheme, error) {
	switch s {
	case "sm2", "":
		return SM2, nil
	case "sm9":
		return SM9, nil
	}
	return 0, fmt.Errorf("ledger: unknown signature scheme %q (want sm2 or sm9)", s)
}

// Signature sizes: SM2 is r ‖ s (32 bytes each); SM9 is h (32 bytes) ‖ S
// (an uncompressed G1 point, 65 bytes).
const (
	sm2SigSize = 64
	sm9SigSize = 32 + 65
	// PublicKeySize is an uncompressed SM2 public key.
	PublicKeySize = 65
)

// Signer signs for one account or for the bank.
type Signer interface {
	Scheme() Scheme
	Sign(msg []byte) ([]byte, error)
}

// Verifier checks one party's signatures.
type Verifier interface {
	Verify(msg, sig []byte) bool
}

// SM2Signer is an SM2 private key with its Z_A precomputed.
type SM2Signer struct {
	key *sm2.PrivateKey
	za  []byte
}

// NewSM2Signer wraps key; uid nil means DefaultUID. A signature verifies
// only under a verifier given the same user ID.
func NewSM2Signer(key *sm2.PrivateKey, uid []byte) (*SM2Signer, error) {
	za, err := sm2.CalculateZA(&key.PublicKey, uidOrDefault(uid))
	if err != nil {
		return nil, fmt.Errorf("ledger: SM2 Z_A: %w", err)
	}
	return &SM2Signer{key: key, za: za}, nil
}

// GenerateSM2 makes a fresh SM2 key.
func GenerateSM2() (*SM2Signer, error) {
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewSM2Signer(k, nil)
}

// ParseSM2Signer reads a 32-byte SM2 private key.
func ParseSM2Signer(b []byte) (*SM2Signer, error) {
	k, err := sm2.NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("ledger: SM2 private key: %w", err)
	}
	return NewSM2Signer(k, nil)
}

// Bytes is the 32-byte private key.
func (s *SM2Signer) Bytes() []byte { return s.key.D.FillBytes(make([]byte, 32)) }

// Key is the underlying private key.
func (s *SM2Signer) Key() *sm2.PrivateKey { return s.key }

// Scheme is SM2.
func (s *SM2Signer) Scheme() Scheme { return SM2 }

// PublicKey is the 65-byte uncompressed public key.
func (s *SM2Signer) PublicKey() []byte {
	return encodePoint(&s.key.PublicKey)
}

// Sign makes an SM2 signature of msg: e = SM3(Z_A ‖ msg), signature r ‖ s.
func (s *SM2Signer) Sign(msg []byte) ([]byte, error) {
	e := sm2Digest(s.za, msg)
	der, err := sm2.SignASN1(rand.Reader, s.key, e[:], nil)
	if err != nil {
		return nil, fmt.Errorf("ledger: SM2 sign: %w", err)
	}
	return rawSignature(der)
}

func uidOrDefault(uid []byte) []byte {
	if uid == nil {
		return []byte(DefaultUID)
	}
	return uid
}

func sm2Digest(za, msg []byte) [32]byte {
	h := sm3.New()
	h.Write(za)
	h.Write(msg)
	var e [32]byte
	h.Sum(e[:0])
	return e
}

// rawSignature turns an ASN.1 SM2 signature into r ‖ s.
func rawSignature(der []byte) ([]byte, error) {
	var r, s big.Int
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() {
		return nil, errors.New("ledger: SM2 signature is not ASN.1")
	}
	out := make([]byte, sm2SigSize)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}

func derSignature(raw []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(new(big.Int).SetBytes(raw[:32]))
		b.AddASN1BigInt(new(big.Int).SetBytes(raw[32:]))
	})
	return b.BytesOrPanic()
}

// SM2Verifier checks SM2 signatures of one public key.
type SM2Verifier struct {
	pub *ecdsa.PublicKey
	za  []byte
}

// NewSM2Verifier parses a 65-byte uncompressed public key and checks
// signatures made under user ID uid (nil means DefaultUID).
func NewSM2Verifier(pub, uid []byte) (*SM2Verifier, error) {
	if len(pub) != PublicKeySize || pub[0] != 4 {
		return nil, fmt.Errorf("%w: SM2 public key must be %d bytes, uncompressed", ErrMalformed, PublicKeySize)
	}
	k, err := sm2.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: SM2 public key: %v", ErrMalformed, err)
	}
	za, err := sm2.CalculateZA(k, uidOrDefault(uid))
	if err != nil {
		return nil, fmt.Errorf("ledger: SM2 Z_A: %w", err)
	}
	return &SM2Verifier{pub: k, za: za}, nil
}

// Verify checks sig (r ‖ s) on msg.
func (v *SM2Verifier) Verify(msg, sig []byte) bool {
	if len(sig) != sm2SigSize {
		return false
	}
	e := sm2Digest(v.za, msg)
	return sm2.VerifyASN1(v.pub, e[:], derSignature(sig))
}

func encodePoint(p *ecdsa.PublicKey) []byte {
	out := make([]byte, PublicKeySize)
	out[0] = 4
	p.X.FillBytes(out[1:33])
	p.Y.FillBytes(out[33:])
	return out
}

// SM9Signer is an SM9 user signing key issued by the bank (the KGC).
type SM9Signer struct{ key *sm9.SignPrivateKey }

// Scheme is SM9.
func (s *SM9Signer) Scheme() Scheme { return SM9 }

// Sign makes an SM9 signature h ‖ S of msg.
func (s *SM9Signer) Sign(msg []byte) ([]byte, error) {
	h, S, err := sm9.Sign(rand.Reader, s.key, msg)
	if err != nil {
		return nil, fmt.Errorf("ledger: SM9 sign: %w", err)
	}
	if len(S) != 65 {
		return nil, fmt.Errorf("ledger: SM9 signature point of %d bytes", len(S))
	}
	out := h.FillBytes(make([]byte, 32, sm9SigSize))
	return append(out, S...), nil
}

// sm9HID is the signing-key identifier of GB/T 38635.
const sm9HID = 1

// SM9Verifier checks SM9 signatures of one identity under a master key.
type SM9Verifier struct {
	master *sm9.SignMasterPublicKey
	id     []byte
}

// Verify checks sig (h ‖ S) on msg.
func (v *SM9Verifier) Verify(msg, sig []byte) bool {
	if len(sig) != sm9SigSize {
		return false
	}
	return sm9.Verify(v.master, v.id, sm9HID, msg, new(big.Int).SetBytes(sig[:32]), sig[32:])
}

// SM9Master is the bank's SM9 key generation centre.
type SM9Master struct{ key *sm9.SignMasterPrivateKey }

// GenerateSM9Master makes a fresh master key.
func GenerateSM9Master() (*SM9Master, error) {
	k, err := sm9.GenerateSignMasterKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &SM9Master{key: k}, nil
}

// ParseSM9Master reads a master key from its ASN.1 encoding.
func ParseSM9Master(der []byte) (*SM9Master, error) {
	k, err := sm9.UnmarshalSignMasterPrivateKeyASN1(der)
	if err != nil {
		return nil, fmt.Errorf("ledger: SM9 master key: %w", err)
	}
	return &SM9Master{key: k}, nil
}

// Bytes is the ASN.1 encoding of the master key.
func (m *SM9Master) Bytes() ([]byte, error) { return m.key.MarshalASN1() }

// PublicKey is the raw master public key.
func (m *SM9Master) PublicKey() []byte { return m.key.PublicKey().Bytes() }

// UserKey issues the signing key of identity id.
func (m *SM9Master) UserKey(id string) (*SM9Signer, error) {
	k, err := m.key.GenerateUserKey([]byte(id), sm9HID)
	if err != nil {
		return nil, fmt.Errorf("ledger: SM9 user key: %w", err)
	}
	return &SM9Signer{key: k}, nil
}

// NewSM9Verifier checks signatures of identity id under the master public key.
func NewSM9Verifier(master []byte, id string) (*SM9Verifier, error) {
	pub, err := sm9.UnmarshalSignMasterPublicKeyRaw(master)
	if err != nil {
		return nil, fmt.Errorf("%w: SM9 master public key: %v", ErrMalformed, err)
	}
	return &SM9Verifier{master: pub, id: []byte(id)}, nil
}

// balanceKeySize is SM4's key size.
const balanceKeySize = 16

// sealBalance encrypts bal with SM4-GCM under the key of one (entry,
// account) derived from the batch key; the key is used once, so the nonce
// is fixed.
func sealBalance(batchKey []byte, entry uint64, account string, bal uint64) []byte {
	aead := balanceAEAD(batchKey, entry, account)
	var pt [8]byte
	binary.BigEndian.PutUint64(pt[:], bal)
	return aead.Seal(nil, make([]byte, aead.NonceSize()), pt[:], nil)
}

// openBalance reverses sealBalance.
func openBalance(batchKey []byte, entry uint64, account string, ct []byte) (uint64, error) {
	aead := balanceAEAD(batchKey, entry, account)
	pt, err := aead.Open(nil, make([]byte, aead.NonceSize()), ct, nil)
	if err != nil || len(pt) != 8 {
		return 0, ErrBalanceKey
	}
	return binary.BigEndian.Uint64(pt), nil
}

// BalanceKey is the SM4 key of one balance, which the bank may disclose on
// its own (to an auditor) without revealing any other balance.
func BalanceKey(batchKey []byte, entry uint64, account string) []byte {
	var z []byte
	z = append(z, "trustbank/ledger/balance/v1"...)
	z = append(z, batchKey...)
	z = binary.BigEndian.AppendUint64(z, entry)
	z = append(z, account...)
	return kdf.Kdf(sm3.New, z, balanceKeySize)
}

func balanceAEAD(batchKey []byte, entry uint64, account string) cipher.AEAD {
	return aeadFor(BalanceKey(batchKey, entry, account))
}

func aeadFor(key []byte) cipher.AEAD {
	block, err := sm4.NewCipher(key)
	if err != nil {
		panic(err) // key is always 16 bytes
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// OpenBalanceWithKey decrypts a balance ciphertext with a disclosed key.
func OpenBalanceWithKey(key, ct []byte) (uint64, error) {
	if len(key) != balanceKeySize {
		return 0, ErrBalanceKey
	}
	aead := aeadFor(key)
	pt, err := aead.Open(nil, make([]byte, aead.NonceSize()), ct, nil)
	if err != nil || len(pt) != 8 {
		return 0, ErrBalanceKey
	}
	return binary.BigEndian.Uint64(pt), nil
}

// sm3Hasher is the RFC 6962 tree hash with SM3 in place of SHA-256:
// leaves are SM3(0x00 ‖ data), nodes SM3(0x01 ‖ left ‖ right).
type sm3Hasher struct{}

func (sm3Hasher) EmptyRoot() []byte { s := sm3.Sum(nil); return s[:] }
func (sm3Hasher) HashLeaf(leaf []byte) []byte {
	h := sm3.New()
	h.Write([]byte{0})
	h.Write(leaf)
	return h.Sum(nil)
}
func (sm3Hasher) HashChildren(l, r []byte) []byte {
	h := sm3.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}
func (sm3Hasher) Size() int { return 32 }

// TreeHasher is the Merkle log's hasher (RFC 6962 with SM3).
var TreeHasher = sm3Hasher{}

// Bytes is the raw user signing key (a G1 point), which the bank hands to
// the account holder once.
func (s *SM9Signer) Bytes() []byte { return s.key.Bytes() }

// ParseSM9Signer reads a user signing key issued under the master public
// key master (raw encoding).
func ParseSM9Signer(raw, master []byte) (*SM9Signer, error) {
	k, err := sm9.UnmarshalSignPrivateKeyRaw(raw)
	if err != nil {
		return nil, fmt.Errorf("ledger: SM9 user key: %w", err)
	}
	m, err := sm9.UnmarshalSignMasterPublicKeyRaw(master)
	if err != nil {
		return nil, fmt.Errorf("ledger: SM9 master public key: %w", err)
	}
	k.SetMasterPublic(m)
	return &SM9Signer{key: k}, nil
}
