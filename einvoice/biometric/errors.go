package biometric

import "errors"

var (
	// ErrTemplate is wrapped by every error about a malformed template or
	// feature-vector file.
	ErrTemplate = errors.New("biometric: bad template")
	// ErrNoMatch: the template is too far from the one the helper was made
	// from (the error-correcting code could not reach the enrolled
	// codeword).
	ErrNoMatch = errors.New("biometric: face does not match the enrolled template")
	// ErrHelperTampered: the code decoded, but the helper's check value
	// does not verify: the helper was altered after Gen.
	ErrHelperTampered = errors.New("biometric: helper data altered")
	// ErrParams: fuzzy-extractor parameters out of range.
	ErrParams = errors.New("biometric: bad parameters")
)
