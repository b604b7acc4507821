package bank

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"trustbank/shield/ca/cert"
)

// CA issues certificates: shield/ca implements it. Issue takes a PKCS#10
// request (DER) and returns a PKCS#7 certs-only bundle whose first
// certificate is the one issued for the request's key.
type CA interface {
	// Issue certifies the key of csr for account — the account the
	// enrollment's session authenticated, never one the request names —
	// and returns the leaf then the issuing CA as a PKCS#7 bundle.
	Issue(ctx context.Context, account string, csr []byte) (p7 []byte, err error)
}

// Config configures a Server.
type Config struct {
	Store Store
	CA    CA
	Trust Trust         // the pinned CA root, intermediates, revocation
	Key   crypto.Signer // the server certificate's SM2 key (an HSM in production)
	Now   func() time.Time

	ChallengeTTL time.Duration // how long a login challenge may be answered
	OrderTTL     time.Duration // how long a pre-submitted order may be confirmed
	SessionTTL   time.Duration
	CodeTTL      time.Duration // authorization codes

	// PerClient is how many login challenges one client (ChallengeFrom's
	// client: the HTTP server passes the remote address) and how many
	// orders one account may have outstanding at once; more is
	// ErrRateLimited. DefaultPerClient by default.
	PerClient int
}

// Validate checks that c is complete.
func (c *Config) Validate() error {
	switch {
	case c.Store == nil || c.CA == nil || c.Key == nil || c.Now == nil:
		return errors.New("bank: config needs Store, CA, Key and Now")
	case c.Trust.Roots == nil || c.Trust.Revocation == nil:
		return errors.New("bank: config needs the pinned CA root and a revocation source")
	case c.ChallengeTTL <= 0 || c.OrderTTL <= 0 || c.SessionTTL <= 0 || c.CodeTTL <= 0:
		return errors.New("bank: config needs positive TTLs")
	case c.PerClient <= 0 || c.PerClient > maxPending:
		return fmt.Errorf("bank: config needs a per-client bound in 1..%d", maxPending)
	}
	return nil
}

// DefaultConfig has the TTLs we use: a challenge and an order are good
// for two minutes, a session for fifteen, an authorization code for a
// day; a client may hold DefaultPerClient challenges, an account as many
// orders.
func DefaultConfig() Config {
	return Config{Now: time.Now, ChallengeTTL: 2 * time.Minute, OrderTTL: 2 * time.Minute,
		SessionTTL: 15 * time.Minute, CodeTTL: 24 * time.Hour, PerClient: DefaultPerClient}
}

// Server is the bank's internet application server: the paper's
// application server with its signing and encryption machines.
type Server struct {
	c          Config
	challenges pending[Challenge]   // issued, not yet used: memory only
	orders     pending[OrderRecord] // issued, not yet confirmed: memory only
}

// NewServer returns a server after validating c.
func NewServer(c Config) (*Server, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Server{c: c}, nil
}

const pbkdfIter = 4096

func hashPassword(password string, salt []byte) []byte {
	k, err := pbkdf2.Key(sm3.New, password, salt, pbkdfIter, 32)
	if err != nil {
		panic(err) // only for lengths we never ask
	}
	return k
}

// OpenAccount opens an account at the counter for owner, the holder of
// the resident ID number idCard (GB 11643: 18 characters with the
// ISO 7064 MOD 11-2 check character; else cert.ErrIdentity), with a
// password and an opening balance in fen.
func (s *Server) OpenAccount(ctx context.Context, id, owner, idCard, password string, balance uint64) error {
	if err := cert.CheckIDCard(idCard); err != nil {
		return err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	return s.c.Store.OpenAccount(ctx, Account{ID: id, Owner: owner, IDCard: idCard, PasswordSalt: salt,
		PasswordHash: hashPassword(password, salt), Balance: balance})
}

// IssueAuthCode is the operator issuing a one-time authorization code
// for enrolling a certificate to account. Only its hash is stored.
func (s *Server) IssueAuthCode(ctx context.Context, account string) (string, error) {
	var b [10]byte
	rand.Read(b[:])
	code := hex.EncodeToString(b[:])
	err := s.c.Store.AddAuthCode(ctx, AuthCode{Hash: sm3Sum([]byte(code)), Account: account, Expires: s.c.Now().Add(s.c.CodeTTL)})
	return code, err
}

// PasswordLogin checks account and password and opens a password-level
// session.
func (s *Server) PasswordLogin(ctx context.Context, m *PasswordLogin) (*Session, error) {
	a, err := s.c.Store.Account(ctx, m.Account)
	if errors.Is(err, ErrUnknownAccount) {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(hashPassword(m.Password, a.PasswordSalt), a.PasswordHash) != 1 {
		return nil, ErrBadCredentials
	}
	ses, rec := s.newSession(a.ID, LevelPassword)
	return ses, s.c.Store.AddSession(ctx, rec)
}

func (s *Server) newSession(account string, level Level) (*Session, SessionRecord) {
	ses := &Session{Account: account, Level: level, Expires: s.c.Now().Add(s.c.SessionTTL).Truncate(time.Second).UTC()}
	rand.Read(ses.Token[:])
	return ses, SessionRecord{TokenHash: sm3Sum(ses.Token[:]), Account: account, Level: level, Expires: ses.Expires}
}

// session returns the live session with this token.
func (s *Server) session(ctx context.Context, token [TokenSize]byte) (SessionRecord, error) {
	rec, err := s.c.Store.Session(ctx, sm3Sum(token[:]))
	if err != nil {
		return rec, err
	}
	if !s.c.Now().Before(rec.Expires) {
		return rec, fmt.Errorf("%w: expired", ErrSession)
	}
	return rec, nil
}

// accountKey returns the public key of the account's bound certificate,
// checked against the pinned root and revocation now.
func (s *Server) accountKey(ctx context.Context, account string) (*ecdsa.PublicKey, error) {
	der, err := s.Certificate(ctx, account)
	if err != nil {
		return nil, err
	}
	_, pub, err := s.c.Trust.Verify(ctx, der, s.c.Now())
	return pub, err
}

func newID() (id [IDSize]byte) {
	rand.Read(id[:])
	return id
}

// Outstanding reports how many login challenges and orders the server
// holds in memory (issued, unused, perhaps expired): for monitoring, and
// for tests that the bounds hold.
func (s *Server) Outstanding() (challenges, orders int) {
	return s.challenges.size(), s.orders.size()
}

// Certificate returns the certificate bound to account (DER), revoked
// or not: ErrUnknownAccount, ErrNotEnrolled.
func (s *Server) Certificate(ctx context.Context, account string) ([]byte, error) {
	a, err := s.c.Store.Account(ctx, account)
	if err != nil {
		return nil, err
	}
	if a.Cert == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotEnrolled, account)
	}
	return a.Cert, nil
}
