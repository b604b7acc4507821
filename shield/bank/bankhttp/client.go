package bankhttp

import (
	"context"
	"encoding"
	"net/http"
	"net/url"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/httpapi"
	"trustbank/shield/bank"
)

// APIError is a non-2xx answer. It unwraps to the sentinel of its code,
// so callers test errors.Is(err, bank.ErrNonceUsed) as in process.
type APIError = httpapi.APIError

// Client calls a shield bank server; its methods are those of
// bank.Server, with the same messages and the same sentinel errors.
type Client struct {
	Base       string       // e.g. http://127.0.0.1:8080
	HTTP       *http.Client // default: 30 s timeout
	AdminToken string       // sent as a bearer token when set (operator endpoints)
}

func (c *Client) api() *httpapi.Client {
	return &httpapi.Client{Base: c.Base, HTTP: c.HTTP, AdminToken: c.AdminToken, Codes: codes}
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	return c.api().Do(ctx, method, path, in, out)
}

// exchange sends the message in to path and decodes the answer into out.
func exchange[M any, P httpapi.MessagePtr[M]](ctx context.Context, c *Client, path string, in encoding.BinaryMarshaler) (*M, error) {
	var out M
	if err := c.api().Exchange(ctx, path, in, P(&out)); err != nil {
		return nil, err
	}
	return &out, nil
}

// OpenAccount opens an account for owner, holder of the resident ID
// number idCard, with a password and a balance in fen (operator).
func (c *Client) OpenAccount(ctx context.Context, id, owner, idCard, password string, balance uint64) error {
	return c.do(ctx, http.MethodPost, "/shield/v1/accounts", OpenAccountRequest{ID: id, Owner: owner, IDCard: idCard, Password: password, Balance: balance}, nil)
}

// IssueAuthCode issues a one-time enrollment code for account (operator).
func (c *Client) IssueAuthCode(ctx context.Context, account string) (string, error) {
	var r CodeResponse
	err := c.do(ctx, http.MethodPost, "/shield/v1/accounts/"+url.PathEscape(account)+"/codes", nil, &r)
	return r.Code, err
}

// PKI fetches the CA root, the issuing CA and the server certificate. A
// device pins them out of band; fetching them is trust on first use.
func (c *Client) PKI(ctx context.Context) (root, issuing, server *smx509.Certificate, err error) {
	var r PKIResponse
	if err := c.do(ctx, http.MethodGet, "/shield/v1/pki", nil, &r); err != nil {
		return nil, nil, nil, err
	}
	var certs [3]*smx509.Certificate
	for i, der := range [][]byte{r.Root, r.Issuing, r.Server} {
		if certs[i], err = smx509.ParseCertificate(der); err != nil {
			return nil, nil, nil, err
		}
	}
	return certs[0], certs[1], certs[2], nil
}

// CRL fetches the issuing CA's current CRL (DER).
func (c *Client) CRL(ctx context.Context) ([]byte, error) {
	var r CRLResponse
	err := c.do(ctx, http.MethodGet, "/shield/v1/crl", nil, &r)
	return r.CRL, err
}

// PasswordLogin opens a password-level session.
func (c *Client) PasswordLogin(ctx context.Context, m *bank.PasswordLogin) (*bank.Session, error) {
	return exchange[bank.Session](ctx, c, "/shield/v1/login/password", m)
}

// Enroll sends the card's PKCS#10 with the session and the code.
func (c *Client) Enroll(ctx context.Context, m *bank.EnrollRequest) (*bank.EnrollResponse, error) {
	return exchange[bank.EnrollResponse](ctx, c, "/shield/v1/enroll", m)
}

// ConfirmEnrollment reports what the card did with the certificate.
func (c *Client) ConfirmEnrollment(ctx context.Context, m *bank.EnrollConfirm) error {
	return c.api().Exchange(ctx, "/shield/v1/enroll/confirm", m, nil)
}

// Challenge starts a certificate login for account.
func (c *Client) Challenge(ctx context.Context, account string) (*bank.LoginChallenge, error) {
	var r MessageResponse
	if err := c.do(ctx, http.MethodPost, "/shield/v1/login/challenge", ChallengeRequest{Account: account}, &r); err != nil {
		return nil, err
	}
	var m bank.LoginChallenge
	return &m, m.UnmarshalBinary(r.Message)
}

// Login sends the card's answer to a challenge.
func (c *Client) Login(ctx context.Context, m *bank.LoginResponse) (*bank.Session, error) {
	return exchange[bank.Session](ctx, c, "/shield/v1/login", m)
}

// PreSubmit submits a payment and returns the sealed order.
func (c *Client) PreSubmit(ctx context.Context, m *bank.PreSubmit) (*bank.PreSubmitResponse, error) {
	return exchange[bank.PreSubmitResponse](ctx, c, "/shield/v1/orders", m)
}

// Confirm books a card-signed order.
func (c *Client) Confirm(ctx context.Context, m *bank.Confirm) (*bank.Receipt, error) {
	return exchange[bank.Receipt](ctx, c, "/shield/v1/orders/confirm", m)
}

// Transfer books a payment on the session alone (within the daily limit).
func (c *Client) Transfer(ctx context.Context, m *bank.SessionTransfer) (*bank.Receipt, error) {
	return exchange[bank.Receipt](ctx, c, "/shield/v1/transfers", m)
}
