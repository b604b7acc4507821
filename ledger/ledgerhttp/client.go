package ledgerhttp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"trustbank/internal/httpapi"
	"trustbank/ledger"
)

// APIError is a non-2xx answer; it unwraps to the ledger sentinel of its code.
type APIError = httpapi.APIError

// Client calls a ledger bank.
type Client struct {
	Base       string       // e.g. http://127.0.0.1:8080
	HTTP       *http.Client // default: 30 s timeout
	AdminToken string       // operator endpoints; the operator reads every notice
	// Signer is the account holder's key: it signs notice requests (the
	// notices of an entry are for its payer and payee only).
	Signer ledger.Signer
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	hc := httpapi.Client{Base: c.Base, HTTP: c.HTTP, AdminToken: c.AdminToken, Codes: codes}
	return hc.Do(ctx, method, path, in, out)
}

// doSigned is do with the request signed by the holder's key, if any.
func (c *Client) doSigned(ctx context.Context, method, path string, out any) error {
	hc := httpapi.Client{Base: c.Base, HTTP: c.HTTP, AdminToken: c.AdminToken, Signer: c.Signer, Codes: codes}
	return hc.Do(ctx, method, path, nil, out)
}

// Bank describes the bank.
func (c *Client) Bank(ctx context.Context) (BankResponse, error) {
	var r BankResponse
	return r, c.do(ctx, http.MethodGet, "/ledger/v1/bank", nil, &r)
}

// Verifier fetches the bank's description and returns a verifier of its
// signatures. pinned, if not nil, must equal the bank's public key.
func (c *Client) Verifier(ctx context.Context, pinned []byte) (ledger.Verifier, BankResponse, error) {
	info, err := c.Bank(ctx)
	if err != nil {
		return nil, info, err
	}
	if pinned != nil && string(pinned) != string(info.PublicKey) {
		return nil, info, fmt.Errorf("%w: bank %s presents another public key than the pinned one", ledger.ErrBadSignature, info.Name)
	}
	scheme, err := ledger.ParseScheme(info.Scheme)
	if err != nil {
		return nil, info, err
	}
	v, err := ledger.BankVerifier(scheme, info.Name, info.PublicKey)
	return v, info, err
}

// OpenAccount opens an SM2 account (operator).
func (c *Client) OpenAccount(ctx context.Context, name string, pub []byte, opening uint64) (*ledger.Template, error) {
	var r TemplateResponse
	if err := c.do(ctx, http.MethodPost, "/ledger/v1/accounts", OpenAccountRequest{Name: name, PublicKey: pub, Opening: opening}, &r); err != nil {
		return nil, err
	}
	return parseTemplate(r)
}

// OpenSM9Account opens an account at an SM9 bank (operator) and returns its
// template and the signing key the bank issued for it.
func (c *Client) OpenSM9Account(ctx context.Context, name string, opening uint64) (*ledger.Template, *ledger.SM9Signer, error) {
	info, err := c.Bank(ctx)
	if err != nil {
		return nil, nil, err
	}
	var r TemplateResponse
	if err := c.do(ctx, http.MethodPost, "/ledger/v1/accounts", OpenAccountRequest{Name: name, Opening: opening}, &r); err != nil {
		return nil, nil, err
	}
	t, err := parseTemplate(r)
	if err != nil {
		return nil, nil, err
	}
	key, err := ledger.ParseSM9Signer(r.SignKey, info.PublicKey)
	return t, key, err
}

// Template fetches an account's template (check it with Template.Verify).
func (c *Client) Template(ctx context.Context, name string) (*ledger.Template, error) {
	var r TemplateResponse
	if err := c.do(ctx, http.MethodGet, "/ledger/v1/accounts/"+url.PathEscape(name), nil, &r); err != nil {
		return nil, err
	}
	return parseTemplate(r)
}

func parseTemplate(r TemplateResponse) (*ledger.Template, error) {
	var t ledger.Template
	if err := t.UnmarshalBinary(r.Template); err != nil {
		return nil, err
	}
	return &t, nil
}

// Submit books money (step 3) and returns the settlement notice (QR3).
func (c *Client) Submit(ctx context.Context, s *ledger.Submission) (*ledger.Settlement, error) {
	b, err := s.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var r NoticeResponse
	if err := c.do(ctx, http.MethodPost, "/ledger/v1/submit", SubmitRequest{Submission: b}, &r); err != nil {
		return nil, err
	}
	return parseNotice(r)
}

// Notice fetches the settlement notice (QR3) of entry idx, as its payer or
// payee (Signer) or as the operator (AdminToken); anyone else gets
// ErrUnauthorized, for a missing entry too.
func (c *Client) Notice(ctx context.Context, idx uint64) (*ledger.Settlement, error) {
	return c.notice(ctx, idx, "notice")
}

// BalanceNotice fetches the balance notice (QR4) of entry idx, with the
// credentials of Notice.
func (c *Client) BalanceNotice(ctx context.Context, idx uint64) (*ledger.Settlement, error) {
	return c.notice(ctx, idx, "balance")
}

func (c *Client) notice(ctx context.Context, idx uint64, kind string) (*ledger.Settlement, error) {
	var r NoticeResponse
	if err := c.doSigned(ctx, http.MethodGet, fmt.Sprintf("/ledger/v1/entries/%d/%s", idx, kind), &r); err != nil {
		return nil, err
	}
	return parseNotice(r)
}

func parseNotice(r NoticeResponse) (*ledger.Settlement, error) {
	var s ledger.Settlement
	if err := s.UnmarshalBinary(r.Notice); err != nil {
		return nil, err
	}
	return &s, nil
}

// Checkpoint fetches the latest checkpoint (size 0) or the one of size.
func (c *Client) Checkpoint(ctx context.Context, size uint64) (*ledger.Checkpoint, error) {
	path := "/ledger/v1/checkpoint"
	if size > 0 {
		path += fmt.Sprintf("?size=%d", size)
	}
	var r CheckpointResponse
	if err := c.do(ctx, http.MethodGet, path, nil, &r); err != nil {
		return nil, err
	}
	var cp ledger.Checkpoint
	if err := cp.UnmarshalBinary(r.Checkpoint); err != nil {
		return nil, err
	}
	return &cp, nil
}

// Consistency fetches the consistency proof between two tree sizes.
func (c *Client) Consistency(ctx context.Context, from, to uint64) ([][]byte, error) {
	var r ConsistencyResponse
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/ledger/v1/consistency?from=%d&to=%d", from, to), nil, &r)
	return r.Proof, err
}

// CheckpointNote fetches the latest checkpoint (size 0) or the one of size
// as a signed note.
func (c *Client) CheckpointNote(ctx context.Context, size uint64) ([]byte, error) {
	path := "/ledger/v1/checkpoint"
	if size > 0 {
		path += fmt.Sprintf("?size=%d", size)
	}
	var r CheckpointResponse
	if err := c.do(ctx, http.MethodGet, path, nil, &r); err != nil {
		return nil, err
	}
	if r.Note == "" {
		return nil, fmt.Errorf("%w: the bank serves checkpoint %d in the legacy form only", ledger.ErrMalformed, size)
	}
	return []byte(r.Note), nil
}

// Extend checks that got, a checkpoint the bank presents now, extends
// seen, the last one the caller accepted: a smaller got is ErrRollback
// (found before asking the bank anything), a fork ErrFork, each a
// *ledger.SplitViewError; otherwise the bank's consistency proof must
// verify.
func (c *Client) Extend(ctx context.Context, bank ledger.Verifier, seen, got *ledger.Checkpoint) error {
	if equal, err := ledger.CompareSizes(seen, got); equal || err != nil {
		if err == nil {
			err = ledger.CheckView(bank, seen, got, nil)
		}
		return err
	}
	pr, err := c.Consistency(ctx, seen.Size, got.Size)
	if err != nil {
		return err
	}
	return ledger.CheckView(bank, seen, got, pr)
}

// Audit checks that the bank's latest checkpoint extends older (an
// auditor's saved checkpoint) and returns the latest.
func (c *Client) Audit(ctx context.Context, bank ledger.Verifier, older *ledger.Checkpoint) (*ledger.Checkpoint, error) {
	latest, err := c.Checkpoint(ctx, 0)
	if err != nil {
		return nil, err
	}
	return latest, c.Extend(ctx, bank, older, latest)
}

// Check walks the evidence chains (operator).
func (c *Client) Check(ctx context.Context) (CheckResponse, error) {
	var r CheckResponse
	return r, c.do(ctx, http.MethodPost, "/ledger/v1/check", nil, &r)
}

// CheckDeep re-reads and re-verifies every entry (operator).
func (c *Client) CheckDeep(ctx context.Context) (DeepCheckResponse, error) {
	var r DeepCheckResponse
	return r, c.do(ctx, http.MethodPost, "/ledger/v1/check?deep=1", nil, &r)
}

// CloseDay deep-checks the book and, only if it is whole, has the bank
// sign a closing checkpoint, which is returned verified against bank.
func (c *Client) CloseDay(ctx context.Context, bank ledger.Verifier) (*ledger.Closing, DeepCheckResponse, error) {
	var r CloseResponse
	if err := c.do(ctx, http.MethodPost, "/ledger/v1/close", nil, &r); err != nil {
		return nil, r.Check, err
	}
	var cl ledger.Closing
	if err := cl.UnmarshalBinary(r.Closing); err != nil {
		return nil, r.Check, err
	}
	return &cl, r.Check, cl.Verify(bank)
}

// Recover restores lost entries from the hot backup (operator).
func (c *Client) Recover(ctx context.Context) (RecoverResponse, error) {
	var r RecoverResponse
	return r, c.do(ctx, http.MethodPost, "/ledger/v1/recover", nil, &r)
}
