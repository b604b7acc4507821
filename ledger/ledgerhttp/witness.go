package ledgerhttp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"trustbank/internal/httpapi"
	"trustbank/ledger"
)

// WitnessNoteResponse is a checkpoint note cosigned by a witness.
type WitnessNoteResponse struct {
	Note string `json:"note"`
}

// Evidence is what a witness keeps of a refused checkpoint: the note it
// cosigned last and the one the bank presented, both bank-signed.
type Evidence struct {
	Error string `json:"error"`
	Seen  string `json:"seen"`
	Got   string `json:"got"`
}

// WitnessService feeds a ledger.Witness from a bank: each Update fetches
// the bank's latest checkpoint note and the consistency proof from the
// last cosigned one, and cosigns. Save is called with the new cosigned
// note, or with the evidence of a refusal, before Update returns; a
// failed Save fails the Update.
type WitnessService struct {
	Witness *ledger.Witness
	Bank    *Client
	Save    func(cosigned []byte, ev *Evidence) error

	mu sync.Mutex
}

// Update cosigns the bank's latest checkpoint and returns the cosigned note.
func (s *WitnessService) Update(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, err := s.Bank.CheckpointNote(ctx, 0)
	if err != nil {
		return nil, err
	}
	last, lastNote := s.Witness.Last()
	var pr [][]byte
	if last != nil {
		cp, err := ledger.OpenCheckpoint(msg, s.Witness.BankKey())
		if err != nil {
			return nil, err
		}
		if cp.Size > last.Size {
			if pr, err = s.Bank.Consistency(ctx, last.Size, cp.Size); err != nil {
				return nil, err
			}
		}
	}
	cosigned, err := s.Witness.Add(msg, pr)
	var sv *ledger.SplitViewError
	if errors.As(err, &sv) {
		if serr := s.Save(nil, &Evidence{Error: err.Error(), Seen: string(lastNote), Got: string(msg)}); serr != nil {
			return nil, errors.Join(err, serr)
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if err := s.Save(cosigned, nil); err != nil {
		return nil, err
	}
	return cosigned, nil
}

// NewWitnessHandler serves GET /witness/v1/checkpoint: the bank's latest
// checkpoint, cosigned now.
func NewWitnessHandler(s *WitnessService, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	mux := httpapi.NewMux()
	mux.HandleFunc("GET /witness/v1/checkpoint", func(w http.ResponseWriter, r *http.Request) {
		n, err := s.Update(r.Context())
		if err != nil {
			codes.Fail(log, w, r, err)
			return
		}
		httpapi.Reply(w, http.StatusOK, WitnessNoteResponse{Note: string(n)})
	})
	return mux
}

// WitnessCheckpoint asks the witness at base for the bank's latest
// checkpoint with its cosignature (verify it with ledger.OpenCheckpoint).
func WitnessCheckpoint(ctx context.Context, base string) ([]byte, error) {
	hc := httpapi.Client{Base: base, Codes: codes}
	var r WitnessNoteResponse
	if err := hc.Do(ctx, http.MethodGet, "/witness/v1/checkpoint", nil, &r); err != nil {
		return nil, err
	}
	return []byte(r.Note), nil
}
