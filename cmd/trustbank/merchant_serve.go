package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"trustbank/ecash"
)

// merchantServe runs a merchant's point of sale over HTTP+JSON:
//
//	POST /v1/challenge {"amount": N}      → {"challenge": base64}
//	POST /v1/pay       {"payment": base64} → verified offline, deposited
//	                                         online → {"amount", "bank"}
//
// The merchant's keys and open challenges stay in its state file.
func merchantServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merchant serve", stderr)
	state := fs.String("state", "merchant.json", "merchant state file")
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	if err := parse(fs, args); err != nil {
		return err
	}
	f, m, c, err := openMerchant(ctx, *state)
	if err != nil {
		return err
	}
	var mu sync.Mutex // one state file
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/challenge", func(w http.ResponseWriter, r *http.Request) {
		var q struct {
			Amount ecash.Amount `json:"amount"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&q); err != nil {
			posReply(w, http.StatusBadRequest, map[string]string{"error": "body: " + err.Error()})
			return
		}
		mu.Lock()
		defer mu.Unlock()
		ch, err := m.Challenge(q.Amount)
		if err == nil {
			err = saveMerchant(*state, f, m)
		}
		if err != nil {
			posFail(w, err)
			return
		}
		posReply(w, http.StatusOK, map[string][]byte{"challenge": ch.Encode()})
	})
	mux.HandleFunc("POST /v1/pay", func(w http.ResponseWriter, r *http.Request) {
		var q struct {
			Payment []byte `json:"payment"`
		}
		var p ecash.Payment
		err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&q)
		if err == nil {
			err = p.UnmarshalBinary(q.Payment)
		}
		if err != nil {
			posReply(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if err := m.Accept(&p); err != nil {
			posFail(w, err)
			return
		}
		dq, err := m.DepositRequest(&p, ed25519.PrivateKey(f.AccountKey))
		if err != nil {
			posFail(w, err)
			return
		}
		enc, _ := dq.MarshalBinary()
		f.Unsent = append(f.Unsent, enc)
		if err := flush(r.Context(), *state, f, m, c, io.Discard); err != nil {
			posFail(w, fmt.Errorf("payment accepted, deposit pending (retried by flush): %w", err))
			return
		}
		posReply(w, http.StatusOK, map[string]any{"amount": p.Value(), "bank": f.Bank})
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "trustbank merchant %s: listening on http://%s\n", f.ID, ln.Addr())
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func posReply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func posFail(w http.ResponseWriter, err error) {
	status := http.StatusUnprocessableEntity
	switch {
	case errors.Is(err, ecash.ErrMalformed):
		status = http.StatusBadRequest
	case errors.Is(err, ecash.ErrDoubleSpend):
		status = http.StatusConflict
	case errors.Is(err, ecash.ErrExpired):
		status = http.StatusGone
	}
	posReply(w, status, map[string]string{"error": err.Error()})
}
