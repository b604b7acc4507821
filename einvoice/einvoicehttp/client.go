package einvoicehttp

import (
	"context"
	"crypto/ecdsa"
	"encoding"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/einvoice"
	"trustbank/internal/httpapi"
)

// APIError is a non-2xx answer; it unwraps to the einvoice sentinel of its
// code, so callers test errors.Is(err, einvoice.ErrReplay) as in process.
type APIError = httpapi.APIError

// Client calls a tax system.
type Client struct {
	Base       string       // e.g. http://127.0.0.1:8080
	HTTP       *http.Client // default: 30 s timeout
	AdminToken string       // operator endpoints
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	hc := httpapi.Client{Base: c.Base, HTTP: c.HTTP, AdminToken: c.AdminToken, Codes: codes}
	return hc.Do(ctx, method, path, in, out)
}

func (c *Client) exchange(ctx context.Context, path string, m encoding.BinaryMarshaler, out encoding.BinaryUnmarshaler) error {
	hc := httpapi.Client{Base: c.Base, HTTP: c.HTTP, Codes: codes}
	return hc.Exchange(ctx, path, m, out)
}

// Info fetches the system's registration key and invoice certificate
// chain. Pin the chain's root out of band: nothing here authenticates it.
func (c *Client) Info(ctx context.Context) (*ecdsa.PublicKey, []*smx509.Certificate, error) {
	var info SystemInfo
	if err := c.do(ctx, http.MethodGet, "/einvoice/v1/system", nil, &info); err != nil {
		return nil, nil, err
	}
	key, err := smx509.ParsePKIXPublicKey(info.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: system key: %v", einvoice.ErrMalformed, err)
	}
	pub, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return nil, nil, fmt.Errorf("%w: system key is not SM2", einvoice.ErrMalformed)
	}
	var chain []*smx509.Certificate
	for _, der := range info.Chain {
		cert, err := smx509.ParseCertificate(der)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: certificate: %v", einvoice.ErrMalformed, err)
		}
		chain = append(chain, cert)
	}
	return pub, chain, nil
}

// RegisterBuyer sends a buyer's registration.
func (c *Client) RegisterBuyer(ctx context.Context, m *einvoice.BuyerRegistration) (*einvoice.BuyerRegistered, error) {
	var out einvoice.BuyerRegistered
	return &out, c.exchange(ctx, "/einvoice/v1/register/buyer", m, &out)
}

// RegisterSeller sends a seller's registration.
func (c *Client) RegisterSeller(ctx context.Context, m *einvoice.SellerRegistration) (*einvoice.SellerRegistered, error) {
	var out einvoice.SellerRegistered
	return &out, c.exchange(ctx, "/einvoice/v1/register/seller", m, &out)
}

// Request sends message 1 and returns message 4.
func (c *Client) Request(ctx context.Context, m *einvoice.Request) (*einvoice.InvoiceResponse, error) {
	var out einvoice.InvoiceResponse
	return &out, c.exchange(ctx, "/einvoice/v1/request", m, &out)
}

// Confirm sends message 5.
func (c *Client) Confirm(ctx context.Context, m *einvoice.Confirm) error {
	return c.exchange(ctx, "/einvoice/v1/confirm", m, nil)
}

// ResendNotices asks the system to resend unacknowledged notices.
func (c *Client) ResendNotices(ctx context.Context) (int, error) {
	var r ResendResponse
	return r.Sent, c.do(ctx, http.MethodPost, "/einvoice/v1/notices/resend", nil, &r)
}

// SellerLink reaches sellers' invoicing servers over HTTP: the endpoint
// a seller registered is the base URL of its NewSellerHandler.
type SellerLink struct {
	HTTP *http.Client // default: 10 s timeout
}

var _ einvoice.SellerLink = (*SellerLink)(nil)

func (l *SellerLink) client(endpoint string) (*httpapi.Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: seller endpoint %q is not an http(s) URL", einvoice.ErrSeller, endpoint)
	}
	hc := l.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &httpapi.Client{Base: endpoint, HTTP: hc, Codes: codes}, nil
}

// Verify implements einvoice.SellerLink (messages 2 and 3).
func (l *SellerLink) Verify(ctx context.Context, endpoint string, m *einvoice.VerifyRequest) (*einvoice.VerifyResponse, error) {
	hc, err := l.client(endpoint)
	if err != nil {
		return nil, err
	}
	var out einvoice.VerifyResponse
	return &out, hc.Exchange(ctx, "/einvoice/v1/seller/verify", m, &out)
}

// Notify implements einvoice.SellerLink (message 6).
func (l *SellerLink) Notify(ctx context.Context, endpoint string, m *einvoice.Notice) error {
	hc, err := l.client(endpoint)
	if err != nil {
		return err
	}
	return hc.Exchange(ctx, "/einvoice/v1/seller/notice", m, nil)
}

// SellerClient is the seller's shop system filling its order book.
type SellerClient struct {
	Base       string
	HTTP       *http.Client
	AdminToken string
}

func (c *SellerClient) do(ctx context.Context, method, path string, in, out any) error {
	hc := httpapi.Client{Base: c.Base, HTTP: c.HTTP, AdminToken: c.AdminToken, Codes: codes}
	return hc.Do(ctx, method, path, in, out)
}

// AddOrder adds a paid order and returns its total in fen.
func (c *SellerClient) AddOrder(ctx context.Context, req OrderRequest) (int64, error) {
	var r OrderResponse
	return r.Total, c.do(ctx, http.MethodPost, "/einvoice/v1/seller/orders", req, &r)
}

// Order fetches an order's total and invoice number.
func (c *SellerClient) Order(ctx context.Context, orderNo string) (*OrderResponse, error) {
	var r OrderResponse
	return &r, c.do(ctx, http.MethodGet, "/einvoice/v1/seller/orders/"+url.PathEscape(orderNo), nil, &r)
}
