package ecash

import (
	"crypto/sha256"
	"fmt"
	"time"

	"trustbank/groupsig"
	"trustbank/internal/wire"
)

const (
	NonceSize      = 32
	maxMerchantID  = 64
	paymentCtx     = "trustbank/ecash/v1/payment\x00"
	coinKeySigCtx  = "trustbank/ecash/v1/coin-key-signature\x00"
	maxPaymentSize = maxCoinsPerRequest * 1024
)

// Challenge is the merchant's request for payment: who is paid (the
// merchant's bank and account there, unique across the system), how much,
// a fresh nonce and the time. The wallet's TPM signs it with every bound
// coin's key, so a payment transcript cannot be replayed to another
// merchant, for another amount, or twice.
type Challenge struct {
	Bank    string
	Account string
	Amount  Amount
	Nonce   [NonceSize]byte
	Time    time.Time
}

// Encode returns the canonical encoding of the challenge.
func (c *Challenge) Encode() []byte {
	var w wire.Writer
	c.write(&w)
	return w.B
}

func (c *Challenge) write(w *wire.Writer) {
	w.String16(c.Bank)
	w.String16(c.Account)
	w.U64(uint64(c.Amount))
	w.Fixed(c.Nonce[:])
	w.U64(uint64(c.Time.UnixNano()))
}

func (c *Challenge) read(r *wire.Reader) {
	c.Bank = r.String16(maxMerchantID, "payee bank")
	c.Account = r.String16(maxAccountID, "payee account")
	c.Amount = Amount(r.U64("amount"))
	copy(c.Nonce[:], r.Fixed(NonceSize, "nonce"))
	c.Time = time.Unix(0, int64(r.U64("time")))
}

// Payee names whom the challenge pays, for messages.
func (c *Challenge) Payee() string { return c.Account + "@" + c.Bank }

// KeyDigest is what a bound coin's key signs in answer to c: the challenge
// and the coin's serial.
func (c *Challenge) KeyDigest(serial [SerialSize]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(coinKeySigCtx))
	h.Write(c.Encode())
	h.Write(serial[:])
	return [32]byte(h.Sum(nil))
}

// Payment is the transcript a wallet hands a merchant and the merchant
// hands its bank: the challenge, the coins, one coin-key signature per bound
// coin (empty for an unbound coin), and per coin one user-group signature
// over all of that whose linear encryption is the identity escrow the coin
// commits to — so only the coin's withdrawer can make it, and every
// transcript of the coin opens to the withdrawer.
type Payment struct {
	Challenge Challenge
	Coins     []Coin
	KeySigs   [][]byte
	GroupSigs []groupsig.Signature
}

// Digest is what the user's group signatures sign: the challenge, the
// coins and their key signatures.
func (p *Payment) Digest() [32]byte {
	w := wire.Writer{B: []byte(paymentCtx)}
	p.writeBody(&w)
	return sha256.Sum256(w.B)
}

func (p *Payment) writeBody(w *wire.Writer) {
	p.Challenge.write(w)
	w.U16(uint16(len(p.Coins)))
	for i := range p.Coins {
		p.Coins[i].write(w)
		w.Bytes16(p.KeySigs[i])
	}
}

// MarshalBinary encodes the payment: the signed body, then the group
// signatures in coin order.
func (p *Payment) MarshalBinary() ([]byte, error) {
	if len(p.KeySigs) != len(p.Coins) || len(p.GroupSigs) != len(p.Coins) {
		return nil, fmt.Errorf("%w: %d coins, %d key signatures, %d group signatures", ErrMalformed, len(p.Coins), len(p.KeySigs), len(p.GroupSigs))
	}
	w := wire.Writer{B: make([]byte, 0, 64+len(p.Coins)*(messageSize+256+CoinKeySigSize+groupsig.SignatureSize+8))}
	p.writeBody(&w)
	for i := range p.GroupSigs {
		w.B, _ = p.GroupSigs[i].AppendBinary(w.B)
	}
	return w.B, nil
}

// UnmarshalBinary decodes a payment; VerifyPayment checks it.
func (p *Payment) UnmarshalBinary(b []byte) error {
	if len(b) > maxPaymentSize {
		return fmt.Errorf("%w: payment of %d bytes", ErrMalformed, len(b))
	}
	r := wire.NewReader(b)
	var out Payment
	out.Challenge.read(r)
	n := r.Count(maxCoinsPerRequest, "coins")
	for range n {
		var c Coin
		c.read(r)
		out.Coins = append(out.Coins, c)
		out.KeySigs = append(out.KeySigs, r.Bytes16(CoinKeySigSize, "coin key signature"))
	}
	sigs := make([][]byte, n)
	for i := range sigs {
		sigs[i] = r.Fixed(groupsig.SignatureSize, "group signature")
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: payment: %w", ErrMalformed, err)
	}
	out.GroupSigs = make([]groupsig.Signature, n)
	for i := range sigs {
		if err := out.GroupSigs[i].UnmarshalBinary(sigs[i]); err != nil {
			return fmt.Errorf("%w: payment: group signature %d: %w", ErrMalformed, i, err)
		}
	}
	*p = out
	return nil
}

// Value returns the total value of the coins.
func (p *Payment) Value() Amount { return sumCoins(p.Coins) }

func sumCoins(coins []Coin) Amount {
	var v Amount
	for i := range coins {
		v += coins[i].Value()
	}
	return v
}

// UserKeys returns the user-group public key of an epoch. A payment's
// signatures are at the epoch of each coin's escrow, which the coin's
// module key vouches for (see doc.go, "Revocation").
type UserKeys func(epoch uint64) (*groupsig.PublicKey, error)

// VerifyPayment checks a payment completely and offline: the coins add up
// to the challenged amount, serials are distinct, every coin is signed by
// the module and within its window, every bound coin's key signed the
// challenge, and for every coin a group signature proves its withdrawer's
// identity escrow.
func VerifyPayment(p *Payment, ks *KeySet, users UserKeys, now time.Time, w Window) error {
	if len(p.Coins) == 0 || len(p.Coins) != len(p.KeySigs) || len(p.Coins) != len(p.GroupSigs) {
		return fmt.Errorf("%w: payment with %d coins, %d key signatures and %d group signatures", ErrMalformed, len(p.Coins), len(p.KeySigs), len(p.GroupSigs))
	}
	if v := p.Value(); v != p.Challenge.Amount {
		return fmt.Errorf("%w: coins worth %d, challenge asks %d", ErrChallenge, v, p.Challenge.Amount)
	}
	seen := make(map[[SerialSize]byte]bool, len(p.Coins))
	for i := range p.Coins {
		c := &p.Coins[i]
		if seen[c.Message.Serial] {
			return fmt.Errorf("%w: serial repeated within one payment", ErrDoubleSpend)
		}
		seen[c.Message.Serial] = true
		if err := ks.VerifyCoin(c, now, w); err != nil {
			return fmt.Errorf("coin %d: %w", i, err)
		}
		if err := checkKeySig(c, &p.Challenge, p.KeySigs[i]); err != nil {
			return fmt.Errorf("coin %d: %w", i, err)
		}
	}
	d := p.Digest()
	for i := range p.Coins {
		if err := checkEscrowSig(&p.Coins[i].Message, &p.GroupSigs[i], d[:], users); err != nil {
			return fmt.Errorf("coin %d: %w", i, err)
		}
	}
	return nil
}

// checkEscrowSig checks that sig proves the escrow coin m commits to, at
// the user epoch the coin's key was made for.
func checkEscrowSig(m *CoinMessage, sig *groupsig.Signature, digest []byte, users UserKeys) error {
	if sig.Epoch != m.Users {
		return fmt.Errorf("%w: group signature at user epoch %d, the coin escrows epoch %d", ErrNotMember, sig.Epoch, m.Users)
	}
	esc := sig.Escrow()
	if EscrowHash(&esc) != m.Escrow {
		return fmt.Errorf("%w: %w", ErrNotMember, groupsig.ErrEscrowMismatch)
	}
	pk, err := users(m.Users)
	if err != nil {
		return fmt.Errorf("%w: user group epoch %d: %w", ErrNotMember, m.Users, err)
	}
	if err := pk.Verify(digest, sig); err != nil {
		return fmt.Errorf("%w: %w", ErrNotMember, err)
	}
	return nil
}

func checkKeySig(c *Coin, ch *Challenge, sig []byte) error {
	if !c.Message.Bound {
		if len(sig) != 0 {
			return fmt.Errorf("%w: key signature on an unbound coin", ErrMalformed)
		}
		return nil
	}
	if !verifyKeySig(c.Key, ch.KeyDigest(c.Message.Serial), sig) {
		return fmt.Errorf("%w: the coin's device key did not sign this challenge", ErrBinding)
	}
	return nil
}
