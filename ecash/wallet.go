package ecash

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha3"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cloudflare/circl/blindsign/blindrsa"

	"trustbank/groupsig"
)

// ErrNeedChange means the wallet holds enough value but not coins that add
// up to the exact amount; a swap for smaller coins is needed first.
var ErrNeedChange = errors.New("ecash: no set of coins makes this exact amount; swap for change first")

// Device is the wallet's trusted platform (package attest implements it
// with a TPM): it creates coin keys that only it can use, in the attested
// state only, signs with them, and quotes its PCRs with the AIK.
type Device interface {
	NewCoinKey() (pub []byte, err error)
	SignCoin(pub []byte, digest [32]byte) ([]byte, error)
	Quote(nonce [32]byte) (evidence []byte, err error)
}

// Wallet is the user's e-cash wallet. Coin secrets (serial and blinding)
// derive from a seed and a counter, and each coin's identity escrow from
// the seed and its serial, so a wallet can be restored from its seed. A
// wallet with a Device binds every coin to a fresh device key. It keeps its
// user-group key of every epoch it still holds coins of: a coin's payments
// are signed at the user epoch its escrow was made in.
type Wallet struct {
	seed    [32]byte
	next    uint64
	keys    *KeySet
	members map[uint64]*groupsig.MemberKey
	users   UserKeys
	device  Device
	coins   []Coin
}

// NewWallet returns a wallet with the module's verified key set, the user's
// user-group key and the group's public keys by epoch; device may be nil
// (unbound coins).
func NewWallet(seed [32]byte, keys *KeySet, member *groupsig.MemberKey, users UserKeys, device Device) *Wallet {
	return &Wallet{seed: seed, keys: keys, members: map[uint64]*groupsig.MemberKey{member.Epoch: member}, users: users, device: device}
}

// Member returns the wallet's newest user-group key.
func (w *Wallet) Member() *groupsig.MemberKey { return w.members[w.userEpoch()] }

func (w *Wallet) userEpoch() uint64 {
	var e uint64
	for k := range w.members {
		e = max(e, k)
	}
	return e
}

// UpdateMember moves the wallet's user-group key to the epoch of a
// published revocation update (BBS04 §7), keeping the older key for the
// coins that escrow it. It fails with groupsig.ErrRevoked if the update
// revokes this user.
func (w *Wallet) UpdateMember(rev *groupsig.Revocation) error {
	mk, err := w.Member().Update(rev)
	if err != nil {
		return err
	}
	pk, err := w.users(rev.Epoch)
	if err != nil {
		return err
	}
	if err := mk.Check(pk); err != nil {
		return err
	}
	w.members[mk.Epoch] = mk
	return nil
}

// UpdateKeys replaces the module's key set (checked by the caller with
// ParseKeySet), e.g. after a new epoch or a user revocation.
func (w *Wallet) UpdateKeys(ks *KeySet) { w.keys = ks }

// escrowStream returns the deterministic stream of a coin's escrow secrets.
func (w *Wallet) escrowStream(serial [SerialSize]byte, users uint64) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte("trustbank/ecash/v2/coin-escrow\x00"))
	h.Write(w.seed[:])
	h.Write(serial[:])
	h.Write(binary.BigEndian.AppendUint64(nil, users))
	return h
}

// escrow re-derives the identity escrow of the coin with serial at user
// epoch users.
func (w *Wallet) escrow(serial [SerialSize]byte, users uint64) (*groupsig.Escrow, *groupsig.EscrowSecret, error) {
	mk := w.members[users]
	if mk == nil {
		return nil, nil, fmt.Errorf("%w: the wallet has no user key of epoch %d", groupsig.ErrStaleKey, users)
	}
	pk, err := w.users(users)
	if err != nil {
		return nil, nil, err
	}
	return mk.Escrow(w.escrowStream(serial, users), pk)
}

// PendingWithdrawal is a withdrawal request and what the wallet needs to
// unblind its answer.
type PendingWithdrawal struct {
	Request *WithdrawRequest
	msgs    []CoinMessage
	keys    [][]byte
	states  []blindrsa.State
}

// coinStream returns the deterministic secret stream of coin i.
func (w *Wallet) coinStream(i uint64) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte("trustbank/ecash/v1/coin-secrets\x00"))
	h.Write(w.seed[:])
	h.Write(binary.BigEndian.AppendUint64(nil, i))
	return h
}

// Withdraw prepares a withdrawal of amount from account at epoch: one coin
// per denomination in the amount's split, each bound to a new device key if
// the wallet has a device, blinded; the request carries a platform quote
// over its digest and is signed with the account key.
func (w *Wallet) Withdraw(account string, key ed25519.PrivateKey, amount Amount, epoch Epoch) (*PendingWithdrawal, error) {
	denoms, err := Split(amount, w.keys.Schedule.Denoms)
	if err != nil {
		return nil, err
	}
	users, err := w.withdrawEpoch(epoch)
	if err != nil {
		return nil, err
	}
	p := &PendingWithdrawal{Request: &WithdrawRequest{Account: account, Epoch: epoch, Users: users}}
	rand.Read(p.Request.ID[:])
	for _, d := range denoms {
		if err := w.blindOne(p, d, epoch, users); err != nil {
			return nil, err
		}
	}
	if w.device != nil {
		ev, err := w.device.Quote(p.Request.QuoteNonce())
		if err != nil {
			return nil, fmt.Errorf("ecash: wallet: platform quote: %w", err)
		}
		p.Request.Evidence = ev
	}
	p.Request.SignWith(key)
	return p, nil
}

// withdrawEpoch returns the user epoch new coins of epoch escrow: the
// wallet's newest, which the key set must offer keys for.
func (w *Wallet) withdrawEpoch(epoch Epoch) (uint64, error) {
	users := w.userEpoch()
	if got := w.keys.UserEpoch(epoch); got != users {
		return 0, fmt.Errorf("%w: wallet at user epoch %d, keys of epoch %d are for user epoch %d", ErrUserEpoch, users, epoch, got)
	}
	return users, nil
}

func (w *Wallet) blindOne(p *PendingWithdrawal, d Denom, epoch Epoch, users uint64) error {
	pk, err := w.keys.Key(KeyID{Epoch: epoch, Denom: d, Users: users})
	if err != nil {
		return err
	}
	stream := w.coinStream(w.next)
	w.next++
	m := CoinMessage{Denom: d, Epoch: epoch, Users: users}
	io.ReadFull(stream, m.Serial[:])
	esc, sec, err := w.escrow(m.Serial, users)
	if err != nil {
		return err
	}
	sec.Zeroize()
	m.Escrow = EscrowHash(esc)
	var ckey []byte
	if w.device != nil {
		if ckey, err = w.device.NewCoinKey(); err != nil {
			return fmt.Errorf("ecash: wallet: coin key: %w", err)
		}
		m.Bound, m.KeyHash = true, KeyHash(ckey)
	}
	client, err := blindrsa.NewClient(variant, pk)
	if err != nil {
		return err
	}
	blinded, state, err := client.Blind(stream, m.Encode())
	if err != nil {
		return err
	}
	p.Request.Items = append(p.Request.Items, BlindItem{Denom: d, Blinded: blinded})
	p.msgs, p.keys, p.states = append(p.msgs, m), append(p.keys, ckey), append(p.states, state)
	return nil
}

// Finish unblinds the bank's answer and keeps the coins. Each signature is
// checked (circl's Finalize verifies it), so a bad answer adds no coin.
func (w *Wallet) Finish(p *PendingWithdrawal, resp *WithdrawResponse) error {
	if resp.ID != p.Request.ID || len(resp.BlindSigs) != len(p.msgs) {
		return fmt.Errorf("%w: response does not answer this withdrawal", ErrMalformed)
	}
	coins := make([]Coin, len(p.msgs))
	for i, m := range p.msgs {
		pk, err := w.keys.Key(m.Key())
		if err != nil {
			return err
		}
		client, _ := blindrsa.NewClient(variant, pk)
		sig, err := client.Finalize(p.states[i], resp.BlindSigs[i])
		if err != nil {
			return fmt.Errorf("%w: blind signature %d: %v", ErrBadSignature, i, err)
		}
		coins[i] = Coin{Message: m, Sig: sig, Key: p.keys[i]}
	}
	w.coins = append(w.coins, coins...)
	return nil
}

// Balance is the value of the coins held.
func (w *Wallet) Balance() Amount { return sumCoins(w.coins) }

// Coins returns the coins held (copies).
func (w *Wallet) Coins() []Coin { return slices.Clone(w.coins) }

// Add puts coins into the wallet (a returned payment, or a restore).
func (w *Wallet) Add(coins ...Coin) { w.coins = append(w.coins, coins...) }

// Pay answers a merchant's challenge with coins adding up to exactly its
// amount: every bound coin's device key signs the challenge and the user's
// group key signs the whole transcript. The coins leave the wallet; Add
// them back if the merchant refuses the payment.
func (w *Wallet) Pay(ch *Challenge) (*Payment, error) {
	pick, err := w.choose(ch.Amount)
	if err != nil {
		return nil, err
	}
	return w.payWith(ch, pick)
}

// payWith answers ch with the coins at indexes pick and removes them.
func (w *Wallet) payWith(ch *Challenge, pick []int) (*Payment, error) {
	p := &Payment{Challenge: *ch}
	for _, i := range pick {
		c := w.coins[i]
		var ks []byte
		if c.Message.Bound {
			if w.device == nil {
				return nil, fmt.Errorf("%w: bound coin but no device", ErrBinding)
			}
			var err error
			if ks, err = w.device.SignCoin(c.Key, ch.KeyDigest(c.Message.Serial)); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrBinding, err)
			}
		}
		p.Coins, p.KeySigs = append(p.Coins, c), append(p.KeySigs, ks)
	}
	d := p.Digest()
	for i := range p.Coins {
		gs, err := w.signEscrow(&p.Coins[i].Message, d[:])
		if err != nil {
			return nil, err
		}
		p.GroupSigs = append(p.GroupSigs, *gs)
	}
	pick = slices.Clone(pick)
	slices.Sort(pick)
	for _, i := range slices.Backward(pick) {
		w.coins = slices.Delete(w.coins, i, i+1)
	}
	return p, nil
}

// signEscrow signs digest for the identity escrow coin m commits to.
func (w *Wallet) signEscrow(m *CoinMessage, digest []byte) (*groupsig.Signature, error) {
	esc, sec, err := w.escrow(m.Serial, m.Users)
	if err != nil {
		return nil, err
	}
	defer sec.Zeroize()
	if EscrowHash(esc) != m.Escrow {
		return nil, fmt.Errorf("%w: the coin escrows another credential", groupsig.ErrEscrowMismatch)
	}
	pk, err := w.users(m.Users)
	if err != nil {
		return nil, err
	}
	return w.members[m.Users].SignEscrow(rand.Reader, pk, esc, sec, digest)
}

// byValue returns coin indexes, largest coin first.
func (w *Wallet) byValue() []int {
	order := make([]int, len(w.coins))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(w.coins[b].Message.Denom) - int(w.coins[a].Message.Denom) })
	return order
}

// choose picks coins adding up to exactly amount, largest first.
func (w *Wallet) choose(amount Amount) ([]int, error) {
	if w.Balance() < amount {
		return nil, fmt.Errorf("%w: wallet holds %d, asked %d", ErrInsufficientFunds, w.Balance(), amount)
	}
	var pick []int
	rest := amount
	for _, i := range w.byValue() {
		if v := w.coins[i].Value(); v <= rest {
			pick, rest = append(pick, i), rest-v
		}
	}
	if rest != 0 || len(pick) == 0 {
		return nil, ErrNeedChange
	}
	return pick, nil
}
