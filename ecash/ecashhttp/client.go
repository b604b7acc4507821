package ecashhttp

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"

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

// UserKeys returns an ecash.UserKeys that fetches keys by epoch, once each
// (a key of an epoch never changes; a parsed key carries costly tables).
func (c *Client) UserKeys(ctx context.Context) ecash.UserKeys {
	var mu sync.Mutex
	cache := map[uint64]*groupsig.PublicKey{}
	return func(epoch uint64) (*groupsig.PublicKey, error) {
		mu.Lock()
		defer mu.Unlock()
		if pk := cache[epoch]; pk != nil {
			return pk, nil
		}
		pk, err := c.UserKey(ctx, &epoch)
		if err == nil {
			cache[epoch] = pk
		}
		return pk, err
	}
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

// Account reads an account: as its holder, in a request signed with key,
// or (key nil) as the operator with the client's AdminToken.
func (c *Client) Account(ctx context.Context, bank, id string, key ed25519.PrivateKey) (AccountResponse, error) {
	hc := httpapi.Client{Base: c.Base, HTTP: c.HTTP, Codes: codes}
	if key == nil {
		hc.AdminToken = c.AdminToken
	} else {
		hc.Signer = httpapi.Ed25519Signer(key)
	}
	var r AccountResponse
	err := hc.Do(ctx, http.MethodGet, "/v1/banks/"+url.PathEscape(bank)+"/accounts/"+url.PathEscape(id), nil, &r)
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

// SpentBucketBits implements ecash.Restorer.
func (c *Client) SpentBucketBits(ctx context.Context, e ecash.Epoch) (uint8, error) {
	var r SpentBitsResponse
	err := c.do(ctx, http.MethodGet, "/v1/spent/"+strconv.FormatUint(uint64(e), 10)+"/bits", nil, &r)
	return r.Bits, err
}

// SpentBucket implements ecash.Restorer.
func (c *Client) SpentBucket(ctx context.Context, e ecash.Epoch, bits uint8, prefix uint32) ([]uint64, error) {
	var r SpentBucketResponse
	path := fmt.Sprintf("/v1/spent/%d?bits=%d&prefix=%d", e, bits, prefix)
	if err := c.do(ctx, http.MethodGet, path, nil, &r); err != nil {
		return nil, err
	}
	if len(r.Heads)%8 != 0 {
		return nil, fmt.Errorf("ecashhttp: spent bucket of %d bytes", len(r.Heads))
	}
	out := make([]uint64, 0, len(r.Heads)/8)
	for i := 0; i < len(r.Heads); i += 8 {
		out = append(out, binary.BigEndian.Uint64(r.Heads[i:]))
	}
	return out, nil
}

// Updates returns the user group's revocation updates after epoch after.
func (c *Client) Updates(ctx context.Context, after uint64) ([]*groupsig.Revocation, error) {
	var r UpdatesResponse
	if err := c.do(ctx, http.MethodGet, "/v1/users/updates?after="+strconv.FormatUint(after, 10), nil, &r); err != nil {
		return nil, err
	}
	out := make([]*groupsig.Revocation, len(r.Updates))
	for i, b := range r.Updates {
		rev, err := groupsig.ParseRevocation(b)
		if err != nil {
			return nil, err
		}
		out[i] = rev
	}
	return out, nil
}

// RevokeUser revokes a user (operator token needed).
func (c *Client) RevokeUser(ctx context.Context, id string) (*groupsig.Revocation, error) {
	var r UpdatesResponse
	if err := c.do(ctx, http.MethodPost, "/v1/users/"+url.PathEscape(id)+"/revoke", struct{}{}, &r); err != nil {
		return nil, err
	}
	if len(r.Updates) != 1 {
		return nil, fmt.Errorf("ecashhttp: revoke answered %d updates", len(r.Updates))
	}
	return groupsig.ParseRevocation(r.Updates[0])
}

var _ ecash.Restorer = (*Client)(nil)

// DoubleSpends lists double-spending evidence with its tracing (operator).
func (c *Client) DoubleSpends(ctx context.Context) ([]DoubleSpendResponse, error) {
	var r []DoubleSpendResponse
	err := c.do(ctx, http.MethodGet, "/v1/double-spends", nil, &r)
	return r, err
}

// Totals reads the money figures (operator).
func (c *Client) Totals(ctx context.Context) (TotalsResponse, error) {
	var r TotalsResponse
	err := c.do(ctx, http.MethodGet, "/v1/totals", nil, &r)
	return r, err
}

// Prune drops expired spent-coin partitions and returns their epochs (operator).
func (c *Client) Prune(ctx context.Context) ([]uint32, error) {
	var r PruneResponse
	err := c.do(ctx, http.MethodPost, "/v1/prune", nil, &r)
	return r.Dropped, err
}
