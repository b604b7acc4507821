package cert

import "errors"

// Errors of the card-side checks. Verify wraps the underlying reason with
// %w, so callers test with errors.Is and still read a precise message.
var (
	ErrBundle    = errors.New("cert: malformed PKCS#7 certificate bundle")
	ErrCRL       = errors.New("cert: bad CRL")
	ErrUntrusted = errors.New("cert: chain does not lead to the pinned root")
	ErrNotCA     = errors.New("cert: issuer is not a certificate authority")
	ErrChain     = errors.New("cert: chain is not root → issuing CA → leaf")
	ErrValidity  = errors.New("cert: certificate outside its validity period")
	ErrKeyUsage  = errors.New("cert: key usage does not allow this use")
	ErrRevoked   = errors.New("cert: certificate revoked")
	ErrIdentity  = errors.New("cert: bad identity")
)
