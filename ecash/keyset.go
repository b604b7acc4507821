package ecash

import (
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/cloudflare/circl/blindsign/blindrsa"

	"trustbank/internal/wire"
)

// variant is the RFC 9474 variant of every coin key (see doc.go).
const variant = blindrsa.SHA384PSSDeterministic

// Key sizes the module accepts for coin keys.
const (
	MinKeyBits = 2048
	keysetCtx  = "trustbank/ecash/v1/keyset\x00"
	maxKeys    = 4096
)

// KeyID names a coin key: its epoch and denomination, and the user group's
// key epoch it was made for. The module signs only with keys of the user
// group's current epoch, so a coin's key proves that its identity escrow
// was made before any later revocation (see doc.go, "Revocation").
type KeyID struct {
	Epoch Epoch
	Denom Denom
	Users uint64
}

func (id KeyID) String() string {
	return fmt.Sprintf("%s in epoch %d (user epoch %d)", id.Denom, id.Epoch, id.Users)
}

// DenomKey is one public coin key.
type DenomKey struct {
	KeyID
	PublicKey *rsa.PublicKey
}

// KeySet is the module's published public keys: the schedule, one blind-RSA
// key per denomination and epoch (current and lookahead epochs, plus past
// epochs whose coins can still be deposited), signed by the module's Ed25519
// identity key. Merchants and wallets check one key set, whatever the
// number of banks: the "one public key for the bank module" of seed 000.
type KeySet struct {
	Schedule Schedule
	Keys     []DenomKey // sorted by (epoch, denom), unique
	Sig      []byte
}

// signedPart encodes everything but the signature.
func (ks *KeySet) signedPart() []byte {
	w := wire.Writer{B: []byte(keysetCtx)}
	s := ks.Schedule
	w.U64(uint64(s.Genesis.UnixNano()))
	w.U64(uint64(s.EpochLength))
	w.U32(s.SpendEpochs)
	w.U32(s.DepositEpochs)
	w.U32(s.Lookahead)
	w.U16(uint16(len(s.Denoms)))
	for _, d := range s.Denoms {
		w.U8(uint8(d))
	}
	w.U16(uint16(len(ks.Keys)))
	for _, k := range ks.Keys {
		w.U32(uint32(k.Epoch))
		w.U8(uint8(k.Denom))
		w.U64(k.Users)
		w.Bytes16(k.PublicKey.N.Bytes())
		w.U32(uint32(k.PublicKey.E))
	}
	return w.B
}

// MarshalBinary encodes the key set with its signature.
func (ks *KeySet) MarshalBinary() ([]byte, error) {
	w := wire.Writer{B: ks.signedPart()[len(keysetCtx):]}
	w.Bytes16(ks.Sig)
	return w.B, nil
}

// ParseKeySet decodes a key set and verifies it against the module's
// identity key: signature, schedule, key sizes, order.
func ParseKeySet(b []byte, module ed25519.PublicKey) (*KeySet, error) {
	r := wire.NewReader(b)
	var ks KeySet
	s := &ks.Schedule
	s.Genesis = time.Unix(0, int64(r.U64("genesis")))
	s.EpochLength = time.Duration(r.U64("epoch length"))
	s.SpendEpochs, s.DepositEpochs, s.Lookahead = r.U32("spend epochs"), r.U32("deposit epochs"), r.U32("lookahead")
	n := r.Count(int(MaxDenom)+1, "denominations")
	for range n {
		s.Denoms = append(s.Denoms, Denom(r.U8("denomination")))
	}
	n = r.Count(maxKeys, "keys")
	for range n {
		k := DenomKey{KeyID: KeyID{Epoch: Epoch(r.U32("epoch")), Denom: Denom(r.U8("denomination")), Users: r.U64("user epoch")}}
		mod := r.Bytes16(maxSigSize, "modulus")
		e := r.U32("exponent")
		k.PublicKey = &rsa.PublicKey{N: new(big.Int).SetBytes(mod), E: int(e)}
		if r.Err() == nil && (len(mod) == 0 || mod[0] == 0) {
			r.Fail("modulus not minimally encoded")
		}
		ks.Keys = append(ks.Keys, k)
	}
	ks.Sig = r.Bytes16(ed25519.SignatureSize, "signature")
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: key set: %w", ErrMalformed, err)
	}
	if err := ks.Verify(module); err != nil {
		return nil, err
	}
	return &ks, nil
}

// Sign signs the key set with the module's identity key.
func (ks *KeySet) Sign(id ed25519.PrivateKey) { ks.Sig = ed25519.Sign(id, ks.signedPart()) }

// Verify checks the key set against the module's identity key.
func (ks *KeySet) Verify(module ed25519.PublicKey) error {
	if err := ks.Schedule.Validate(); err != nil {
		return fmt.Errorf("%w: key set: %w", ErrMalformed, err)
	}
	for i, k := range ks.Keys {
		if k.PublicKey.N.BitLen() < MinKeyBits || k.PublicKey.E != 65537 || !ks.Schedule.Offers(k.Denom) {
			return fmt.Errorf("%w: key set: key %v is not a %d-bit, e=65537 key of an offered denomination", ErrMalformed, k.KeyID, MinKeyBits)
		}
		if i > 0 && !idLess(ks.Keys[i-1].KeyID, k.KeyID) {
			return fmt.Errorf("%w: key set: keys not sorted and unique", ErrMalformed)
		}
	}
	if len(module) != ed25519.PublicKeySize || !ed25519.Verify(module, ks.signedPart(), ks.Sig) {
		return fmt.Errorf("%w: key set not signed by this module", ErrBadSignature)
	}
	return nil
}

func idLess(a, b KeyID) bool {
	if a.Epoch != b.Epoch {
		return a.Epoch < b.Epoch
	}
	if a.Denom != b.Denom {
		return a.Denom < b.Denom
	}
	return a.Users < b.Users
}

func sortKeys(keys []DenomKey) {
	slices.SortFunc(keys, func(a, b DenomKey) int {
		switch {
		case idLess(a.KeyID, b.KeyID):
			return -1
		case idLess(b.KeyID, a.KeyID):
			return 1
		}
		return 0
	})
}

// Key returns the public key for id.
func (ks *KeySet) Key(id KeyID) (*rsa.PublicKey, error) {
	i, ok := slices.BinarySearchFunc(ks.Keys, id, func(k DenomKey, id KeyID) int {
		switch {
		case idLess(k.KeyID, id):
			return -1
		case idLess(id, k.KeyID):
			return 1
		}
		return 0
	})
	if !ok {
		return nil, fmt.Errorf("%w: %v", ErrUnknownKey, id)
	}
	return ks.Keys[i].PublicKey, nil
}

// UserEpoch returns the newest user epoch with keys for coin epoch e: the
// one a withdrawal in e must escrow (0 if there are none).
func (ks *KeySet) UserEpoch(e Epoch) uint64 {
	var u uint64
	for _, k := range ks.Keys {
		if k.Epoch == e {
			u = max(u, k.Users)
		}
	}
	return u
}

// Window says which deadline a coin check applies.
type Window int

const (
	SpendWindow   Window = iota // a merchant accepting a payment
	DepositWindow               // a bank accepting a deposit
)

// VerifyCoin checks a coin's module signature under the key set and that
// it is within its spend or deposit window at time now.
func (ks *KeySet) VerifyCoin(c *Coin, now time.Time, w Window) error {
	m := &c.Message
	key, err := ks.Key(m.Key())
	if err != nil {
		return err
	}
	until := ks.Schedule.SpendUntil(m.Epoch)
	if w == DepositWindow {
		until = ks.Schedule.DepositUntil(m.Epoch)
	}
	if !now.Before(until) {
		return fmt.Errorf("%w: coin of epoch %d expired at %s", ErrExpired, m.Epoch, until.UTC().Format(time.RFC3339))
	}
	v, err := blindrsa.NewVerifier(variant, key)
	if err != nil {
		return err
	}
	if err := v.Verify(m.Encode(), c.Sig); err != nil {
		return fmt.Errorf("%w: coin is not signed by the module", ErrBadSignature)
	}
	return nil
}
