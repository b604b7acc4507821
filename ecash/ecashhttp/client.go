package ecashhttp

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"trustbank/ecash"
	"trustbank/groupsig"
	"trustbank/internal/httpapi"
)

// APIError is a non-2xx answer. It unwraps to the ecash sentinel of its
// code, so callers test errors.Is(err, ecash.ErrDoubleSpend) as in process.
type APIError = httpapi.APIError

// Client calls a trustbank e-cash server.
type Client struct {
	Base       string       // e.g. http://127.0.0.1:8080
	HTTP       *http.Client // default: 30 s timeout
	AdminToken string       // sent as a bearer token when set (operator endpoints)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	hc := httpapi.Client{Base: c.Base, HTTP: c.HTTP, AdminToken: c.AdminToken, Codes: codes}
	return hc.Do(ctx, method, path, in, out)
}

// KeySet fetches the module's key set and verifies it against the pinned
// module identity key (nil: trust on first use and return the key).
func (c *Client) KeySet(ctx context.Context, pinned ed25519.PublicKey) (*ecash.KeySet, ed25519.PublicKey, error) {
	var r KeysResponse
	if err := c.do(ctx, http.MethodGet, "/v1/keys", nil, &r); err != nil {
		return nil, nil, err
	}
	if pinned == nil {
		pinned = r.ModuleKey
	}
	ks, err := ecash.ParseKeySet(r.KeySet, pinned)
	return ks, pinned, err
}

// UserKey fetches the user group's public key at epoch (nil: current).
func (c *Client) UserKey(ctx context.Context, epoch *uint64) (*groupsig.PublicKey, error) {
	path := "/v1/users/key"
	if epoch != nil {
		path += "?epoch=" + strconv.FormatUint(*epoch, 10)
	}
	var r UserKeyResponse
	if err := c.do(ctx, http.MethodGet, path, nil, &r); err != nil {
		return nil, err
	}
	return groupsig.ParsePublicKey(r.PublicKey)
}

// UserKeys returns an ecash.UserKeys that fetches keys by epoch.
func (c *Client) UserKeys(ctx context.Context) ecash.UserKeys {
	return func(epoch uint64) (*groupsig.PublicKey, error) { return c.UserKey(ctx, &epoch) }
}

// RegisterUser registers identity without a TPM and returns the member key.
func (c *Client) RegisterUser(ctx context.Context, identity string) (*groupsig.MemberKey, error) {
	var r RegisterUserResponse
	if err := c.do(ctx, http.MethodPost, "/v1/users", RegisterUserRequest{Identity: identity}, &r); err != nil {
		return nil, err
	}
	return groupsig.ParseMemberKey(r.MemberKey)
}

// OpenAccount opens an account at bank.
func (c *Client) OpenAccount(ctx context.Context, bank, id, owner string, key ed25519.PublicKey, balance ecash.Amount) error {
	return c.do(ctx, http.MethodPost, "/v1/banks/"+url.PathEscape(bank)+"/accounts",
		OpenAccountRequest{ID: id, Owner: owner, Key: key, Balance: balance}, nil)
}

// Account reads an account.
func (c *Client) Account(ctx context.Context, bank, id string) (AccountResponse, error) {
	var r AccountResponse
	err := c.do(ctx, http.MethodGet, "/v1/banks/"+url.PathEscape(bank)+"/accounts/"+url.PathEscape(id), nil, &r)
	return r, err
}

// Withdraw sends a withdrawal to bank.
func (c *Client) Withdraw(ctx context.Context, bank string, q *ecash.WithdrawRequest) (*ecash.WithdrawResponse, error) {
	enc, _ := q.MarshalBinary()
	var r WithdrawResponse
	if err := c.do(ctx, http.MethodPost, "/v1/banks/"+url.PathEscape(bank)+"/withdraw", MessageRequest{Request: enc}, &r); err != nil {
		return nil, err
	}
	var out ecash.WithdrawResponse
	return &out, out.UnmarshalBinary(r.Response)
}

// Deposit sends a deposit to bank.
func (c *Client) Deposit(ctx context.Context, bank string, q *ecash.DepositRequest) (ReceiptResponse, error) {
	enc, _ := q.MarshalBinary()
	var r ReceiptResponse
	err := c.do(ctx, http.MethodPost, "/v1/banks/"+url.PathEscape(bank)+"/deposit", MessageRequest{Request: enc}, &r)
	return r, err
}

// Swap exchanges coins for fresh ones of the same value.
func (c *Client) Swap(ctx context.Context, q *ecash.SwapRequest) (*ecash.WithdrawResponse, error) {
	enc, err := q.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var r WithdrawResponse
	if err := c.do(ctx, http.MethodPost, "/v1/swap", MessageRequest{Request: enc}, &r); err != nil {
		return nil, err
	}
	var out ecash.WithdrawResponse
	return &out, out.UnmarshalBinary(r.Response)
}

// BlindSignatures implements ecash.Restorer.
func (c *Client) BlindSignatures(ctx context.Context, blinded [][]byte) ([][]byte, error) {
	var r RestoreResponse
	if err := c.do(ctx, http.MethodPost, "/v1/restore", RestoreRequest{Blinded: blinded}, &r); err != nil {
		return nil, err
	}
	if len(r.Signatures) != len(blinded) {
		return nil, fmt.Errorf("ecashhttp: restore answered %d of %d", len(r.Signatures), len(blinded))
	}
	return r.Signatures, nil
}

// IsSpent implements ecash.Restorer.
func (c *Client) IsSpent(ctx context.Context, sc ecash.SpentCoin) (bool, error) {
	var r SpentResponse
	q := SpentRequest{Coins: []SpentCoin{{Epoch: uint32(sc.Epoch), Serial: sc.Serial[:]}}}
	if err := c.do(ctx, http.MethodPost, "/v1/spent", q, &r); err != nil {
		return false, err
	}
	if len(r.Spent) != 1 {
		return false, fmt.Errorf("ecashhttp: spent check answered %d values", len(r.Spent))
	}
	return r.Spent[0], nil
}

var _ ecash.Restorer = (*Client)(nil)

// DoubleSpends lists double-spending evidence with its tracing.
func (c *Client) DoubleSpends(ctx context.Context) ([]DoubleSpendResponse, error) {
	var r []DoubleSpendResponse
	err := c.do(ctx, http.MethodGet, "/v1/double-spends", nil, &r)
	return r, err
}

// Totals reads the money figures.
func (c *Client) Totals(ctx context.Context) (TotalsResponse, error) {
	var r TotalsResponse
	err := c.do(ctx, http.MethodGet, "/v1/totals", nil, &r)
	return r, err
}
