package bank

import (
	"fmt"
	"time"
)

// Level is how a session or a transfer was authenticated.
type Level uint8

const (
	// LevelPassword: account and password only (the weaker path).
	LevelPassword Level = 1
	// LevelCertificate: certificate login, or a transfer the card signed.
	LevelCertificate Level = 2
)

func (l Level) valid() bool { return l == LevelPassword || l == LevelCertificate }

func (l Level) String() string {
	switch l {
	case LevelPassword:
		return "password"
	case LevelCertificate:
		return "certificate"
	}
	return fmt.Sprintf("level(%d)", uint8(l))
}

// PasswordLogin is the customer's first login: account and password.
type PasswordLogin struct {
	Account  string
	Password string
}

func (m *PasswordLogin) MarshalBinary() ([]byte, error) {
	if err := checkField("account", m.Account, maxAccountID); err != nil {
		return nil, err
	}
	if err := checkField("password", m.Password, maxPassword); err != nil {
		return nil, err
	}
	w := writer(KindPasswordLogin)
	w.String16(m.Account)
	w.String16(m.Password)
	return w.B, nil
}

func (m *PasswordLogin) UnmarshalBinary(b []byte) error {
	r := reader(b, KindPasswordLogin)
	m.Account = r.String16(maxAccountID, "account")
	m.Password = r.String16(maxPassword, "password")
	return done(r, "password login")
}

// Session is what a successful login returns: a bearer token for the
// account, the level it was authenticated at, and its expiry. The server
// keeps only the SM3 hash of the token.
type Session struct {
	Token   [TokenSize]byte
	Account string
	Level   Level
	Expires time.Time
}

func (m *Session) MarshalBinary() ([]byte, error) {
	if err := checkField("account", m.Account, maxAccountID); err != nil {
		return nil, err
	}
	w := writer(KindSession)
	w.Fixed(m.Token[:])
	w.String16(m.Account)
	w.U8(uint8(m.Level))
	w.U64(uint64(m.Expires.Unix()))
	return w.B, nil
}

func (m *Session) UnmarshalBinary(b []byte) error {
	r := reader(b, KindSession)
	copy(m.Token[:], r.Fixed(TokenSize, "token"))
	m.Account = r.String16(maxAccountID, "account")
	m.Level = Level(r.U8("level"))
	m.Expires = unixTime(r.U64("expiry"))
	if r.Err() == nil && !m.Level.valid() {
		r.Fail("level %d", uint8(m.Level))
	}
	return done(r, "session")
}

// unixTime reads seconds; values beyond int64 wrap to a negative (past) time,
// which re-encodes to the same bytes.
func unixTime(s uint64) time.Time { return time.Unix(int64(s), 0).UTC() }
