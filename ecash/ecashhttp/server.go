package ecashhttp

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"trustbank/ecash"
	"trustbank/groupsig"
	"trustbank/internal/httpapi"
)

// maxBody bounds every request body.
const maxBody = httpapi.MaxBody

// Deps are the roles a server exposes.
type Deps struct {
	Module *ecash.Module
	Users  *ecash.UserRegistry
	// Enroll binds AIKs to TPMs; nil: the node trusts no TPM manufacturer
	// and refuses enrolment.
	Enroll *ecash.Enroller
	Banks  map[string]*ecash.Bank
	Store  ecash.Store
	Log    *slog.Logger
	// AdminToken is the bearer token of the operator endpoints (opening
	// accounts, registering users, pruning, double-spend evidence, totals,
	// any account); without one, nobody is the operator.
	AdminToken string
}

type server struct{ Deps }

// NewHandler returns the HTTP handler of the e-cash roles.
func NewHandler(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &server{d}
	mux := httpapi.NewMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /v1/keys", s.keys)
	mux.HandleFunc("GET /v1/users/key", s.userKey)
	mux.HandleFunc("POST /v1/users", s.admin(s.registerUser))
	mux.HandleFunc("POST /v1/users/enroll", s.admin(s.beginEnroll))
	mux.HandleFunc("POST /v1/users/enroll/finish", s.admin(s.finishEnroll))
	mux.HandleFunc("POST /v1/banks/{bank}/accounts", s.admin(s.openAccount))
	mux.HandleFunc("GET /v1/banks/{bank}/accounts/{id}", s.account)
	mux.HandleFunc("POST /v1/banks/{bank}/withdraw", s.withdraw)
	mux.HandleFunc("POST /v1/banks/{bank}/deposit", s.deposit)
	mux.HandleFunc("POST /v1/swap", s.swap)
	mux.HandleFunc("POST /v1/restore", s.restore)
	mux.HandleFunc("GET /v1/spent/{epoch}/bits", s.spentBits)
	mux.HandleFunc("GET /v1/spent/{epoch}", s.spentBucket)
	mux.HandleFunc("GET /v1/users/updates", s.updates)
	mux.HandleFunc("POST /v1/users/{id}/revoke", s.admin(s.revokeUser))
	mux.HandleFunc("GET /v1/double-spends", s.admin(s.doubleSpends))
	mux.HandleFunc("GET /v1/totals", s.admin(s.totals))
	mux.HandleFunc("POST /v1/prune", s.admin(s.prune))
	return mux
}

// admin wraps an operator endpoint: it requires the admin bearer token.
func (s *server) admin(h http.HandlerFunc) http.HandlerFunc { return httpapi.Admin(s.AdminToken, h) }

func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	codes.Fail(s.Log, w, r, err)
}

func reply(w http.ResponseWriter, status int, v any) { httpapi.Reply(w, status, v) }

func decode(r *http.Request, w http.ResponseWriter, v any) error {
	return httpapi.Decode(w, r, v, ecash.ErrMalformed)
}

func (s *server) bank(r *http.Request) (*ecash.Bank, error) {
	b, ok := s.Banks[r.PathValue("bank")]
	if !ok {
		return nil, fmt.Errorf("%w: no bank %q", errNotFound, r.PathValue("bank"))
	}
	return b, nil
}

func (s *server) keys(w http.ResponseWriter, r *http.Request) {
	ks, err := s.Module.KeySet().MarshalBinary()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, KeysResponse{KeySet: ks, ModuleKey: s.Module.IdentityKey()})
}

func (s *server) userKey(w http.ResponseWriter, r *http.Request) {
	var pk *groupsig.PublicKey
	if e := r.URL.Query().Get("epoch"); e != "" {
		epoch, err := strconv.ParseUint(e, 10, 64)
		if err != nil {
			s.fail(w, r, fmt.Errorf("%w: epoch %q", ecash.ErrMalformed, e))
			return
		}
		if pk, err = s.Users.Keys(r.Context())(epoch); err != nil {
			s.fail(w, r, fmt.Errorf("%w: %v", errNotFound, err))
			return
		}
	} else {
		pk = s.Users.CurrentKey()
	}
	enc, _ := pk.MarshalBinary()
	reply(w, http.StatusOK, UserKeyResponse{Epoch: pk.Epoch, PublicKey: enc})
}

func (s *server) registerUser(w http.ResponseWriter, r *http.Request) {
	var q RegisterUserRequest
	if err := decode(r, w, &q); err != nil {
		s.fail(w, r, err)
		return
	}
	mk, err := s.Users.Register(r.Context(), q.Identity)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	enc, _ := mk.MarshalBinary()
	reply(w, http.StatusOK, RegisterUserResponse{MemberKey: enc})
}

func (s *server) openAccount(w http.ResponseWriter, r *http.Request) {
	b, err := s.bank(r)
	var q OpenAccountRequest
	if err == nil {
		err = decode(r, w, &q)
	}
	if err == nil {
		err = b.OpenAccount(r.Context(), q.ID, q.Owner, ed25519.PublicKey(q.Key), q.Balance)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusCreated, AccountResponse{Bank: b.ID(), ID: q.ID, Owner: q.Owner, Balance: q.Balance})
}

func (s *server) account(w http.ResponseWriter, r *http.Request) {
	a, err := s.readAccount(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, AccountResponse{Bank: a.Bank, ID: a.ID, Owner: a.Owner, Balance: a.Balance})
}

// readAccount reads the account r names for the operator, or for its
// holder in a request signed with the account key. To anyone else an
// unknown account looks like a known one: unauthorized.
func (s *server) readAccount(r *http.Request) (ecash.Account, error) {
	b, err := s.bank(r)
	if err != nil {
		return ecash.Account{}, err
	}
	a, err := b.Account(r.Context(), r.PathValue("id"))
	if httpapi.IsAdmin(s.AdminToken, r) {
		return a, err
	}
	if err != nil && !errors.Is(err, ecash.ErrUnknownAccount) {
		return a, err
	}
	if err := httpapi.VerifyRequest(r, time.Now(), httpapi.Ed25519Verifier(a.Key)); err != nil { // no key if unknown: refused
		return ecash.Account{}, fmt.Errorf("%w (an account is read by the operator, or by its holder in a request signed with the account key)", err)
	}
	return a, nil
}

func (s *server) withdraw(w http.ResponseWriter, r *http.Request) {
	b, err := s.bank(r)
	var q MessageRequest
	var wq ecash.WithdrawRequest
	if err == nil {
		err = decode(r, w, &q)
	}
	if err == nil {
		err = wq.UnmarshalBinary(q.Request)
	}
	var resp *ecash.WithdrawResponse
	if err == nil {
		resp, err = b.Withdraw(r.Context(), &wq)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	enc, _ := resp.MarshalBinary()
	reply(w, http.StatusOK, WithdrawResponse{Response: enc})
}

func (s *server) deposit(w http.ResponseWriter, r *http.Request) {
	b, err := s.bank(r)
	var q MessageRequest
	var dq ecash.DepositRequest
	if err == nil {
		err = decode(r, w, &q)
	}
	if err == nil {
		err = dq.UnmarshalBinary(q.Request)
	}
	var rc ecash.DepositReceipt
	if err == nil {
		rc, err = b.Deposit(r.Context(), &dq)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, ReceiptResponse{ID: rc.ID[:], Bank: rc.Bank, Account: rc.Account, Amount: rc.Amount})
}

func (s *server) swap(w http.ResponseWriter, r *http.Request) {
	var q MessageRequest
	var sq ecash.SwapRequest
	err := decode(r, w, &q)
	if err == nil {
		err = sq.UnmarshalBinary(q.Request)
	}
	var resp *ecash.WithdrawResponse
	if err == nil {
		resp, err = s.Module.Swap(r.Context(), &sq, s.Users.Keys(r.Context()))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	enc, _ := resp.MarshalBinary()
	reply(w, http.StatusOK, WithdrawResponse{Response: enc})
}

func (s *server) restore(w http.ResponseWriter, r *http.Request) {
	var q RestoreRequest
	err := decode(r, w, &q)
	var sigs [][]byte
	if err == nil {
		sigs, err = s.Module.BlindSignatures(r.Context(), q.Blinded)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, RestoreResponse{Signatures: sigs})
}

func (s *server) spentBits(w http.ResponseWriter, r *http.Request) {
	e, err := uintParam(r.PathValue("epoch"), 32)
	var bits uint8
	if err == nil {
		bits, err = s.Module.SpentBucketBits(r.Context(), ecash.Epoch(e))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, SpentBitsResponse{Bits: bits})
}

func (s *server) spentBucket(w http.ResponseWriter, r *http.Request) {
	e, err := uintParam(r.PathValue("epoch"), 32)
	var bits, prefix uint64
	if err == nil {
		bits, err = uintParam(r.URL.Query().Get("bits"), 5)
	}
	if err == nil {
		prefix, err = uintParam(r.URL.Query().Get("prefix"), 32)
	}
	var heads []uint64
	if err == nil {
		heads, err = s.Module.SpentBucket(r.Context(), ecash.Epoch(e), uint8(bits), uint32(prefix))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := SpentBucketResponse{Heads: make([]byte, 0, 8*len(heads))}
	for _, h := range heads {
		out.Heads = binary.BigEndian.AppendUint64(out.Heads, h)
	}
	reply(w, http.StatusOK, out)
}

func (s *server) updates(w http.ResponseWriter, r *http.Request) {
	after, err := uintParam(r.URL.Query().Get("after"), 64)
	var revs []*groupsig.Revocation
	if err == nil {
		revs, err = s.Users.Updates(r.Context(), after)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := UpdatesResponse{Updates: make([][]byte, len(revs))}
	for i, rev := range revs {
		out.Updates[i], _ = rev.MarshalBinary()
	}
	reply(w, http.StatusOK, out)
}

// revokeUser revokes a user and has the module make the coin keys of the
// new user epoch before answering, so withdrawals go on at once.
func (s *server) revokeUser(w http.ResponseWriter, r *http.Request) {
	rev, err := s.Users.Revoke(r.Context(), r.PathValue("id"))
	if err == nil {
		err = s.Module.EnsureKeys(r.Context())
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	enc, _ := rev.MarshalBinary()
	reply(w, http.StatusOK, UpdatesResponse{Updates: [][]byte{enc}})
}

// uintParam parses a decimal parameter of at most bits bits (0 if empty).
func uintParam(v string, bits int) (uint64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: parameter %q", ecash.ErrMalformed, v)
	}
	return n, nil
}

func (s *server) doubleSpends(w http.ResponseWriter, r *http.Request) {
	ev, err := s.Store.DoubleSpends(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]DoubleSpendResponse, 0, len(ev))
	for _, ds := range ev {
		d := DoubleSpendResponse{ID: ds.ID, Epoch: uint32(ds.Epoch), Serial: ds.Serial[:], FirstDeposit: ds.FirstDeposit[:], SecondBank: ds.SecondBank}
		d.TracedUser, d.TraceResult = trace(r.Context(), s.Users, ds)
		out = append(out, d)
	}
	reply(w, http.StatusOK, out)
}

func trace(ctx context.Context, u *ecash.UserRegistry, ds ecash.DoubleSpend) (string, string) {
	who, err := u.Trace(ctx, ds)
	switch {
	case err == nil:
		return who, "the user signed two different payments with the same coin"
	case errors.Is(err, ecash.ErrReplayedTranscript):
		return "", "the same payment was deposited twice; the user is not at fault"
	default:
		return "", err.Error()
	}
}

func (s *server) totals(w http.ResponseWriter, r *http.Request) {
	t, err := s.Store.Totals(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, TotalsResponse{Balances: t.Balances, Float: t.Float, Positions: t.Positions, PaidIn: t.PaidIn})
}

func (s *server) prune(w http.ResponseWriter, r *http.Request) {
	dropped, err := s.Module.Prune(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := PruneResponse{Dropped: []uint32{}}
	for _, e := range dropped {
		out.Dropped = append(out.Dropped, uint32(e))
	}
	reply(w, http.StatusOK, out)
}
