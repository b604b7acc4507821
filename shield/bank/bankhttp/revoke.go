package bankhttp

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"net/url"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/httpapi"
	"trustbank/shield/bank"
	"trustbank/shield/ca"
)

// Wire types of revocation.
type (
	// RevokeRequest names the RFC 5280 reason (ca.ParseReason's names:
	// keyCompromise, superseded, …); empty means unspecified.
	RevokeRequest struct {
		Reason string `json:"reason"`
	}
	// RevokeResponse is the revoked certificate's serial (hex) and reason.
	RevokeResponse struct {
		Serial string `json:"serial"`
		Reason string `json:"reason"`
	}
)

// revokeSerial revokes the certificate with the path's serial (hex).
func (s *server) revokeSerial(w http.ResponseWriter, r *http.Request) {
	serial, ok := new(big.Int).SetString(r.PathValue("serial"), 16)
	if !ok || serial.Sign() <= 0 {
		s.fail(w, r, fmt.Errorf("%w: serial %q is not a positive hex number", bank.ErrMalformed, r.PathValue("serial")))
		return
	}
	s.revoke(w, r, serial)
}

// revokeAccount revokes the certificate bound to the path's account.
func (s *server) revokeAccount(w http.ResponseWriter, r *http.Request) {
	serial, err := s.boundSerial(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.revoke(w, r, serial)
}

func (s *server) boundSerial(ctx context.Context, account string) (*big.Int, error) {
	der, err := s.Server.Certificate(ctx, account)
	if err != nil {
		return nil, err
	}
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return c.SerialNumber, nil
}

// revoke records the revocation in the CA (durably: the bank's trust
// reads the CA's revocations at every login and confirmation, so the
// certificate is refused from the answer on, across restarts) and drops
// the cached CRL so the next GET /shield/v1/crl lists it.
func (s *server) revoke(w http.ResponseWriter, r *http.Request, serial *big.Int) {
	var q RevokeRequest
	err := decode(w, r, &q)
	reason := ca.Unspecified
	if err == nil && q.Reason != "" {
		reason, err = ca.ParseReason(q.Reason)
	}
	if err == nil {
		err = s.Authority.Revoke(r.Context(), serial, reason)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.crls.reset()
	httpapi.Reply(w, http.StatusOK, RevokeResponse{Serial: serial.Text(16), Reason: reason.String()})
}

// RevokeCertificate revokes the certificate with serial (operator).
func (c *Client) RevokeCertificate(ctx context.Context, serial *big.Int, reason ca.Reason) (*RevokeResponse, error) {
	return c.revoke(ctx, "/shield/v1/certs/"+serial.Text(16)+"/revoke", reason)
}

// RevokeAccount revokes the certificate bound to account (operator).
func (c *Client) RevokeAccount(ctx context.Context, account string, reason ca.Reason) (*RevokeResponse, error) {
	return c.revoke(ctx, "/shield/v1/accounts/"+url.PathEscape(account)+"/revoke", reason)
}

func (c *Client) revoke(ctx context.Context, path string, reason ca.Reason) (*RevokeResponse, error) {
	var r RevokeResponse
	if err := c.do(ctx, http.MethodPost, path, RevokeRequest{Reason: reason.String()}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
