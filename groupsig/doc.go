// Package groupsig implements BBS04 short group signatures with opening and
// revocation on BLS12-381.
//
// A group signature convinces a verifier that some member of a group signed
// a message, without saying which member. One party, the opener, can name
// the signer; another, the issuer, admits members and revokes them.
// trustbank uses groups for the banks and the users of the e-cash module
// (seed 000) and for the four trust tiers of the identity provider (seed 004).
//
// # Scheme
//
// D. Boneh, X. Boyen, H. Shacham, "Short Group Signatures", CRYPTO 2004
// (full version: https://crypto.stanford.edu/~dabo/pubs/papers/groupsigs.pdf),
// §5 (the scheme) and §7 (revocation), instantiated on the type-3 pairing
// e: G1 × G2 → GT of BLS12-381 (gnark-crypto v0.22.0).
//
//	keys   gpk  = (g1, h, u, v ∈ G1; g2, w ∈ G2), w = g2^γ, u^ξ1 = v^ξ2 = h
//	       issuer secret γ; opener secret (ξ1, ξ2); member key (A, x), A^(γ+x) = g1
//
//	Issuer                      Member                     Verifier        Opener
//	x ← Zr, A = g1^(1/(γ+x))
//	registry[id] = (A, x)
//	   ── (A, x), privately ──▶ check e(A, w·g2^x) = e(g1, g2)
//	                            α, β ← Zr
//	                            T1 = u^α, T2 = v^β, T3 = A·h^(α+β)
//	                            proof of (α, β, x, xα, xβ), c = H(gpk, T, R, M)
//	                            ── σ = (T1,T2,T3, c, sα,sβ,sx,sδ1,sδ2) ──▶ recompute R, check c
//	                                                        ── σ, M ──────────────▶ A = T3/(T1^ξ1·T2^ξ2)
//	registry: A → id ◀───────────────────────────────────────────────────────────── look up A
//
// # Departures from the paper, and why
//
//   - Type-3 pairing. BBS04 is written for a type-2 pairing with an
//     efficient ψ: G2 → G1. BLS12-381 has no such map, so g1 is chosen
//     independently of g2 (the standard generators) and a revocation update
//     carries g2' = g2^(1/(γ+x*)) explicitly instead of deriving g1' = ψ(g2').
//     Everybody checks an update against the key it updates (Apply), so
//     updates need no extra signature.
//   - Separate issuer and opener. BBS04 has one group manager. Seeds 000
//     and 004 give issuing and opening to different parties, so the opener
//     generates (h, ξ1, ξ2) and hands (h, u, v) to the issuer, who adds
//     (g1, g2, w). The opener learns the tag A of a signer; the registry
//     that maps tags to identities is the issuer's (package registry).
//     The registry's opener additionally holds γ (see the next item), so
//     issuing and opening are separate keys but, in trustbank's
//     deployments (e-cash user registry, trust identity provider), one
//     operator; OpenerKey.Open alone still needs only (ξ1, ξ2).
//   - One tag per member across epochs. In §7 each revocation changes
//     every member's A, so an opener that names signers of every epoch
//     would keep a tag per member and epoch, re-tagging all members at
//     every revocation. Instead, since g1_e = g1_0^ρ_e with
//     ρ_e = 1/∏_{j≤e}(γ+x*_j), a key of epoch e is A_e = A_0^ρ_e; the
//     Rewinder raises the opened A_e to ∏(γ+x*_j) (γ and the published
//     x*_j) to get the member's base tag A_0, computed once at join
//     (IssuerKey.BaseTag). It costs Open one multiplication and makes a
//     revocation O(1) for the registry. The factors are as secret as γ
//     (with one and the public x*_j, γ is a root of a known polynomial):
//     memory only, never stored.
//   - h is hashed to G1 from fresh randomness, so nobody knows log_g1 h.
//   - The Fiat–Shamir challenge is RFC 9380 hash-to-field (SHA-256) with a
//     domain-separation tag and the SHA-256 digest of the encoded group
//     public key (epoch included) in the hash, so a signature is bound to
//     one key at one epoch.
//   - Verification computes R3 as one two-term multi-pairing with the lines
//     of the fixed g2 and w precomputed:
//     R3 = e(T3^sx·h^−(sδ1+sδ2)·g1^−c, g2) · e(T3^c·h^−(sα+sβ), w),
//     which is the paper's product of five pairings regrouped. Signing does
//     the same with A's exponent folded in, so every signer multiplication
//     is by a fixed base (u, v, h, A) served from a precomputed table, in
//     constant time (see Security notes).
//   - Revocation is BBS04 §7, not verifier-local revocation (Boneh–Shacham,
//     CCS 2004): VLR costs the verifier one pairing per revoked member,
//     §7 costs nothing at verification. Members that are not revoked update
//     their key (Update) and keep signing; the revoked one cannot, and its
//     fresh signatures fail. Signatures made before a revocation still verify
//     under the public key of their epoch, which they name.
//
// # Escrows: a signature bound in advance
//
// A signature's (T1, T2, T3) is a linear encryption of the signer's A to
// the opener. MemberKey.Escrow makes that encryption ahead of time, and
// SignEscrow later signs with exactly those T's; VerifyEscrow accepts only
// a signature carrying them. Whoever commits to an escrow (an e-cash coin
// does) can thereby demand that every signature made for it opens to one
// member: the proof of knowledge of (α, β, x) behind the T's can only be
// made by the member whose A is inside. This is BBS04 unchanged — the
// signer only chooses (α, β) earlier — so its security argument stands;
// escrows made with fresh (α, β) are unlinkable like signatures are.
//
// # Which epoch a verifier may accept
//
// A revocation publishes the revoked member's key (A*, x*) at the old
// epoch, and from the chain of updates at every earlier epoch too. A
// signature at a past epoch can therefore be made by anyone after the
// fact. Fresh signatures (authentications, payments) must be at the
// current epoch (registry.PublicKeys.VerifyFresh); a past-epoch signature
// counts only with independent proof that it, or what it escrows, predates
// the revocation, and the opener names nobody from a published key
// (registry.PublishedKeyError). Package ecash gets the proof from its coin
// keys, which are made per user epoch.
//
// # Why BBS04 and not the trust paper's ACJT
//
// Seed 004 uses the ACJT scheme (Ateniese, Camenisch, Joye, Tsudik, CRYPTO
// 2000) over an RSA group. BBS04 gives the same properties for our use
// (anonymity, traceability by an opener, unforgeability of membership) with
// signatures of 344 bytes instead of several kilobytes, and with a well-kept
// pairing library under it. The trust package uses four BBS04 groups.
//
// # Security notes
//
//   - As in BBS04 the issuer chooses x and so knows every member key: the
//     scheme is not non-frameable against the issuer. Where non-repudiation
//     matters (e-cash payments) trustbank adds a signature by a key only the
//     member's device holds (the TPM coin key).
//   - Every multiplication by a secret scalar is constant-time (internal/bls12
//     Table.Mul, MulG1, MulG2): Sign (α, β, the nonces and the scalars built
//     from x), Issue/KeyFor (1/(γ+x)), Revoke (1/(γ+x*), γ), key generation
//     and parsing (1/ξ, ξ, γ), Check (x), Update (1/(x−x*)), Open (ξ1, ξ2)
//     and the Rewinder (∏(γ+x*_j)).
//     Secret scalars are inverted with bls12.InvertScalar (Fermat), not
//     gnark-crypto's variable-time binary GCD.
//     Verify multiplies by public scalars only and takes the faster
//     variable-time path (MulG1Vartime, Table.MulJacVartime); Apply's scalar
//     is public too but shares the constant-time G2 helper.
//   - Sign's pairing R3 = e(x, g2)·e(y, w) takes secret-dependent points,
//     and gnark-crypto's Miller loop and final exponentiation branch on
//     their inputs (dudect: |t| ≈ 120 between a fixed and random point).
//     Sign blinds them: with fresh Z1, Z2 it computes
//     e(x+Z1, g2)·e(y+Z2, w)·e(−Z1, g2)·e(−Z2, w) as one four-term Miller
//     loop, each point alone uniformly random (dudect_test.go: |t| below
//     4.5 for the blinded pairing and for all of Sign with fixed against
//     fresh nonces). It costs Sign about 30% (two Miller-loop terms and
//     two fixed-base multiplications). Not covered: Check's pairing and G2
//     addition (a member checks its own key once, at join), and fr's Add
//     and Sub in Sign's responses, which branch on the reduction (one
//     branch per operation, below what dudect resolves).
//
// # Encodings and errors
//
// Every encoding is fixed-size and canonical (compressed points, big-endian
// scalars below r): a decoder rejects wrong lengths, non-canonical points,
// points off the curve, outside the subgroup or at infinity, and scalars
// ≥ r, with an error wrapping ErrMalformed. Verify returns nil,
// ErrWrongEpoch or the deliberately uninformative ErrInvalidSignature.
//
// # Cost
//
// On 2 cores of the project machine: Sign 2 and Verify 2 pairings, Open
// one Verify plus two multiplications (OpenRewound three), Issue 0.05
// pairings; verification cost is the same after any number of
// revocations (see bench_test.go and `trustbank bench groupsig`).
package groupsig
