package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"

	"trustbank/internal/wire"
)

// Message kinds: the first byte of every encoding, so a scanned QR code
// says what it holds.
const (
	KindTemplate   byte = 0x51 // QR1
	KindMoney      byte = 0x52 // QR2
	KindSettlement byte = 0x53 // QR3
	KindBalance    byte = 0x54 // QR4
	KindReceipt    byte = 0x55 // QR5
	KindCollection byte = 0x56
	KindSubmission byte = 0x57
	KindEntry      byte = 0x58
	KindCheckpoint byte = 0x59 // legacy: signed over the binary body
	// KindCheckpointNote: a checkpoint signed over its note text (note.go).
	KindCheckpointNote byte = 0x5e
)

// Limits on variable fields.
const (
	MaxName    = 64  // bank and account names
	MaxPurpose = 140 // purpose, UTF-8
	maxSig     = sm9SigSize
	maxProof   = 64 // inclusion proof hashes (a tree of 2^64 leaves)
	maxCT      = 128

	// Starting capacities of the hot encodings (with SM2, money is about
	// 420–440 bytes and an entry about 360): one allocation, no regrowth.
	moneyCap = 512
	entryCap = 448
)

// Digest is an SM3 digest.
type Digest [32]byte

func (d Digest) String() string { return fmt.Sprintf("%x", d[:8]) }

// fieldMsg is what one field signature covers: a domain tag, the message
// kind, the field's number, the message's identity and the field. Binding
// the identity stops fields of one message from being spliced into another.
func fieldMsg(kind, field byte, id, value []byte) []byte {
	var w wire.Writer
	w.Fixed([]byte("trustbank/ledger/field/v1"))
	w.U8(kind)
	w.U8(field)
	w.Bytes16(id)
	w.Fixed(value)
	return w.B
}

func str(s string) []byte {
	var w wire.Writer
	w.String16(s)
	return w.B
}

func checkName(what, s string) error {
	if s == "" || len(s) > MaxName {
		return fmt.Errorf("%w: %s must be 1..%d bytes", ErrMalformed, what, MaxName)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '@') {
			return fmt.Errorf("%w: %s %q: only letters, digits and . - _ @", ErrMalformed, what, s)
		}
	}
	return nil
}

func checkCurrency(c string) error {
	if len(c) != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' || c[2] < 'A' || c[2] > 'Z' {
		return fmt.Errorf("%w: currency %q is not three capital letters", ErrMalformed, c)
	}
	return nil
}

func checkPurpose(p string) error {
	if len(p) > MaxPurpose || !utf8.ValidString(p) {
		return fmt.Errorf("%w: purpose must be valid UTF-8 of at most %d bytes", ErrMalformed, MaxPurpose)
	}
	return nil
}

func checkSig(what string, sig []byte) error {
	if len(sig) != sm2SigSize && len(sig) != sm9SigSize {
		return fmt.Errorf("%w: %s is %d bytes (SM2 %d, SM9 %d)", ErrMalformed, what, len(sig), sm2SigSize, sm9SigSize)
	}
	return nil
}

// Template is QR1: the issuing bank's certificate of one account, each
// field signed by the bank (Sig1: bank and time; Sig2: currency; Sig3:
// account name, scheme and public key).
type Template struct {
	Bank      string
	Issued    int64 // Unix milliseconds
	Currency  string
	Account   string
	Scheme    Scheme
	PublicKey []byte // SM2: the account's 65-byte key; SM9: empty (the identity is Account)
	Sig1      []byte
	Sig2      []byte
	Sig3      []byte
}

func (t *Template) id() []byte { return append(str(t.Bank), str(t.Account)...) }

func (t *Template) fields() [3][]byte {
	var w wire.Writer
	w.String16(t.Bank)
	w.U64(uint64(t.Issued))
	f1 := w.B
	f3 := wire.Writer{}
	f3.String16(t.Account)
	f3.U8(uint8(t.Scheme))
	f3.Bytes16(t.PublicKey)
	id := t.id()
	return [3][]byte{
		fieldMsg(KindTemplate, 1, id, f1),
		fieldMsg(KindTemplate, 2, id, str(t.Currency)),
		fieldMsg(KindTemplate, 3, id, f3.B),
	}
}

func (t *Template) check() error {
	if err := checkName("bank", t.Bank); err != nil {
		return err
	}
	if err := checkName("account", t.Account); err != nil {
		return err
	}
	if err := checkCurrency(t.Currency); err != nil {
		return err
	}
	switch t.Scheme {
	case SM2:
		if len(t.PublicKey) != PublicKeySize {
			return fmt.Errorf("%w: SM2 account key must be %d bytes", ErrMalformed, PublicKeySize)
		}
	case SM9:
		if len(t.PublicKey) != 0 {
			return fmt.Errorf("%w: SM9 account carries no key (its identity is its name)", ErrMalformed)
		}
	default:
		return fmt.Errorf("%w: unknown scheme %d", ErrMalformed, t.Scheme)
	}
	for i, s := range [][]byte{t.Sig1, t.Sig2, t.Sig3} {
		if err := checkSig(fmt.Sprintf("template sig%d", i+1), s); err != nil {
			return err
		}
	}
	return nil
}

// MarshalBinary encodes the template.
func (t *Template) MarshalBinary() ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	var w wire.Writer
	t.encode(&w)
	return w.B, nil
}

func (t *Template) encode(w *wire.Writer) {
	w.U8(KindTemplate)
	w.String16(t.Bank)
	w.U64(uint64(t.Issued))
	w.Bytes16(t.Sig1)
	w.String16(t.Currency)
	w.Bytes16(t.Sig2)
	w.String16(t.Account)
	w.U8(uint8(t.Scheme))
	w.Bytes16(t.PublicKey)
	w.Bytes16(t.Sig3)
}

func (t *Template) decode(r *wire.Reader) {
	if k := r.U8("kind"); r.Err() == nil && k != KindTemplate {
		r.Fail("not a template (kind %#x)", k)
	}
	t.Bank = r.String16(MaxName, "bank")
	t.Issued = int64(r.U64("issued"))
	t.Sig1 = clone(r.Bytes16(maxSig, "sig1"))
	t.Currency = r.String16(3, "currency")
	t.Sig2 = clone(r.Bytes16(maxSig, "sig2"))
	t.Account = r.String16(MaxName, "account")
	t.Scheme = Scheme(r.U8("scheme"))
	t.PublicKey = clone(r.Bytes16(PublicKeySize, "public key"))
	t.Sig3 = clone(r.Bytes16(maxSig, "sig3"))
}

// UnmarshalBinary decodes a template.
func (t *Template) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	t.decode(r)
	if err := r.Done(); err != nil {
		return err
	}
	return t.check()
}

// Verify checks the bank's three field signatures.
func (t *Template) Verify(bank Verifier) error {
	if err := t.check(); err != nil {
		return err
	}
	for i, m := range t.fields() {
		if !bank.Verify(m, [][]byte{t.Sig1, t.Sig2, t.Sig3}[i]) {
			return fmt.Errorf("%w: template of %s: bank signature %d", ErrBadSignature, t.Account, i+1)
		}
	}
	return nil
}

// Money is QR2, digital account money: made by the payer from its
// template, each field signed by the payer (Sig3: account and time; Sig4:
// amount and currency; Sig5: purpose; Sig6: payee; Sig7: lsum). It is
// worth something only to Payee, once.
type Money struct {
	Payer    string
	Time     int64 // Unix milliseconds; (Payer, Time) identifies the money
	Amount   uint64
	Currency string
	Purpose  string
	Payee    string
	LSum     Digest
	Sig3     []byte
	Sig4     []byte
	Sig5     []byte
	Sig6     []byte
	Sig7     []byte
}

func (m *Money) id() []byte {
	var w wire.Writer
	w.String16(m.Payer)
	w.U64(uint64(m.Time))
	return w.B
}

func (m *Money) values() (acct, amount, purpose, payee []byte) {
	acct = m.id()
	var w wire.Writer
	w.U64(m.Amount)
	w.String16(m.Currency)
	return acct, w.B, str(m.Purpose), str(m.Payee)
}

// fields are the five signed messages, in the order of Sig3..Sig7.
func (m *Money) fields() [5][]byte {
	id := m.id()
	acct, amount, purpose, payee := m.values()
	return [5][]byte{
		fieldMsg(KindMoney, 3, id, acct),
		fieldMsg(KindMoney, 4, id, amount),
		fieldMsg(KindMoney, 5, id, purpose),
		fieldMsg(KindMoney, 6, id, payee),
		fieldMsg(KindMoney, 7, id, m.LSum[:]),
	}
}

func (m *Money) sigs() [5][]byte { return [5][]byte{m.Sig3, m.Sig4, m.Sig5, m.Sig6, m.Sig7} }

// lsum terms: SM3(tag ‖ field) for account, time, amount, purpose, payee.
func lsumTerm(tag byte, value []byte) Digest {
	h := sm3.New()
	h.Write([]byte("trustbank/ledger/lsum/v1"))
	h.Write([]byte{tag})
	h.Write(value)
	var d Digest
	h.Sum(d[:0])
	return d
}

func timeValue(t int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(t)) }

// LinearSum computes lsum = Σ SM3(tag_i ‖ field_i) mod 2^256 over the
// fields payer, time, amount (with currency), purpose and payee.
func (m *Money) LinearSum() Digest {
	_, amount, purpose, payee := m.values()
	terms := []Digest{
		lsumTerm('a', str(m.Payer)),
		lsumTerm('t', timeValue(m.Time)),
		lsumTerm('m', amount),
		lsumTerm('p', purpose),
		lsumTerm('y', payee),
	}
	var sum Digest
	for _, t := range terms {
		sum = addDigest(sum, t)
	}
	return sum
}

// addDigest and subDigest are addition and subtraction mod 2^256 of
// big-endian 256-bit numbers.
func addDigest(a, b Digest) Digest {
	var out Digest
	var carry uint64
	for i := 24; i >= 0; i -= 8 {
		s, c := bits.Add64(binary.BigEndian.Uint64(a[i:]), binary.BigEndian.Uint64(b[i:]), carry)
		binary.BigEndian.PutUint64(out[i:], s)
		carry = c
	}
	return out
}

func subDigest(a, b Digest) Digest {
	var out Digest
	var borrow uint64
	for i := 24; i >= 0; i -= 8 {
		s, c := bits.Sub64(binary.BigEndian.Uint64(a[i:]), binary.BigEndian.Uint64(b[i:]), borrow)
		binary.BigEndian.PutUint64(out[i:], s)
		borrow = c
	}
	return out
}

func xorDigest(a, b Digest) Digest {
	var out Digest
	for i := range out {
		out[i] = a[i] ^ b[i]
	}
	return out
}

func (m *Money) check() error {
	if err := checkName("payer", m.Payer); err != nil {
		return err
	}
	if err := checkName("payee", m.Payee); err != nil {
		return err
	}
	if err := checkCurrency(m.Currency); err != nil {
		return err
	}
	if err := checkPurpose(m.Purpose); err != nil {
		return err
	}
	if m.Amount == 0 {
		return fmt.Errorf("%w: amount is zero", ErrMalformed)
	}
	if m.Payer == m.Payee {
		return fmt.Errorf("%w: payer and payee are the same account", ErrMalformed)
	}
	for i, s := range m.sigs() {
		if err := checkSig(fmt.Sprintf("money sig%d", i+3), s); err != nil {
			return err
		}
	}
	return nil
}

// MarshalBinary encodes the money.
func (m *Money) MarshalBinary() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	w := wire.Writer{B: make([]byte, 0, moneyCap)}
	w.U8(KindMoney)
	w.String16(m.Payer)
	w.U64(uint64(m.Time))
	w.Bytes16(m.Sig3)
	w.U64(m.Amount)
	w.String16(m.Currency)
	w.Bytes16(m.Sig4)
	w.String16(m.Purpose)
	w.Bytes16(m.Sig5)
	w.String16(m.Payee)
	w.Bytes16(m.Sig6)
	w.Fixed(m.LSum[:])
	w.Bytes16(m.Sig7)
	return w.B, nil
}

// UnmarshalBinary decodes money and checks its form (not its signatures).
func (m *Money) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	if k := r.U8("kind"); r.Err() == nil && k != KindMoney {
		r.Fail("not money (kind %#x)", k)
	}
	m.Payer = r.String16(MaxName, "payer")
	m.Time = int64(r.U64("time"))
	m.Sig3 = clone(r.Bytes16(maxSig, "sig3"))
	m.Amount = r.U64("amount")
	m.Currency = r.String16(3, "currency")
	m.Sig4 = clone(r.Bytes16(maxSig, "sig4"))
	m.Purpose = r.String16(MaxPurpose, "purpose")
	m.Sig5 = clone(r.Bytes16(maxSig, "sig5"))
	m.Payee = r.String16(MaxName, "payee")
	m.Sig6 = clone(r.Bytes16(maxSig, "sig6"))
	copy(m.LSum[:], r.Fixed(32, "lsum"))
	m.Sig7 = clone(r.Bytes16(maxSig, "sig7"))
	if err := r.Done(); err != nil {
		return err
	}
	return m.check()
}

// Digest is SM3 of the money's encoding.
func (m *Money) Digest() Digest {
	b, err := m.MarshalBinary()
	if err != nil {
		return Digest{}
	}
	return sm3.Sum(b)
}

// Verify checks the money's form, that lsum is the linear sum of its
// fields, and the payer's five field signatures.
func (m *Money) Verify(payer Verifier) error {
	if err := m.check(); err != nil {
		return err
	}
	if m.LinearSum() != m.LSum {
		return fmt.Errorf("%w: lsum is not the linear sum of the fields", ErrMalformed)
	}
	sigs := m.sigs()
	for i, f := range m.fields() {
		if !payer.Verify(f, sigs[i]) {
			return fmt.Errorf("%w: money of %s at %d: payer signature %d", ErrBadSignature, m.Payer, m.Time, i+3)
		}
	}
	return nil
}

// CollectionNotice is step 1: the payee asks for an amount, proving its
// account with its template and signing the request.
type CollectionNotice struct {
	Payee    Template
	Amount   uint64
	Currency string
	Purpose  string
	Time     int64
	Sig      []byte // the payee's
}

func (c *CollectionNotice) body() []byte {
	var w wire.Writer
	w.Fixed([]byte("trustbank/ledger/collection/v1"))
	c.Payee.encode(&w)
	w.U64(c.Amount)
	w.String16(c.Currency)
	w.String16(c.Purpose)
	w.U64(uint64(c.Time))
	return w.B
}

func (c *CollectionNotice) check() error {
	if err := c.Payee.check(); err != nil {
		return err
	}
	if err := checkCurrency(c.Currency); err != nil {
		return err
	}
	if err := checkPurpose(c.Purpose); err != nil {
		return err
	}
	if c.Amount == 0 {
		return fmt.Errorf("%w: amount is zero", ErrMalformed)
	}
	return checkSig("collection notice signature", c.Sig)
}

// MarshalBinary encodes the notice.
func (c *CollectionNotice) MarshalBinary() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	var w wire.Writer
	w.U8(KindCollection)
	c.Payee.encode(&w)
	w.U64(c.Amount)
	w.String16(c.Currency)
	w.String16(c.Purpose)
	w.U64(uint64(c.Time))
	w.Bytes16(c.Sig)
	return w.B, nil
}

// UnmarshalBinary decodes a collection notice.
func (c *CollectionNotice) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	if k := r.U8("kind"); r.Err() == nil && k != KindCollection {
		r.Fail("not a collection notice (kind %#x)", k)
	}
	c.Payee.decode(r)
	c.Amount = r.U64("amount")
	c.Currency = r.String16(3, "currency")
	c.Purpose = r.String16(MaxPurpose, "purpose")
	c.Time = int64(r.U64("time"))
	c.Sig = clone(r.Bytes16(maxSig, "signature"))
	if err := r.Done(); err != nil {
		return err
	}
	return c.check()
}

// Verify checks the payee's template against the bank and the notice
// against the payee.
func (c *CollectionNotice) Verify(bank Verifier, payee Verifier) error {
	if err := c.check(); err != nil {
		return err
	}
	if err := c.Payee.Verify(bank); err != nil {
		return err
	}
	if !payee.Verify(c.body(), c.Sig) {
		return fmt.Errorf("%w: collection notice of %s", ErrBadSignature, c.Payee.Account)
	}
	return nil
}

// Submission is step 3: the payee hands the money to the bank, signing it,
// so that a copy in anyone else's hands is worthless.
type Submission struct {
	Money Money
	Sig   []byte // the payee's, over submitMsg(money digest)
}

func submitMsg(d Digest) []byte {
	return append([]byte("trustbank/ledger/submit/v1"), d[:]...)
}

// MarshalBinary encodes the submission.
func (s *Submission) MarshalBinary() ([]byte, error) {
	mb, err := s.Money.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if err := checkSig("submission signature", s.Sig); err != nil {
		return nil, err
	}
	var w wire.Writer
	w.U8(KindSubmission)
	w.Bytes16(mb)
	w.Bytes16(s.Sig)
	return w.B, nil
}

// UnmarshalBinary decodes a submission.
func (s *Submission) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	if k := r.U8("kind"); r.Err() == nil && k != KindSubmission {
		r.Fail("not a submission (kind %#x)", k)
	}
	mb := r.Bytes16(4096, "money")
	s.Sig = clone(r.Bytes16(maxSig, "signature"))
	if err := r.Done(); err != nil {
		return err
	}
	if err := checkSig("submission signature", s.Sig); err != nil {
		return err
	}
	return s.Money.UnmarshalBinary(mb)
}

// Receipt is QR5: the payee's receipt to the payer, naming the money and
// the bank's settlement notice.
type Receipt struct {
	Payee      string
	Payer      string
	Amount     uint64
	Currency   string
	Purpose    string
	Money      Digest
	Settlement Digest // SM3 of the settlement notice's encoding
	Time       int64
	Sig        []byte // the payee's
}

func (rc *Receipt) body() []byte {
	var w wire.Writer
	w.U8(KindReceipt)
	w.String16(rc.Payee)
	w.String16(rc.Payer)
	w.U64(rc.Amount)
	w.String16(rc.Currency)
	w.String16(rc.Purpose)
	w.Fixed(rc.Money[:])
	w.Fixed(rc.Settlement[:])
	w.U64(uint64(rc.Time))
	return w.B
}

func (rc *Receipt) check() error {
	if err := checkName("payee", rc.Payee); err != nil {
		return err
	}
	if err := checkName("payer", rc.Payer); err != nil {
		return err
	}
	if err := checkCurrency(rc.Currency); err != nil {
		return err
	}
	if err := checkPurpose(rc.Purpose); err != nil {
		return err
	}
	return checkSig("receipt signature", rc.Sig)
}

// MarshalBinary encodes the receipt.
func (rc *Receipt) MarshalBinary() ([]byte, error) {
	if err := rc.check(); err != nil {
		return nil, err
	}
	w := wire.Writer{B: rc.body()}
	w.Bytes16(rc.Sig)
	return w.B, nil
}

// UnmarshalBinary decodes a receipt.
func (rc *Receipt) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	if k := r.U8("kind"); r.Err() == nil && k != KindReceipt {
		r.Fail("not a receipt (kind %#x)", k)
	}
	rc.Payee = r.String16(MaxName, "payee")
	rc.Payer = r.String16(MaxName, "payer")
	rc.Amount = r.U64("amount")
	rc.Currency = r.String16(3, "currency")
	rc.Purpose = r.String16(MaxPurpose, "purpose")
	copy(rc.Money[:], r.Fixed(32, "money digest"))
	copy(rc.Settlement[:], r.Fixed(32, "settlement digest"))
	rc.Time = int64(r.U64("time"))
	rc.Sig = clone(r.Bytes16(maxSig, "signature"))
	if err := r.Done(); err != nil {
		return err
	}
	return rc.check()
}

// Verify checks the payee's signature.
func (rc *Receipt) Verify(payee Verifier) error {
	if err := rc.check(); err != nil {
		return err
	}
	if !payee.Verify(rc.body(), rc.Sig) {
		return fmt.Errorf("%w: receipt from %s", ErrBadSignature, rc.Payee)
	}
	return nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

// SubmitMessage is what a payee signs to submit money of digest d.
func SubmitMessage(d Digest) []byte { return submitMsg(d) }

// VerifyFieldSignatures checks only the payer's five field signatures:
// the bare crypto of Money.Verify (benchmarks measure against it).
func VerifyFieldSignatures(m *Money, payer Verifier) error {
	sigs := m.sigs()
	for i, f := range m.fields() {
		if !payer.Verify(f, sigs[i]) {
			return fmt.Errorf("%w: payer signature %d", ErrBadSignature, i+3)
		}
	}
	return nil
}
