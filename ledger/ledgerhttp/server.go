package ledgerhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"trustbank/internal/httpapi"
	"trustbank/ledger"
)

type server struct {
	bank       *ledger.Bank
	adminToken string
	log        *slog.Logger
}

// NewHandler serves bank under /ledger/v1/. adminToken guards the operator
// endpoints (opening accounts, check, recover) and lets the operator read
// every notice; empty, nobody may use them. An entry's notices are for
// its payer and payee, in requests signed with their account keys.
func NewHandler(bank *ledger.Bank, adminToken string, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	s := &server{bank: bank, adminToken: adminToken, log: log}
	mux := httpapi.NewMux()
	mux.HandleFunc("GET /ledger/v1/bank", s.info)
	mux.HandleFunc("POST /ledger/v1/accounts", httpapi.Admin(adminToken, s.openAccount))
	mux.HandleFunc("GET /ledger/v1/accounts/{name}", s.template)
	mux.HandleFunc("POST /ledger/v1/submit", s.submit)
	mux.HandleFunc("GET /ledger/v1/entries/{index}/notice", s.notice)
	mux.HandleFunc("GET /ledger/v1/entries/{index}/balance", s.balance)
	mux.HandleFunc("GET /ledger/v1/checkpoint", s.checkpoint)
	mux.HandleFunc("GET /ledger/v1/consistency", s.consistency)
	mux.HandleFunc("POST /ledger/v1/check", httpapi.Admin(adminToken, s.check))
	mux.HandleFunc("POST /ledger/v1/recover", httpapi.Admin(adminToken, s.recover))
	mux.HandleFunc("POST /ledger/v1/close", httpapi.Admin(adminToken, s.closeDay))
	return mux
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	codes.Fail(s.log, w, r, err)
}

func uintParam(v, what string) (uint64, error) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q is not a number", ledger.ErrMalformed, what, v)
	}
	return n, nil
}

func (s *server) info(w http.ResponseWriter, r *http.Request) {
	httpapi.Reply(w, http.StatusOK, BankResponse{Name: s.bank.Name(), Currency: s.bank.Currency(), Scheme: s.bank.Scheme().String(),
		PublicKey: s.bank.PublicKey(), Size: s.bank.Size()})
}

func (s *server) openAccount(w http.ResponseWriter, r *http.Request) {
	var q OpenAccountRequest
	if err := httpapi.Decode(w, r, &q, ledger.ErrMalformed); err != nil {
		s.fail(w, r, err)
		return
	}
	if s.bank.Scheme() == ledger.SM9 {
		if len(q.PublicKey) != 0 {
			s.fail(w, r, fmt.Errorf("%w: an SM9 bank issues the account's key; send no public key", ledger.ErrMalformed))
			return
		}
		t, key, err := s.bank.OpenSM9Account(r.Context(), q.Name, q.Opening)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		b, err := t.MarshalBinary()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		httpapi.Reply(w, http.StatusCreated, TemplateResponse{Template: b, SignKey: key.Bytes()})
		return
	}
	t, err := s.bank.OpenAccount(r.Context(), q.Name, q.PublicKey, q.Opening)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.replyTemplate(w, r, t, http.StatusCreated)
}

func (s *server) replyTemplate(w http.ResponseWriter, r *http.Request, t *ledger.Template, status int) {
	b, err := t.MarshalBinary()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, status, TemplateResponse{Template: b})
}

func (s *server) template(w http.ResponseWriter, r *http.Request) {
	t, err := s.bank.Template(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.replyTemplate(w, r, t, http.StatusOK)
}

func (s *server) submit(w http.ResponseWriter, r *http.Request) {
	var q SubmitRequest
	if err := httpapi.Decode(w, r, &q, ledger.ErrMalformed); err != nil {
		s.fail(w, r, err)
		return
	}
	var sub ledger.Submission
	if err := sub.UnmarshalBinary(q.Submission); err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.bank.Submit(r.Context(), &sub)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.replyNotice(w, r, st)
}

func (s *server) replyNotice(w http.ResponseWriter, r *http.Request, st *ledger.Settlement) {
	b, err := st.MarshalBinary()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, NoticeResponse{Index: st.Entry.Index, Notice: b})
}

func (s *server) notice(w http.ResponseWriter, r *http.Request) {
	s.entryNotice(w, r, s.bank.Notice)
}

func (s *server) balance(w http.ResponseWriter, r *http.Request) {
	s.entryNotice(w, r, s.bank.BalanceNotice)
}

func (s *server) entryNotice(w http.ResponseWriter, r *http.Request, get func(context.Context, uint64) (*ledger.Settlement, error)) {
	idx, err := uintParam(r.PathValue("index"), "index")
	if err == nil {
		err = s.mayRead(r, idx)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := get(r.Context(), idx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.replyNotice(w, r, st)
}

// mayRead lets the operator read the notices of entry idx, and its payer
// and payee in a request signed with their account keys. Anyone else is
// refused alike whether the entry exists or not: a missing entry has no
// parties, so no signature verifies.
func (s *server) mayRead(r *http.Request, idx uint64) error {
	if httpapi.IsAdmin(s.adminToken, r) {
		return nil
	}
	parties, err := s.bank.Parties(r.Context(), idx)
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		return err
	}
	by := make([]httpapi.Verifier, len(parties))
	for i, p := range parties {
		by[i] = p
	}
	if err := httpapi.VerifyRequest(r, time.Now(), by...); err != nil {
		return fmt.Errorf("%w (an entry's notices are read by its payer or payee, in a request signed with the account key, or by the operator)", err)
	}
	return nil
}

func (s *server) checkpoint(w http.ResponseWriter, r *http.Request) {
	var size uint64
	if v := r.URL.Query().Get("size"); v != "" {
		var err error
		if size, err = uintParam(v, "size"); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	cp, err := s.bank.Checkpoint(r.Context(), size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := cp.MarshalBinary()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, _ := s.bank.CheckpointNote(cp) // a legacy checkpoint has no note
	httpapi.Reply(w, http.StatusOK, CheckpointResponse{Checkpoint: b, Note: string(n)})
}

func (s *server) consistency(w http.ResponseWriter, r *http.Request) {
	from, err1 := uintParam(r.URL.Query().Get("from"), "from")
	to, err2 := uintParam(r.URL.Query().Get("to"), "to")
	if err := errors.Join(err1, err2); err != nil {
		s.fail(w, r, err)
		return
	}
	if from > to {
		s.fail(w, r, fmt.Errorf("%w: consistency from %d to %d", ledger.ErrMalformed, from, to))
		return
	}
	if size := s.bank.Size(); to > size {
		// The client saw a larger log than the book holds now.
		s.fail(w, r, fmt.Errorf("%w: consistency from %d to %d asked of a log of %d entries", ledger.ErrRollback, from, to, size))
		return
	}
	pr, err := s.bank.Consistency(r.Context(), from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if pr == nil {
		pr = [][]byte{}
	}
	httpapi.Reply(w, http.StatusOK, ConsistencyResponse{Proof: pr})
}

func (s *server) check(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Query().Get("deep") {
	case "", "0":
	case "1":
		s.deepCheck(w, r)
		return
	default:
		s.fail(w, r, fmt.Errorf("%w: deep is 0 or 1", ledger.ErrMalformed))
		return
	}
	rep, err := s.bank.Check(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, checkJSON(rep))
}

func (s *server) recover(w http.ResponseWriter, r *http.Request) {
	got, rep, err := s.bank.Recover(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := RecoverResponse{Recovered: []RecoveredJSON{}, Check: checkJSON(rep)}
	for _, g := range got {
		e, m := g.Entry, g.Money
		out.Recovered = append(out.Recovered, RecoveredJSON{Index: e.Index, Payer: e.Payer, Payee: e.Payee, Amount: e.Amount,
			Purpose: m.Purpose, Time: m.Time, Confirmed: g.Clue.Confirmed})
	}
	httpapi.Reply(w, http.StatusOK, out)
}

// longRequest lifts the server's write timeout for an operator request
// that reads the whole book (minutes for millions of entries); the
// request still ends when its client goes away.
func longRequest(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
}

func (s *server) deepCheck(w http.ResponseWriter, r *http.Request) {
	longRequest(w)
	rep, err := s.bank.CheckDeep(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !rep.OK() {
		s.log.Error("ledger deep check failed: booking stopped", "check", rep.String())
	}
	httpapi.Reply(w, http.StatusOK, deepJSON(rep))
}

// closeDay answers 200 with the closing, or (book not whole) the error
// book_broken, whose message is the deep check's report.
func (s *server) closeDay(w http.ResponseWriter, r *http.Request) {
	longRequest(w)
	c, rep, err := s.bank.CloseDay(r.Context())
	if err != nil {
		if rep != nil {
			s.log.Error("ledger close refused: deep check failed, booking stopped", "check", rep.String())
		}
		s.fail(w, r, err)
		return
	}
	b, err := c.MarshalBinary()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, CloseResponse{Closing: b, Check: deepJSON(rep)})
}
