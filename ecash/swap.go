package ecash

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"time"

	"trustbank/internal/wire"
)

// SwapMerchant is the reserved payee (bank and account) of a swap's input
// payment: coins are "paid" to the module itself in exchange for fresh coins.
const SwapMerchant = "(swap)"

const swapCtx = "trustbank/ecash/v1/swap\x00"

// SwapRequest exchanges coins for fresh coins of the same total value
// (change, as in Cashu and GNU Taler). The inputs are a payment to
// SwapMerchant whose challenge nonce commits to the request id, epoch and
// outputs, so the TPM coin-key signatures and the user's group signature
// authorise exactly this exchange.
type SwapRequest struct {
	ID      [RequestIDSize]byte
	Epoch   Epoch
	Users   uint64
	Outputs []BlindItem
	Inputs  Payment
}

// Nonce is what the inputs' challenge nonce must be.
func (q *SwapRequest) Nonce() [NonceSize]byte {
	w := wire.Writer{B: []byte(swapCtx)}
	w.Fixed(q.ID[:])
	w.U32(uint32(q.Epoch))
	w.U64(q.Users)
	writeItems(&w, q.Outputs)
	return sha256.Sum256(w.B)
}

// MarshalBinary encodes the request.
func (q *SwapRequest) MarshalBinary() ([]byte, error) {
	in, err := q.Inputs.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var w wire.Writer
	w.Fixed(q.ID[:])
	w.U32(uint32(q.Epoch))
	w.U64(q.Users)
	writeItems(&w, q.Outputs)
	w.Bytes32(in)
	return w.B, nil
}

// UnmarshalBinary decodes a request.
func (q *SwapRequest) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	var out SwapRequest
	copy(out.ID[:], r.Fixed(RequestIDSize, "request id"))
	out.Epoch = Epoch(r.U32("epoch"))
	out.Users = r.U64("user epoch")
	out.Outputs = readItems(r)
	in := r.Bytes32(maxPaymentSize, "inputs")
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: swap request: %w", ErrMalformed, err)
	}
	if err := out.Inputs.UnmarshalBinary(in); err != nil {
		return err
	}
	*q = out
	return nil
}

// Swap verifies a swap and commits it: the inputs are marked spent in the
// shared registry and the outputs blind-signed, atomically; the float does
// not change. A retry with the same id returns the same signatures.
func (m *Module) Swap(ctx context.Context, q *SwapRequest, users UserKeys) (*WithdrawResponse, error) {
	enc, _ := q.MarshalBinary()
	hash := sha256.Sum256(enc)
	if prior, err := m.store.Withdrawn(ctx, q.ID, hash); prior != nil || err != nil {
		return decodeResponse(prior, err)
	}
	in := &q.Inputs
	if in.Challenge.Bank != SwapMerchant || in.Challenge.Account != SwapMerchant || in.Challenge.Nonce != q.Nonce() {
		return nil, fmt.Errorf("%w: the inputs do not authorise this swap", ErrChallenge)
	}
	if in.Challenge.Amount != sumItems(q.Outputs) {
		return nil, fmt.Errorf("%w: swap of %d for %d", ErrChallenge, in.Challenge.Amount, sumItems(q.Outputs))
	}
	now := m.cfg.Now()
	if cur := m.cfg.Schedule.EpochAt(now); q.Epoch != cur {
		return nil, fmt.Errorf("%w: new coins are for epoch %d, request names %d", ErrExpired, cur, q.Epoch)
	}
	if d := now.Sub(in.Challenge.Time); d > ChallengeTTL || d < -ChallengeTTL {
		return nil, fmt.Errorf("%w: swap authorised at %s", ErrExpired, in.Challenge.Time.UTC().Format(time.RFC3339))
	}
	if err := VerifyPayment(in, m.KeySet(), users, now, SpendWindow); err != nil {
		return nil, err
	}
	sigs, err := m.sign(q.Epoch, q.Users, q.Outputs)
	if err != nil {
		return nil, err
	}
	resp := &WithdrawResponse{ID: q.ID, BlindSigs: sigs}
	respEnc, _ := resp.MarshalBinary()
	payment, _ := in.MarshalBinary()
	coins := make([]SpentCoin, len(in.Coins))
	for i, c := range in.Coins {
		coins[i] = SpentCoin{Epoch: c.Message.Epoch, Serial: c.Message.Serial}
	}
	stored, err := m.store.Swap(ctx, Swap{RequestID: q.ID, RequestHash: hash, Amount: in.Value(), Coins: coins,
		Payment: payment, Epoch: q.Epoch, Users: q.Users, Items: q.Outputs, Response: respEnc, At: now})
	return decodeResponse(stored, err)
}

func sumItems(items []BlindItem) Amount {
	var v Amount
	for _, it := range items {
		v += it.Denom.Value()
	}
	return v
}

// PendingSwap is a swap request and what the wallet needs to finish it.
type PendingSwap struct {
	Request *SwapRequest
	out     PendingWithdrawal
	inputs  []Coin
}

// Change prepares a swap that lets the wallet pay exactly amount: it gives
// up coins worth at least amount and asks for amount, and the rest, in
// fresh coins of epoch.
func (w *Wallet) Change(amount Amount, epoch Epoch, now time.Time) (*PendingSwap, error) {
	pick, total, err := w.cover(amount)
	if err != nil {
		return nil, err
	}
	want, err := Split(amount, w.keys.Schedule.Denoms)
	if err != nil {
		return nil, err
	}
	rest, err := Split(total-amount, w.keys.Schedule.Denoms)
	if err != nil {
		return nil, err
	}
	users, err := w.withdrawEpoch(epoch)
	if err != nil {
		return nil, err
	}
	ps := &PendingSwap{Request: &SwapRequest{Epoch: epoch, Users: users}}
	rand.Read(ps.Request.ID[:])
	ps.out.Request = &WithdrawRequest{ID: ps.Request.ID, Epoch: epoch, Users: users}
	for _, d := range append(want, rest...) {
		if err := w.blindOne(&ps.out, d, epoch, users); err != nil {
			return nil, err
		}
	}
	ps.Request.Outputs = ps.out.Request.Items
	ch := &Challenge{Bank: SwapMerchant, Account: SwapMerchant, Amount: total, Nonce: ps.Request.Nonce(), Time: now}
	in, err := w.payWith(ch, pick)
	if err != nil {
		return nil, err
	}
	ps.Request.Inputs, ps.inputs = *in, in.Coins
	return ps, nil
}

// FinishSwap unblinds the module's answer and keeps the new coins.
func (w *Wallet) FinishSwap(ps *PendingSwap, resp *WithdrawResponse) error {
	return w.Finish(&ps.out, resp)
}

// cover picks coins, largest first, until they are worth at least amount.
func (w *Wallet) cover(amount Amount) ([]int, Amount, error) {
	if w.Balance() < amount || amount == 0 {
		return nil, 0, fmt.Errorf("%w: wallet holds %d, asked %d", ErrInsufficientFunds, w.Balance(), amount)
	}
	var pick []int
	var sum Amount
	for _, i := range w.byValue() {
		if sum >= amount {
			break
		}
		pick, sum = append(pick, i), sum+w.coins[i].Value()
	}
	return pick, sum, nil
}
