package ledger

import (
	"fmt"

	"github.com/emmansun/gmsm/sm3"
	"github.com/transparency-dev/merkle/proof"

	"trustbank/internal/wire"
)

// Entry is the bank's record of one transaction (表1 记账单): the money's
// digest (the money itself is kept as-is beside it), the payer's and the
// payee's new balances encrypted (coded-bal) under keys of batch Batch
// (whose key the bank keeps wrapped as β), the bank's signature over them
// (sign9), the evidence-chain code ecode_n = ecode_{n−1} ⊕ lsum_n with the
// bank's signature (sign8), and Prev, the SM3 hash of entry n−1, which
// makes the entries an SM3 hash chain. The encoding is the leaf of the
// Merkle log.
type Entry struct {
	Index        uint64
	Booked       int64 // Unix milliseconds
	Money        Digest
	Payer        string
	Payee        string
	Amount       uint64
	LSum         Digest
	Batch        uint64
	PayerBalance []byte
	PayeeBalance []byte
	Sig9         []byte
	Ecode        Digest
	Sig8         []byte
	Prev         Digest
}

func sign9Msg(index, batch uint64, money Digest, payerBal, payeeBal []byte) []byte {
	var w wire.Writer
	w.Fixed([]byte("trustbank/ledger/sign9/v1"))
	w.U64(index)
	w.Fixed(money[:])
	w.U64(batch)
	w.Bytes16(payerBal)
	w.Bytes16(payeeBal)
	return w.B
}

func sign8Msg(index uint64, ecode Digest) []byte {
	var w wire.Writer
	w.Fixed([]byte("trustbank/ledger/sign8/v1"))
	w.U64(index)
	w.Fixed(ecode[:])
	return w.B
}

func (e *Entry) check() error {
	if err := checkName("payer", e.Payer); err != nil {
		return err
	}
	if err := checkName("payee", e.Payee); err != nil {
		return err
	}
	if len(e.PayerBalance) == 0 || len(e.PayerBalance) > maxCT || len(e.PayeeBalance) == 0 || len(e.PayeeBalance) > maxCT {
		return fmt.Errorf("%w: balance ciphertext size", ErrMalformed)
	}
	if err := checkSig("sign9", e.Sig9); err != nil {
		return err
	}
	return checkSig("sign8", e.Sig8)
}

func (e *Entry) encode(w *wire.Writer) {
	w.U8(KindEntry)
	w.U64(e.Index)
	w.U64(uint64(e.Booked))
	w.Fixed(e.Money[:])
	w.String16(e.Payer)
	w.String16(e.Payee)
	w.U64(e.Amount)
	w.Fixed(e.LSum[:])
	w.U64(e.Batch)
	w.Bytes16(e.PayerBalance)
	w.Bytes16(e.PayeeBalance)
	w.Bytes16(e.Sig9)
	w.Fixed(e.Ecode[:])
	w.Bytes16(e.Sig8)
	w.Fixed(e.Prev[:])
}

func (e *Entry) decode(r *wire.Reader) {
	if k := r.U8("kind"); r.Err() == nil && k != KindEntry {
		r.Fail("not an entry (kind %#x)", k)
	}
	e.Index = r.U64("index")
	e.Booked = int64(r.U64("booked"))
	copy(e.Money[:], r.Fixed(32, "money digest"))
	e.Payer = r.String16(MaxName, "payer")
	e.Payee = r.String16(MaxName, "payee")
	e.Amount = r.U64("amount")
	copy(e.LSum[:], r.Fixed(32, "lsum"))
	e.Batch = r.U64("batch")
	e.PayerBalance = clone(r.Bytes16(maxCT, "payer balance"))
	e.PayeeBalance = clone(r.Bytes16(maxCT, "payee balance"))
	e.Sig9 = clone(r.Bytes16(maxSig, "sign9"))
	copy(e.Ecode[:], r.Fixed(32, "ecode"))
	e.Sig8 = clone(r.Bytes16(maxSig, "sign8"))
	copy(e.Prev[:], r.Fixed(32, "prev"))
}

// MarshalBinary encodes the entry (the Merkle leaf).
func (e *Entry) MarshalBinary() ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	w := wire.Writer{B: make([]byte, 0, entryCap)}
	e.encode(&w)
	return w.B, nil
}

// UnmarshalBinary decodes an entry.
func (e *Entry) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	e.decode(r)
	if err := r.Done(); err != nil {
		return err
	}
	return e.check()
}

// Hash is SM3 of the encoding: the next entry's Prev.
func (e *Entry) Hash() Digest {
	var w wire.Writer
	e.encode(&w)
	return sm3.Sum(w.B)
}

// LeafHash is the entry's Merkle leaf hash.
func (e *Entry) LeafHash() []byte {
	var w wire.Writer
	e.encode(&w)
	return TreeHasher.HashLeaf(w.B)
}

// VerifySigs checks sign8 and sign9 against the bank.
func (e *Entry) VerifySigs(bank Verifier) error {
	if !bank.Verify(sign9Msg(e.Index, e.Batch, e.Money, e.PayerBalance, e.PayeeBalance), e.Sig9) {
		return fmt.Errorf("%w: entry %d: sign9 (balances)", ErrBadSignature, e.Index)
	}
	if !bank.Verify(sign8Msg(e.Index, e.Ecode), e.Sig8) {
		return fmt.Errorf("%w: entry %d: sign8 (evidence-chain code)", ErrBadSignature, e.Index)
	}
	return nil
}

// Matches reports whether the entry books money m.
func (e *Entry) Matches(m *Money) error {
	if e.Money != m.Digest() || e.Payer != m.Payer || e.Payee != m.Payee || e.Amount != m.Amount || e.LSum != m.LSum {
		return fmt.Errorf("%w: entry %d does not book this money", ErrProof, e.Index)
	}
	return nil
}

// Checkpoint is a bank-signed head of the Merkle log: the tree of the
// first Size entries has root Root. The bank signs its note text
// (NoteText, c2sp.org/tlog-checkpoint); its binary form (kind
// KindCheckpointNote) carries the same fields and signature. A legacy
// checkpoint (kind KindCheckpoint, written before the note form) was
// signed over its binary body; it still decodes and verifies.
type Checkpoint struct {
	Bank string
	Size uint64
	Root Digest
	Time int64
	Sig  []byte

	legacy bool
}

func (c *Checkpoint) kind() byte {
	if c.legacy {
		return KindCheckpoint
	}
	return KindCheckpointNote
}

// signed is the message the bank signs: the note text, or a legacy
// checkpoint's binary body.
func (c *Checkpoint) signed() []byte {
	if c.legacy {
		return c.body()
	}
	return c.NoteText()
}

func (c *Checkpoint) body() []byte {
	var w wire.Writer
	w.U8(c.kind())
	w.String16(c.Bank)
	w.U64(c.Size)
	w.Fixed(c.Root[:])
	w.U64(uint64(c.Time))
	return w.B
}

func (c *Checkpoint) encode(w *wire.Writer) {
	w.Fixed(c.body())
	w.Bytes16(c.Sig)
}

func (c *Checkpoint) decode(r *wire.Reader) {
	k := r.U8("kind")
	if r.Err() == nil && k != KindCheckpoint && k != KindCheckpointNote {
		r.Fail("not a checkpoint (kind %#x)", k)
	}
	c.legacy = k == KindCheckpoint
	c.Bank = r.String16(MaxName, "bank")
	c.Size = r.U64("size")
	copy(c.Root[:], r.Fixed(32, "root"))
	c.Time = int64(r.U64("time"))
	c.Sig = clone(r.Bytes16(maxSig, "signature"))
}

// MarshalBinary encodes the checkpoint.
func (c *Checkpoint) MarshalBinary() ([]byte, error) {
	if err := checkSig("checkpoint signature", c.Sig); err != nil {
		return nil, err
	}
	var w wire.Writer
	c.encode(&w)
	return w.B, nil
}

// UnmarshalBinary decodes a checkpoint.
func (c *Checkpoint) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	c.decode(r)
	if err := r.Done(); err != nil {
		return err
	}
	if err := checkName("bank", c.Bank); err != nil {
		return err
	}
	return checkSig("checkpoint signature", c.Sig)
}

// Verify checks the bank's signature.
func (c *Checkpoint) Verify(bank Verifier) error {
	if !bank.Verify(c.signed(), c.Sig) {
		return fmt.Errorf("%w: checkpoint of size %d", ErrBadSignature, c.Size)
	}
	return nil
}

// VerifyConsistency checks that checkpoint newer extends older: proof is
// the RFC 6962 consistency proof between their sizes.
func VerifyConsistency(bank Verifier, older, newer *Checkpoint, proofHashes [][]byte) error {
	if err := older.Verify(bank); err != nil {
		return err
	}
	if err := newer.Verify(bank); err != nil {
		return err
	}
	if err := proof.VerifyConsistency(TreeHasher, older.Size, newer.Size, proofHashes, older.Root[:], newer.Root[:]); err != nil {
		return fmt.Errorf("%w: consistency %d → %d: %v", ErrProof, older.Size, newer.Size, err)
	}
	return nil
}

// Settlement is QR3, the bank's settlement notice to the payee (step 5):
// the entry booking the money, a checkpoint and the entry's inclusion
// proof in it. Balance is set only in the payer's balance notice (QR4,
// step 6): the payer's new balance SM2-encrypted to the payer, signed by
// the bank with the entry's hash.
type Settlement struct {
	Entry      Entry
	Checkpoint Checkpoint
	Proof      [][]byte
	Balance    []byte // QR4 only
	BalanceSig []byte // QR4 only
}

// IsBalanceNotice reports whether s is QR4 rather than QR3.
func (s *Settlement) IsBalanceNotice() bool { return s.Balance != nil }

func balanceNoticeMsg(entry Digest, ct []byte) []byte {
	var w wire.Writer
	w.Fixed([]byte("trustbank/ledger/balance-notice/v1"))
	w.Fixed(entry[:])
	w.Bytes16(ct)
	return w.B
}

// MarshalBinary encodes the notice.
func (s *Settlement) MarshalBinary() ([]byte, error) {
	if err := s.Entry.check(); err != nil {
		return nil, err
	}
	if len(s.Proof) > maxProof {
		return nil, fmt.Errorf("%w: proof of %d hashes", ErrMalformed, len(s.Proof))
	}
	var w wire.Writer
	if s.IsBalanceNotice() {
		w.U8(KindBalance)
	} else {
		w.U8(KindSettlement)
	}
	s.Entry.encode(&w)
	s.Checkpoint.encode(&w)
	w.U8(uint8(len(s.Proof)))
	for _, h := range s.Proof {
		if len(h) != 32 {
			return nil, fmt.Errorf("%w: proof hash of %d bytes", ErrMalformed, len(h))
		}
		w.Fixed(h)
	}
	if s.IsBalanceNotice() {
		w.Bytes16(s.Balance)
		w.Bytes16(s.BalanceSig)
	}
	return w.B, nil
}

// UnmarshalBinary decodes a settlement (QR3) or balance (QR4) notice.
func (s *Settlement) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	kind := r.U8("kind")
	if r.Err() == nil && kind != KindSettlement && kind != KindBalance {
		r.Fail("not a settlement or balance notice (kind %#x)", kind)
	}
	s.Entry.decode(r)
	s.Checkpoint.decode(r)
	n := int(r.U8("proof length"))
	if r.Err() == nil && n > maxProof {
		r.Fail("proof of %d hashes", n)
	}
	s.Proof = nil
	for i := 0; i < n && r.Err() == nil; i++ {
		s.Proof = append(s.Proof, clone(r.Fixed(32, "proof hash")))
	}
	s.Balance, s.BalanceSig = nil, nil
	if kind == KindBalance {
		s.Balance = clone(r.Bytes16(maxCT, "balance"))
		s.BalanceSig = clone(r.Bytes16(maxSig, "balance signature"))
		if r.Err() == nil && len(s.Balance) == 0 {
			r.Fail("empty balance")
		}
	}
	if err := r.Done(); err != nil {
		return err
	}
	if err := s.Entry.check(); err != nil {
		return err
	}
	if s.IsBalanceNotice() {
		if err := checkSig("balance signature", s.BalanceSig); err != nil {
			return err
		}
	}
	return checkSig("checkpoint signature", s.Checkpoint.Sig)
}

// Verify checks the notice offline: the checkpoint's and the entry's bank
// signatures, the inclusion proof, and (QR4) the balance signature.
func (s *Settlement) Verify(bank Verifier) error {
	if err := s.Checkpoint.Verify(bank); err != nil {
		return err
	}
	if err := s.Entry.VerifySigs(bank); err != nil {
		return err
	}
	if s.Entry.Index >= s.Checkpoint.Size {
		return fmt.Errorf("%w: entry %d is beyond checkpoint size %d", ErrProof, s.Entry.Index, s.Checkpoint.Size)
	}
	if err := proof.VerifyInclusion(TreeHasher, s.Entry.Index, s.Checkpoint.Size, s.Entry.LeafHash(), s.Proof, s.Checkpoint.Root[:]); err != nil {
		return fmt.Errorf("%w: inclusion of entry %d: %v", ErrProof, s.Entry.Index, err)
	}
	if s.IsBalanceNotice() && !bank.Verify(balanceNoticeMsg(s.Entry.Hash(), s.Balance), s.BalanceSig) {
		return fmt.Errorf("%w: balance notice of entry %d", ErrBadSignature, s.Entry.Index)
	}
	return nil
}

// Digest is SM3 of the notice's encoding (a receipt names it).
func (s *Settlement) Digest() Digest {
	b, err := s.MarshalBinary()
	if err != nil {
		return Digest{}
	}
	return sm3.Sum(b)
}
