// Package bls12 holds the BLS12-381 helpers that trustbank's pairing-based
// schemes share: canonical point and scalar codecs that reject anything
// non-canonical, off-curve or outside the prime-order subgroup, scalar sampling
// from an explicit randomness source, and scalar multiplication — fixed-base
// tables for generators that are used many times, and variable-base — in a
// constant-time and a variable-time flavour.
//
// It sits on github.com/consensys/gnark-crypto (ecc/bls12-381). Field
// multiplication is gnark-crypto's; the constant-time group arithmetic is
// this package's own.
//
// # Side channels
//
// Member, issuer and opener keys live in software wallets and bank
// processes, where another process or tenant can time them or watch the
// cache. A signer's nonce r_x leaks its key x = (s_x − r_x)/c, so every
// multiplication by a secret scalar must not depend on it in time or in the
// memory it touches. The functions split accordingly:
//
//	constant time (secret scalars)     variable time (public scalars only)
//	Table.Mul, Table.MulJac            Table.MulVartime, Table.MulJacVartime
//	MulG1, MulG1Affine                 MulG1Vartime (gnark-crypto's GLV)
//	MulG2                              —  (gnark-crypto's G2 ScalarMultiplication)
//	ToAffine, Affine                   ToAffineVartime
//	Add, AddMixed                      gnark-crypto's G1Jac methods
//	InvertScalar                       fr.Element.Inverse
//
// The constant-time functions recode the scalar into signed odd digits of a
// fixed width (recode.go: no digit is zero, an even scalar k is replaced by
// r − k and the signs flipped, with masks), scan every entry of a table row
// and keep the wanted one with masks, negate with a mask, and add with the
// complete projective formulas of Renes, Costello and Batina (EUROCRYPT
// 2016), which need no case for the identity or for doubling. The field
// operations under them are branch-free: gnark-crypto's fp.Mul and Square
// (amd64 assembly with ADX, reduction by CMOV; the pure-Go fallback on other
// targets ends in a branch), and this package's own add, subtract, negate,
// select, and inversion by Fermat's little theorem, since gnark-crypto's
// fp.Add, Sub, Neg branch on the reduction and its fp.Inverse is a
// variable-time binary GCD. Fixed-base tables for a secret base (a member's
// A) are built with the same arithmetic.
//
// The variable-time functions are gnark-crypto's arithmetic and are faster
// (Table.MulVartime skips zero digits; GLV halves the doublings). trustbank
// uses them only where every scalar is public: verification, whose scalars
// are the signature's responses and challenge.
//
// dudect_test.go checks the split statistically, as a benchmark run by
// hand (go test -run '^$' -bench Dudect -benchtime 1x): Welch's t between a fixed and random scalars stays below 4.5
// for the constant-time functions and is in the thousands for the
// variable-time ones.
//
// What remains outside this package: gnark-crypto's own point methods
// (G1Jac.AddAssign, AddMixed, G2Affine.Add) and its pairing use the
// branching fp.Add and Sub, so callers add secret points with Add and
// AddMixed here; a pairing on secret-dependent points is not constant-time, and the
// dudect test measures it (|t| over 100 between a fixed and random G1
// point), so groupsig.Sign blinds its pairing's inputs (NegAffine helps). Likewise fr.Element's Add, Sub and Neg
// branch on the reduction (fr.Mul is CMOV assembly like fp.Mul), so scalar
// arithmetic on secrets, such as Sign's responses s = r + c·secret, keeps a
// one-branch-per-operation leak. And a compiler could in principle
// turn a mask back into a branch: in Go 1.26's amd64 output for this
// package's field, recoding and selection code the only jumps are loop
// counters, bounds and stack checks; the dudect test would notice a change.
package bls12
