// Package bls12 holds the BLS12-381 helpers that trustbank's pairing-based
// schemes share: canonical point and scalar codecs that reject anything
// non-canonical, off-curve or outside the prime-order subgroup, scalar sampling
// from an explicit randomness source, and fixed-base scalar multiplication
// tables for generators that are used many times.
//
// It sits on github.com/consensys/gnark-crypto (ecc/bls12-381). The arithmetic
// is gnark-crypto's; this package only arranges it.
//
// # Side channels
//
// Neither gnark-crypto's scalar multiplication nor the fixed-base tables here
// are constant-time: table lookups are indexed by secret scalar digits. Timing
// and cache side channels are out of scope for trustbank's threat model (the
// signing keys of the SE-bound subsystems live in the secure element or TPM).
package bls12
