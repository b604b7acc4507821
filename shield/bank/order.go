package bank

import (
	"time"

	"trustbank/internal/money"
	"trustbank/internal/wire"
)

// Payment is what a customer asks to transfer: from an own account to a
// payee (account and name) at this bank.
type Payment struct {
	Account   string
	Payee     string
	PayeeName string
	Amount    uint64 // fen
}

func (p *Payment) check() error {
	for _, f := range []struct {
		what, v string
		max     int
	}{{"account", p.Account, maxAccountID}, {"payee", p.Payee, maxAccountID}, {"payee name", p.PayeeName, maxName}} {
		if err := checkField(f.what, f.v, f.max); err != nil {
			return err
		}
	}
	return nil
}

func (p *Payment) write(w *wire.Writer) {
	w.String16(p.Account)
	w.String16(p.Payee)
	w.String16(p.PayeeName)
	w.U64(p.Amount)
}

func (p *Payment) read(r *wire.Reader) {
	p.Account = r.String16(maxAccountID, "account")
	p.Payee = r.String16(maxAccountID, "payee")
	p.PayeeName = r.String16(maxName, "payee name")
	p.Amount = r.U64("amount")
	if r.Err() == nil && (p.Amount == 0 || money.CheckAmount(p.Amount) != nil) {
		r.Fail("amount %d out of range 1..%d", p.Amount, money.MaxAmount)
	}
}

// PreSubmit is the paper's step 1 of transaction signing: the payment,
// under a session.
type PreSubmit struct {
	Session [TokenSize]byte
	Payment
}

func (m *PreSubmit) MarshalBinary() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	w := writer(KindPreSubmit)
	w.Fixed(m.Session[:])
	m.write(w)
	return w.B, nil
}

func (m *PreSubmit) UnmarshalBinary(b []byte) error {
	r := reader(b, KindPreSubmit)
	copy(m.Session[:], r.Fixed(TokenSize, "session"))
	m.read(r)
	return done(r, "pre-submit")
}

// Order is the pre-submitted payment with the server's fresh nonce and
// expiry, signed by the server key (step 2). The card verifies the
// signature and signs the whole encoding.
type Order struct {
	ID      [IDSize]byte
	Nonce   [NonceSize]byte
	Expires time.Time
	Payment
	ServerSig []byte // SM2 by the server key over ctxOrder || body
}

func (m *Order) body() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	w := writer(KindOrder)
	w.Fixed(m.ID[:])
	w.Fixed(m.Nonce[:])
	w.U64(uint64(m.Expires.Unix()))
	m.write(w)
	return w.B, nil
}

func (m *Order) MarshalBinary() ([]byte, error) {
	b, err := m.body()
	if err != nil {
		return nil, err
	}
	return appendSig(b, m.ServerSig)
}

func (m *Order) UnmarshalBinary(b []byte) error {
	r := reader(b, KindOrder)
	copy(m.ID[:], r.Fixed(IDSize, "id"))
	copy(m.Nonce[:], r.Fixed(NonceSize, "nonce"))
	m.Expires = unixTime(r.U64("expiry"))
	m.read(r)
	m.ServerSig = r.Bytes16(maxSig, "server signature")
	return done(r, "order")
}

// PreSubmitResponse carries the signed order SM2-encrypted to the key of
// the account's certificate (the card's key).
type PreSubmitResponse struct {
	ID     [IDSize]byte
	Sealed []byte // SM2 ciphertext (ASN.1) of the Order encoding
}

func (m *PreSubmitResponse) MarshalBinary() ([]byte, error) {
	if err := checkField("sealed order", string(m.Sealed), maxSealed); err != nil {
		return nil, err
	}
	w := writer(KindPreSubmitResponse)
	w.Fixed(m.ID[:])
	w.Bytes16(m.Sealed)
	return w.B, nil
}

func (m *PreSubmitResponse) UnmarshalBinary(b []byte) error {
	r := reader(b, KindPreSubmitResponse)
	copy(m.ID[:], r.Fixed(IDSize, "id"))
	m.Sealed = r.Bytes16(maxSealed, "sealed order")
	return done(r, "pre-submit response")
}

// Confirm is step 4: the transaction text (the order as the server signed
// it) and the card's signature over it.
type Confirm struct {
	Order []byte // the Order encoding
	Sig   []byte // SM2 by the card key over ctxConfirm || Order
}

func (m *Confirm) MarshalBinary() ([]byte, error) {
	if err := checkField("order", string(m.Order), maxSealed); err != nil {
		return nil, err
	}
	w := writer(KindConfirm)
	w.Bytes16(m.Order)
	return appendSig(w.B, m.Sig)
}

func (m *Confirm) UnmarshalBinary(b []byte) error {
	r := reader(b, KindConfirm)
	m.Order = r.Bytes16(maxSealed, "order")
	m.Sig = r.Bytes16(maxSig, "signature")
	return done(r, "confirm")
}

// SessionTransfer is the weaker path: a payment authorised by a session
// alone, allowed while the day's non-counter total stays within the PBOC
// limit. ID makes retries idempotent.
type SessionTransfer struct {
	Session [TokenSize]byte
	ID      [IDSize]byte
	Payment
}

func (m *SessionTransfer) MarshalBinary() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	w := writer(KindSessionTransfer)
	w.Fixed(m.Session[:])
	w.Fixed(m.ID[:])
	m.write(w)
	return w.B, nil
}

func (m *SessionTransfer) UnmarshalBinary(b []byte) error {
	r := reader(b, KindSessionTransfer)
	copy(m.Session[:], r.Fixed(TokenSize, "session"))
	copy(m.ID[:], r.Fixed(IDSize, "id"))
	m.read(r)
	return done(r, "session transfer")
}

// Receipt is the server's answer to a booked transfer; a retry of the same
// request returns the same receipt.
type Receipt struct {
	ID       [IDSize]byte // the order id or the session transfer's id
	Account  string
	Payee    string
	Amount   uint64
	Level    Level
	Day      string // the calendar day in China Standard Time, YYYY-MM-DD
	DayTotal uint64 // the account's non-counter total that day, this transfer included
	Balance  uint64 // the payer's balance after the transfer
	At       time.Time
}

func (m *Receipt) MarshalBinary() ([]byte, error) {
	if err := checkField("account", m.Account, maxAccountID); err != nil {
		return nil, err
	}
	if err := checkField("payee", m.Payee, maxAccountID); err != nil {
		return nil, err
	}
	w := writer(KindReceipt)
	w.Fixed(m.ID[:])
	w.String16(m.Account)
	w.String16(m.Payee)
	w.U64(m.Amount)
	w.U8(uint8(m.Level))
	w.String16(m.Day)
	w.U64(m.DayTotal)
	w.U64(m.Balance)
	w.U64(uint64(m.At.UnixNano()))
	return w.B, nil
}

func (m *Receipt) UnmarshalBinary(b []byte) error {
	r := reader(b, KindReceipt)
	copy(m.ID[:], r.Fixed(IDSize, "id"))
	m.Account = r.String16(maxAccountID, "account")
	m.Payee = r.String16(maxAccountID, "payee")
	m.Amount = r.U64("amount")
	m.Level = Level(r.U8("level"))
	m.Day = r.String16(10, "day")
	m.DayTotal = r.U64("day total")
	m.Balance = r.U64("balance")
	m.At = time.Unix(0, int64(r.U64("time"))).UTC()
	if r.Err() == nil && !m.Level.valid() {
		r.Fail("level %d", uint8(m.Level))
	}
	return done(r, "receipt")
}
