package trusthttp

import (
	"fmt"
	"log/slog"
	"net/http"

	"trustbank/internal/httpapi"
	"trustbank/trust"
)

// ServiceDeps is what a service's server exposes.
type ServiceDeps struct {
	Service    *trust.Service
	Log        *slog.Logger
	AdminToken string // the service operator's: rating sessions
}

type serviceServer struct{ ServiceDeps }

// NewServiceHandler returns a cloud service's HTTP handler.
func NewServiceHandler(d ServiceDeps) http.Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &serviceServer{d}
	mux := httpapi.NewMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("POST /v1/challenge", s.challenge)
	mux.HandleFunc("POST /v1/authenticate", s.authenticate)
	mux.HandleFunc("POST /v1/serve", s.serve)
	mux.HandleFunc("POST /v1/sessions/report", httpapi.Admin(s.AdminToken, s.report))
	return mux
}

func (s *serviceServer) fail(w http.ResponseWriter, r *http.Request, err error) {
	codes.Fail(s.Log, w, r, err)
}

func (s *serviceServer) challenge(w http.ResponseWriter, r *http.Request) {
	c, err := s.Service.Challenge()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, ChallengeResponse{Service: c.Service, Nonce: c.Nonce[:]})
}

func (s *serviceServer) authenticate(w http.ResponseWriter, r *http.Request) {
	var q AuthRequest
	var a trust.Authentication
	err := decode(w, r, &q)
	if err == nil {
		err = a.UnmarshalBinary(q.Authentication)
	}
	var ss trust.Session
	if err == nil {
		ss, err = s.Service.Authenticate(r.Context(), &a)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, SessionResponse{Transaction: ss.Transaction[:], Tier: ss.Tier.String()})
}

// txn reads a transaction id.
func txn(b []byte) ([trust.NonceSize]byte, error) {
	var t [trust.NonceSize]byte
	if len(b) != trust.NonceSize {
		return t, fmt.Errorf("%w: transaction id of %d bytes, want %d", trust.ErrMalformed, len(b), trust.NonceSize)
	}
	copy(t[:], b)
	return t, nil
}

func (s *serviceServer) serve(w http.ResponseWriter, r *http.Request) {
	var q ServeRequest
	err := decode(w, r, &q)
	var t [trust.NonceSize]byte
	if err == nil {
		t, err = txn(q.Transaction)
	}
	var g trust.Grant
	if err == nil {
		g, err = s.Service.Serve(r.Context(), t, q.Feature, q.Attributes)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, GrantResponse{Tier: g.Tier.String(), Feature: g.Feature, Remaining: g.Remaining})
}

func (s *serviceServer) report(w http.ResponseWriter, r *http.Request) {
	var q ReportRequest
	err := decode(w, r, &q)
	var t [trust.NonceSize]byte
	if err == nil {
		t, err = txn(q.Transaction)
	}
	var rc *trust.Receipt
	if err == nil {
		rc, err = s.Service.Report(r.Context(), t, q.Tc)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, receipt(rc))
}
