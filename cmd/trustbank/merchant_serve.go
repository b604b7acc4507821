package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"sync"

	"trustbank/ecash"
	"trustbank/ecash/ecashhttp"
	"trustbank/internal/httpapi"
)

// merchantServe runs a merchant's point of sale over HTTP+JSON:
//
//	POST /v1/challenge {"amount": N}      → {"challenge": base64}
//	POST /v1/pay       {"payment": base64} → verified offline, deposited
//	                                         online → {"amount", "bank"}
//
// The merchant's keys and open challenges stay in its state file. It
// sheds slow and idle clients and decodes requests as strictly as
// `trustbank serve` (package httpapi); errors are {error, code}.
func merchantServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merchant serve", stderr)
	state := fs.String("state", "merchant.json", "merchant state file")
	cfg := httpapi.DefaultServerConfig("127.0.0.1:8090")
	cfg.AddFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	f, m, c, err := openMerchant(ctx, *state)
	if err != nil {
		return err
	}
	p := &pos{state: *state, f: f, m: m, c: c}
	mux := httpapi.NewMux()
	mux.HandleFunc("POST /v1/challenge", p.challenge)
	mux.HandleFunc("POST /v1/pay", p.pay)
	ln, err := httpapi.Listen(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trustbank merchant %s: listening on http://%s\n", f.ID, ln.Addr())
	return httpapi.Serve(ctx, cfg, ln, mux)
}

// pos is a merchant's point of sale: one state file, one request at a time.
type pos struct {
	mu    sync.Mutex
	state string
	f     *merchantFile
	m     *ecash.Merchant
	c     *ecashhttp.Client
}

func (p *pos) challenge(w http.ResponseWriter, r *http.Request) {
	var q struct {
		Amount ecash.Amount `json:"amount"`
	}
	if err := httpapi.Decode(w, r, &q, ecash.ErrMalformed); err != nil {
		posFail(w, err)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, err := p.m.Challenge(q.Amount)
	if err == nil {
		err = saveMerchant(p.state, p.f, p.m)
	}
	if err != nil {
		posFail(w, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, map[string][]byte{"challenge": ch.Encode()})
}

func (p *pos) pay(w http.ResponseWriter, r *http.Request) {
	var q struct {
		Payment []byte `json:"payment"`
	}
	var pm ecash.Payment
	err := httpapi.Decode(w, r, &q, ecash.ErrMalformed)
	if err == nil {
		err = pm.UnmarshalBinary(q.Payment)
	}
	if err == nil {
		err = p.accept(r.Context(), &pm)
	}
	if err != nil {
		posFail(w, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, map[string]any{"amount": pm.Value(), "bank": p.f.Bank})
}

// accept verifies a payment offline and deposits it online.
func (p *pos) accept(ctx context.Context, pm *ecash.Payment) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.m.Accept(pm); err != nil {
		return err
	}
	dq, err := p.m.DepositRequest(pm, ed25519.PrivateKey(p.f.AccountKey))
	if err != nil {
		return err
	}
	enc, _ := dq.MarshalBinary()
	p.f.Unsent = append(p.f.Unsent, enc)
	if err := flush(ctx, p.state, p.f, p.m, p.c, io.Discard); err != nil {
		return fmt.Errorf("payment accepted, deposit pending (retried by flush): %w", err)
	}
	return nil
}

// posCodes are the point of sale's errors; any other refusal is 422.
var posCodes = httpapi.Codes{
	httpapi.Map(ecash.ErrMalformed, "malformed", http.StatusBadRequest),
	httpapi.Map(ecash.ErrDoubleSpend, "double_spend", http.StatusConflict),
	httpapi.Map(ecash.ErrExpired, "expired", http.StatusGone),
}

func posFail(w http.ResponseWriter, err error) {
	code, status := posCodes.Classify(err)
	if status == http.StatusInternalServerError {
		code, status = "refused", http.StatusUnprocessableEntity
	}
	httpapi.Reply(w, status, httpapi.ErrorResponse{Error: err.Error(), Code: code})
}
