// Package biometric is the buyer app's face check and fuzzy extractor for
// the e-invoice protocol (package einvoice; MA Ruhui et al., "Privacy-
// preserving online e-invoice issuance", JEIT 2022, §3 and docs/design.md
// §4). The paper has the app compare the ID-card photo with the live face
// and then derive the buyer's biometric key b_i with a fuzzy extractor
// Gen(B) → (b_i, helper), Rep(B′, helper) → b_i. It names neither the
// features nor the extractor; this package fixes both.
//
// # Templates and Match
//
// A Template is a face feature vector of Dim = 128 numbers (the size of a
// FaceNet embedding: Schroff, Kalenichenko, Philbin, "FaceNet", CVPR
// 2015). The face recogniser itself is out of scope: templates come from
// files (ReadTemplate: one JSON array, or one number per line). Match
// compares two templates by cosine distance d = 1 − cos∠(A, B) (half the
// squared Euclidean distance of the L2-normalised vectors) and accepts
// when d ≤ DefaultThreshold = 0.55.
//
// # Fuzzy extractor: code-offset over a concatenated code
//
//	Gen(B):                                   Rep(B′, helper):
//	  w  = binarize(B)      (5760 bits)         w′ = binarize(B′)
//	  m  ← 16 random bytes, salt ← 16 bytes     y  = w′ ⊕ sketch = C(m) ⊕ (w ⊕ w′)
//	  C(m) = RS(48,16) codeword of m,           majority of each 15-bit group,
//	         every bit repeated 15 times        then Berlekamp–Welch (≤ 16 byte errors) → m′
//	  sketch = w ⊕ C(m)                         SM3(commit ‖ m′) = Commit?   else ErrNoMatch
//	  Commit = SM3(labelCommit ‖ m)             w* = sketch ⊕ C(m′); Tag ok? else ErrHelperTampered
//	  Tag    = HMAC-SM3(K_tag(salt, m, w), helper body)
//	  b      = HMAC-SM3(salt, labelKey ‖ m)     b  = HMAC-SM3(salt, labelKey ‖ m′)
//
// The binarisation is a sign random projection (SimHash: Charikar, STOC 2002) with
// a fixed public ±1 matrix (Achlioptas, PODS 2001) whose rows are SM3
// digests of a public label and the row number: two faces at angle θ
// differ in each bit with probability ≈ θ/π. The secure sketch is the
// code-offset construction (Juels, Wattenberg, "A fuzzy commitment
// scheme", CCS 1999; Dodis, Reyzin, Smith, "Fuzzy extractors",
// EUROCRYPT 2004, §5) with a concatenated code: an outer Reed–Solomon
// code RS(N, K) over GF(2^8) from storj.io/infectious (Berlekamp–Welch
// decoding) and an inner repetition code of odd length Repeat decoded by
// majority. The key is extracted from the random secret m, never from the
// face: b = HMAC-SM3(salt, labelKey ‖ m), a keyed SM3 used as a
// randomness extractor/KDF (the random-oracle reading of Dodis et al.'s
// strong extractor). Robustness follows Boyen, Dodis, Katz, Ostrovsky,
// Smith ("Secure remote authentication using biometric data", EUROCRYPT
// 2005): the check value Tag is an HMAC-SM3 over the whole helper under a
// key derived from m and the enrolled bits w, so a helper altered by
// anyone without the face fails with ErrHelperTampered instead of giving
// a wrong key; the commitment SM3(labelCommit ‖ m) tells a decoding that
// reached another codeword (ErrNoMatch) from a tampered helper.
//
// Each Gen draws a fresh m and salt, so two Gen calls on one face give
// unrelated keys and helpers (the identity refresh of package einvoice
// relies on this).
//
// # Parameters and the trade-off
//
// DefaultParams = RS(48, 16) × 15: the sketch is 5760 bits (720 bytes; the
// helper 804 bytes) and Rep corrects up to t = 16 wrong bytes after the
// majority vote. Under the synthetic noise model (EvalOptions) a genuine
// live–live pair differs in about 23% of the bits, which the repetition
// code turns into a median of 4 byte errors (at most 17 in the documented
// run); an impostor differs in about half the bits and got at least 35 of
// the 48 bytes wrong. The measured
// FAR/FRR, for Match and for the extractor's capacity t, are in
// docs/einvoice-biometrics.md.
//
// What the key is worth, honestly. Dodis–Reyzin–Smith's bound for the
// code-offset sketch is H∞(b | helper) ≥ H∞(w) − (5760 − 128): the sketch
// costs the bits of redundancy of the code. The 5760 bits come from 128
// numbers and are strongly correlated, so H∞(w) is nowhere near 5632 and
// the bound is vacuous: the construction gives no provable entropy for b.
// b has at most the 128 bits of m, and in practice as much as it takes to
// find a template close to the enrolled face — which is what FAR
// measures, and which anyone holding a good photo of the buyer can do. b
// is a second factor bound to the app's stored helper and to the face,
// not a secret against someone who has the buyer's face; the protocol's
// security against the network rests on K_i and the session keys (the
// paper's argument too). The Hamming radius in the projected space only
// approximates the angular threshold; Evaluate measures both.
//
// Why not Canetti, Fuller, Paneth, Reyzin, Smith ("Reusable fuzzy
// extractors for low-entropy distributions", EUROCRYPT 2016,
// sample-then-lock)? It is reusable and needs only that random subsets of
// bits have entropy, but its acceptance is probabilistic (no sharp error
// capacity to state and test), its helper is hundreds of locks of digests,
// and its unlocking probability per lock (1−p)^k collapses at the ~23% bit
// error rate of our noise model. The code-offset construction has a
// deterministic capacity (tested at t and t+1) and a small helper. It is
// not proven reusable: two helpers of one face reveal C(m1) ⊕ C(m2) ⊕
// (w1 ⊕ w2), from which the noise w1 ⊕ w2 and m1 ⊕ m2 can be decoded;
// the keys stay unrelated only while each m stays secret. The app keeps
// its helpers private, so this is a note, not an attack on the protocol.
//
// # Errors
//
// ErrTemplate (malformed template or file), ErrParams (code parameters),
// ErrNoMatch (face too far, or a decoding to another codeword),
// ErrHelperTampered (the code decoded but the check value failed); helper
// decoding errors wrap internal/wire.ErrMalformed.
//
// # Departures from the paper
//
//   - The paper leaves the face features, distance, threshold and fuzzy
//     extractor unspecified; the choices above are ours.
//   - The paper's b_i is "the" biometric key; here each Gen gives a fresh
//     one (fresh m), and the helper carries a robustness check.
//   - FAR/FRR are measured on generated identities (Evaluate), not on a
//     face data set: no data set or model may be downloaded here.
package biometric
