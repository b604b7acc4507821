package bank

import (
	"time"
)

// LoginChallenge is the server's fresh random challenge for a certificate
// login, signed with the server certificate's SM2 key (the paper's step 2).
type LoginChallenge struct {
	ID        [IDSize]byte
	Account   string
	Nonce     [NonceSize]byte
	Expires   time.Time
	ServerSig []byte // SM2 by the server key over ctxChallenge || body
}

func (m *LoginChallenge) body() ([]byte, error) {
	if err := checkField("account", m.Account, maxAccountID); err != nil {
		return nil, err
	}
	w := writer(KindLoginChallenge)
	w.Fixed(m.ID[:])
	w.String16(m.Account)
	w.Fixed(m.Nonce[:])
	w.U64(uint64(m.Expires.Unix()))
	return w.B, nil
}

func (m *LoginChallenge) MarshalBinary() ([]byte, error) {
	b, err := m.body()
	if err != nil {
		return nil, err
	}
	return appendSig(b, m.ServerSig)
}

func (m *LoginChallenge) UnmarshalBinary(b []byte) error {
	r := reader(b, KindLoginChallenge)
	copy(m.ID[:], r.Fixed(IDSize, "id"))
	m.Account = r.String16(maxAccountID, "account")
	copy(m.Nonce[:], r.Fixed(NonceSize, "nonce"))
	m.Expires = unixTime(r.U64("expiry"))
	m.ServerSig = r.Bytes16(maxSig, "server signature")
	return done(r, "login challenge")
}

// LoginResponse is the card's answer: its signature over the whole
// challenge encoding (server signature included).
type LoginResponse struct {
	ID  [IDSize]byte
	Sig []byte // SM2 by the card key over ctxLogin || challenge encoding
}

func (m *LoginResponse) MarshalBinary() ([]byte, error) {
	w := writer(KindLoginResponse)
	w.Fixed(m.ID[:])
	return appendSig(w.B, m.Sig)
}

func (m *LoginResponse) UnmarshalBinary(b []byte) error {
	r := reader(b, KindLoginResponse)
	copy(m.ID[:], r.Fixed(IDSize, "id"))
	m.Sig = r.Bytes16(maxSig, "signature")
	return done(r, "login response")
}

func appendSig(b, sig []byte) ([]byte, error) {
	if len(sig) > maxSig {
		return nil, ErrMalformed
	}
	w := wireWriter(b)
	w.Bytes16(sig)
	return w.B, nil
}
