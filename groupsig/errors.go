package groupsig

import "errors"

// Errors. Verification failures are deliberately uninformative: a signature
// is either valid under the given public key or ErrInvalidSignature.
var (
	ErrInvalidSignature = errors.New("groupsig: invalid signature")
	ErrWrongEpoch       = errors.New("groupsig: signature made under another key epoch")
	ErrMalformed        = errors.New("groupsig: malformed encoding")
	ErrInvalidKey       = errors.New("groupsig: invalid key")
	ErrStaleKey         = errors.New("groupsig: member key is at another epoch than the group public key")
	ErrRevoked          = errors.New("groupsig: member key has been revoked")
	ErrBadRevocation    = errors.New("groupsig: revocation update does not verify against the public key")
)

// ErrEscrowMismatch: a signature does not carry the escrow it was asked for.
var ErrEscrowMismatch = errors.New("groupsig: signature is not for the committed escrow")
