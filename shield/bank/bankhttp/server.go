package bankhttp

import (
	"context"
	"encoding"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/httpapi"
	"trustbank/shield/bank"
	"trustbank/shield/ca"
)

// Deps are what a server exposes.
type Deps struct {
	Server *bank.Server
	// Authority is the shield CA: its root and issuing certificates are
	// published (GET /shield/v1/pki) and it signs the CRL.
	Authority *ca.Authority
	// Cert is the bank server's certificate, which devices pin.
	Cert *smx509.Certificate
	Log  *slog.Logger
	// AdminToken is the bearer token of the operator endpoints; without
	// one, nobody is the operator.
	AdminToken string
}

type server struct {
	Deps
	crls *crlCache
}

// maxOwner bounds an account owner's name.
const maxOwner = 256

// NewHandler returns the handler of the shield bank under /shield/v1/.
func NewHandler(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &server{Deps: d, crls: &crlCache{}}
	mux := httpapi.NewMux()
	mux.HandleFunc("POST /shield/v1/accounts", httpapi.Admin(d.AdminToken, s.openAccount))
	mux.HandleFunc("POST /shield/v1/accounts/{id}/codes", httpapi.Admin(d.AdminToken, s.issueCode))
	mux.HandleFunc("POST /shield/v1/accounts/{id}/revoke", httpapi.Admin(d.AdminToken, s.revokeAccount))
	mux.HandleFunc("POST /shield/v1/certs/{serial}/revoke", httpapi.Admin(d.AdminToken, s.revokeSerial))
	mux.HandleFunc("GET /shield/v1/pki", s.pki)
	mux.HandleFunc("GET /shield/v1/crl", s.crl)
	mux.HandleFunc("POST /shield/v1/login/password", message(s, d.Server.PasswordLogin))
	mux.HandleFunc("POST /shield/v1/enroll", message(s, d.Server.Enroll))
	mux.HandleFunc("POST /shield/v1/enroll/confirm", s.confirmEnrollment)
	mux.HandleFunc("POST /shield/v1/login/challenge", s.challenge)
	mux.HandleFunc("POST /shield/v1/login", message(s, d.Server.Login))
	mux.HandleFunc("POST /shield/v1/orders", message(s, d.Server.PreSubmit))
	mux.HandleFunc("POST /shield/v1/orders/confirm", message(s, d.Server.Confirm))
	mux.HandleFunc("POST /shield/v1/transfers", message(s, d.Server.Transfer))
	return mux
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	codes.Fail(s.Log, w, r, err)
}

func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpapi.Decode(w, r, v, bank.ErrMalformed)
}

// message is the handler of one protocol step (see httpapi.Step).
func message[M any, P httpapi.MessagePtr[M], R encoding.BinaryMarshaler](s *server, step func(context.Context, P) (R, error)) http.HandlerFunc {
	return httpapi.Step(codes, s.Log, bank.ErrMalformed, step)
}

func (s *server) openAccount(w http.ResponseWriter, r *http.Request) {
	var q OpenAccountRequest
	err := decode(w, r, &q)
	if err == nil {
		err = checkAccount(q)
	}
	if err == nil {
		err = s.Server.OpenAccount(r.Context(), q.ID, q.Owner, q.IDCard, q.Password, q.Balance)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusCreated, AccountResponse{ID: q.ID, Owner: q.Owner, Balance: q.Balance})
}

// checkAccount refuses an account the customer could never log in to:
// the id and password must fit a PasswordLogin.
func checkAccount(q OpenAccountRequest) error {
	if q.ID == "" || q.Password == "" || q.Owner == "" || len(q.Owner) > maxOwner || !utf8.ValidString(q.Owner) || !utf8.ValidString(q.ID) {
		return fmt.Errorf("%w: an account needs an id, an owner (at most %d bytes of UTF-8) and a password", bank.ErrMalformed, maxOwner)
	}
	_, err := (&bank.PasswordLogin{Account: q.ID, Password: q.Password}).MarshalBinary()
	return err
}

func (s *server) issueCode(w http.ResponseWriter, r *http.Request) {
	code, err := s.Server.IssueAuthCode(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusCreated, CodeResponse{Code: code})
}

func (s *server) pki(w http.ResponseWriter, r *http.Request) {
	httpapi.Reply(w, http.StatusOK, PKIResponse{Root: s.Authority.Root().Raw, Issuing: s.Authority.Issuing().Raw, Server: s.Cert.Raw})
}

// crlRefresh is how long a signed CRL is served before a new one is
// signed: the endpoint is public, and signing writes the next CRL number.
const crlRefresh = time.Hour

func (s *server) crl(w http.ResponseWriter, r *http.Request) {
	der, err := s.crls.get(r.Context(), s.Authority)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, CRLResponse{CRL: der})
}

// crlCache holds the last CRL the authority signed.
type crlCache struct {
	mu     sync.Mutex
	der    []byte
	signed time.Time
}

// reset forgets the cached CRL (after a revocation).
func (c *crlCache) reset() {
	c.mu.Lock()
	c.der = nil
	c.mu.Unlock()
}

func (c *crlCache) get(ctx context.Context, a *ca.Authority) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.der != nil && time.Since(c.signed) < crlRefresh {
		return c.der, nil
	}
	der, err := a.CRL(ctx)
	if err != nil {
		return nil, err
	}
	c.der, c.signed = der, time.Now()
	return der, nil
}

func (s *server) confirmEnrollment(w http.ResponseWriter, r *http.Request) {
	var m bank.EnrollConfirm
	err := httpapi.ReadMessage(w, r, &m, bank.ErrMalformed)
	if err == nil {
		err = s.Server.ConfirmEnrollment(r.Context(), &m)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) challenge(w http.ResponseWriter, r *http.Request) {
	var q ChallengeRequest
	err := decode(w, r, &q)
	var c *bank.LoginChallenge
	if err == nil {
		c, err = s.Server.ChallengeFrom(r.Context(), clientAddr(r), q.Account)
	}
	var enc []byte
	if err == nil {
		enc, err = c.MarshalBinary()
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, MessageResponse{Message: enc})
}

// clientAddr is the client of an unauthenticated request, for the
// per-client bound on challenges: the remote IP address (without the
// port, which a client picks freely). Behind a reverse proxy every
// client shares the proxy's address; the proxy must then limit per
// client itself.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr " + host
}
