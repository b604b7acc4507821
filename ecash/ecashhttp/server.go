package ecashhttp

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

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
	// AdminToken, if set, is the bearer token the operator endpoints
	// (opening accounts, registering users) require.
	AdminToken string
}

type server struct{ Deps }

// NewHandler returns the HTTP handler of the e-cash roles.
func NewHandler(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &server{d}
	mux := http.NewServeMux()
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
	mux.HandleFunc("POST /v1/spent", s.spent)
	mux.HandleFunc("GET /v1/double-spends", s.doubleSpends)
	mux.HandleFunc("GET /v1/totals", s.totals)
	mux.HandleFunc("POST /v1/prune", s.prune)
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
	b, err := s.bank(r)
	var a ecash.Account
	if err == nil {
		a, err = b.Account(r.Context(), r.PathValue("id"))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, AccountResponse{Bank: a.Bank, ID: a.ID, Owner: a.Owner, Balance: a.Balance})
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

func (s *server) spent(w http.ResponseWriter, r *http.Request) {
	var q SpentRequest
	err := decode(r, w, &q)
	if err == nil && len(q.Coins) > ecash.MaxRestoreBatch {
		err = fmt.Errorf("%w: at most %d coins per call", ecash.ErrMalformed, ecash.MaxRestoreBatch)
	}
	out := SpentResponse{Spent: make([]bool, len(q.Coins))}
	for i, c := range q.Coins {
		if err != nil {
			break
		}
		if len(c.Serial) != ecash.SerialSize {
			err = fmt.Errorf("%w: serial of %d bytes", ecash.ErrMalformed, len(c.Serial))
			break
		}
		sc := ecash.SpentCoin{Epoch: ecash.Epoch(c.Epoch)}
		copy(sc.Serial[:], c.Serial)
		out.Spent[i], err = s.Module.IsSpent(r.Context(), sc)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, out)
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
	reply(w, http.StatusOK, TotalsResponse{Balances: t.Balances, Float: t.Float, Positions: t.Positions})
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
