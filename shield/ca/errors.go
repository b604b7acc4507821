package ca

import "errors"

// Errors of the authority. Card-side verification errors are in package
// cert (cert.ErrRevoked, cert.ErrChain, …).
var (
	ErrRequest        = errors.New("ca: bad certificate request")
	ErrRequestSig     = errors.New("ca: certificate request signature does not verify under the user ID")
	ErrSerialTaken    = errors.New("ca: serial number already issued")
	ErrUnknownSerial  = errors.New("ca: no certificate with this serial number")
	ErrAlreadyRevoked = errors.New("ca: certificate already revoked")
	ErrReason         = errors.New("ca: unknown revocation reason")
	ErrSealed         = errors.New("ca: sealed key does not open") // deliberately vague
)
