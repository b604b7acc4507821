package trusthttp

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"trustbank/groupsig"
	"trustbank/internal/httpapi"
	"trustbank/trust"
	"trustbank/trust/score"
)

// ProviderDeps is what the provider's server exposes.
type ProviderDeps struct {
	Provider   *trust.Provider
	Log        *slog.Logger
	AdminToken string // operator endpoints; empty: nobody is the operator
	Now        func() time.Time
}

type providerServer struct{ ProviderDeps }

// NewProviderHandler returns the identity provider's HTTP handler.
func NewProviderHandler(d ProviderDeps) http.Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &providerServer{d}
	mux := httpapi.NewMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("POST /v1/users", s.admin(s.register))
	mux.HandleFunc("GET /v1/users/{id}/enrollment", s.enrollment)
	mux.HandleFunc("GET /v1/users/{id}", s.admin(s.status))
	mux.HandleFunc("POST /v1/users/{id}/revoke", s.admin(s.revoke))
	mux.HandleFunc("POST /v1/open", s.admin(s.open))
	mux.HandleFunc("POST /v1/services", s.admin(s.registerService))
	mux.HandleFunc("POST /v1/feedback", s.feedback)
	mux.HandleFunc("GET /v1/tiers/{tier}/key", s.key)
	mux.HandleFunc("GET /v1/tiers/{tier}/updates", s.updates)
	return mux
}

func healthz(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) }

func (s *providerServer) admin(h http.HandlerFunc) http.HandlerFunc {
	return httpapi.Admin(s.AdminToken, h)
}

func (s *providerServer) fail(w http.ResponseWriter, r *http.Request, err error) {
	codes.Fail(s.Log, w, r, err)
}

func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpapi.Decode(w, r, v, trust.ErrMalformed)
}

func enrollmentResponse(e *trust.Enrollment) EnrollmentResponse {
	mk, _ := e.Key.MarshalBinary()
	return EnrollmentResponse{User: e.User, Tier: e.Tier.String(), MemberKey: mk}
}

func (s *providerServer) register(w http.ResponseWriter, r *http.Request) {
	var q RegisterRequest
	if err := decode(w, r, &q); err != nil {
		s.fail(w, r, err)
		return
	}
	e, err := s.Provider.Register(r.Context(), q.User, ed25519.PublicKey(q.ClientKey))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer e.Zeroize()
	httpapi.Reply(w, http.StatusOK, enrollmentResponse(e))
}

// enrollment answers only a request signed with the user's client key.
func (s *providerServer) enrollment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	key, _ := s.Provider.ClientKey(r.Context(), id) // unknown: nil, verifies nothing
	if err := httpapi.VerifyRequest(r, s.Now(), httpapi.Ed25519Verifier(key)); err != nil {
		s.fail(w, r, err)
		return
	}
	e, err := s.Provider.Enrollment(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer e.Zeroize()
	httpapi.Reply(w, http.StatusOK, enrollmentResponse(e))
}

func (s *providerServer) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.Provider.Status(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, StatusResponse{User: st.User, T: st.T, Tier: st.Tier.String(), Generation: st.Generation, Revoked: st.Revoked})
}

func (s *providerServer) revoke(w http.ResponseWriter, r *http.Request) {
	if err := s.Provider.Revoke(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.status(w, r)
}

func (s *providerServer) open(w http.ResponseWriter, r *http.Request) {
	var q AuthRequest
	var a trust.Authentication
	err := decode(w, r, &q)
	if err == nil {
		err = a.UnmarshalBinary(q.Authentication)
	}
	var user string
	if err == nil {
		user, err = s.Provider.Open(r.Context(), &a)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, OpenResponse{User: user})
}

func (s *providerServer) registerService(w http.ResponseWriter, r *http.Request) {
	var q ServiceRequest
	err := decode(w, r, &q)
	if err == nil {
		err = s.Provider.RegisterService(r.Context(), q.Service, ed25519.PublicKey(q.Key))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, q)
}

func (s *providerServer) feedback(w http.ResponseWriter, r *http.Request) {
	var q FeedbackRequest
	var sr trust.SignedReport
	err := decode(w, r, &q)
	if err == nil {
		err = sr.UnmarshalBinary(q.Report)
	}
	var rc *trust.Receipt
	if err == nil {
		rc, err = s.Provider.Feedback(r.Context(), &sr)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, receipt(rc))
}

func receipt(rc *trust.Receipt) Receipt {
	return Receipt{Service: rc.Service, Transaction: rc.Transaction[:]}
}

// tierParam reads the {tier} path value.
func tierParam(r *http.Request) (score.Tier, error) {
	t, err := score.ParseTier(r.PathValue("tier"))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", httpapi.ErrNotFound, err)
	}
	return t, nil
}

// uintParam reads an unsigned query parameter (def when absent).
func uintParam(r *http.Request, name string, def uint64) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q", trust.ErrMalformed, name, v)
	}
	return n, nil
}

func (s *providerServer) key(w http.ResponseWriter, r *http.Request) {
	t, err := tierParam(r)
	var pk *groupsig.PublicKey
	if err == nil && r.URL.Query().Has("epoch") {
		var epoch uint64
		if epoch, err = uintParam(r, "epoch", 0); err == nil {
			pk, err = s.Provider.PublicKey(r.Context(), t, epoch)
		}
	} else if err == nil {
		pk, err = s.Provider.Current(r.Context(), t)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	enc, _ := pk.MarshalBinary()
	httpapi.Reply(w, http.StatusOK, KeyResponse{Tier: t.String(), Epoch: pk.Epoch, PublicKey: enc})
}

func (s *providerServer) updates(w http.ResponseWriter, r *http.Request) {
	t, err := tierParam(r)
	var after uint64
	if err == nil {
		after, err = uintParam(r, "after", 0)
	}
	var revs []*groupsig.Revocation
	if err == nil {
		revs, err = s.Provider.Updates(r.Context(), t, after)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := UpdatesResponse{Updates: [][]byte{}}
	for _, rev := range revs {
		b, _ := rev.MarshalBinary()
		out.Updates = append(out.Updates, b)
	}
	httpapi.Reply(w, http.StatusOK, out)
}
