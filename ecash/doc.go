// Package ecash implements multi-bank anonymous e-cash with device binding,
// after seed 000 (朱变 et al., "云计算中基于TPM的多银行电子现金系统",
// a TPM-based multi-bank e-cash scheme for cloud platforms), as SPEC.md §1
// distils it.
//
// # Roles
//
//	Module (GB)     the cloud e-bank module: bank-group manager, custodian of
//	                the coin-issuing keys, spent-coin registry, clearing float
//	Bank (B_i)      holds customer accounts; debits withdrawals, credits
//	                deposits; talks to the module with bank-group signatures
//	UserRegistry    (GU) registers users (identity I_U, platform AIK), issues
//	                user-group keys, opens user signatures to name a cheater;
//	                an AIK only through enrolment (Enroller, enroll.go): the
//	                TPM proves by credential activation against its certified
//	                EK that it holds the AIK
//	Wallet          the user's device: coin secrets, blinding, TPM coin keys
//	Merchant        challenges, verifies payments offline, deposits at its bank
//
// # Flow (one coin; a payment uses several)
//
//	Wallet(TPM)                 Bank B_i                 Module GB              Merchant M    Bank B_j
//	 coin key K ← TPM (PolicyPCR on golden PCRs)
//	 m = (denom, epoch, binding, serial, H(K_pub)); blind(m)
//	 ── account sig, blinded m, Quote(PCRs; nonce = H(request)) ──▶
//	              check account sig, quote vs allowlist and the AIK GU registered
//	              ── blinded m, gsig_bank(request) ──▶ verify gsig (bank group),
//	                                                   blind-sign; debit + float
//	                                                   + issuance log commit
//	                                                   atomically, idempotent
//	                                                   by request id
//	 ◀──────────────────── blind signatures ─────────
//	 coin = (m, σ = unblind, K_pub)
//	                                                        ◀── challenge (M, amount, nonce, t)
//	 ── coins, sig_K(challenge) by the TPM, gsig_user(transcript) ─────────────▶ verify offline with
//	                                                        ONE module key set and ONE user-group key
//	                                                        M ── transcript ──▶ B_j: spent.insert(serial)
//	                                                        or reject; credit M; the float pays B_j
//	 double spend: second insert fails → both transcripts kept → GU opens gsig_user → the cheater
//
// # Constructions (published, from libraries)
//
//   - Coins: RSA blind signatures, RFC 9474 RSABSSA-SHA384-PSS-Deterministic
//     (cloudflare/circl blindsign/blindrsa), one 2048-bit key per
//     denomination and epoch. The deterministic variant is safe here because
//     every coin message carries a fresh 32-byte serial (RFC 9474 §7.2).
//   - Denominations are powers of two in minor units; an amount is paid
//     with several coins, change by a swap (spent coins in, fresh blinded
//     coins out), as in Cashu and GNU Taler.
//   - Group signatures: package groupsig (BBS04 on BLS12-381) for the bank
//     group and the user group; their registries are groupsig/registry.
//   - Key sets are signed by the module's Ed25519 identity key, which
//     wallets and merchants pin.
//
// # Departures from the paper and from SPEC.md, and why
//
//   - The paper's coin signature (an ad-hoc ECC blind signature, §3.3) is
//     replaced by RFC 9474, as SPEC.md decides.
//   - The paper sends PK_AIK to the merchant with every payment; that names
//     the user's platform and links all its payments. The AIK is shown only
//     to the withdrawing bank (which knows the account anyway).
//   - SPEC.md has the bank check a TPM2_Certify of the coin key K at
//     withdrawal. That would show K_pub to the bank, and K_pub is revealed
//     at payment: bank and merchant (or the module at deposit) could link a
//     withdrawal to its payment, breaking the anonymity SPEC.md §1 demands
//     ("withdraw and deposit views share no value"). Instead the bank checks
//     a TPM2_Quote over the golden PCRs whose qualifying data is the hash
//     of the withdrawal request (so the attestation is fresh and bound to
//     these blinded coins), made by the AIK registered with GU. The coin key
//     is created by the same TPM with a PolicyPCR policy on the golden PCRs
//     and certified by the AIK for the wallet itself (package attest), and
//     the coin commits to H(K_pub) under the blind signature. A stolen coin
//     is then useless without that TPM in that state, which is what binding
//     protects. A dishonest user could commit a software key instead; that
//     only makes the user's own coins stealable, never double-spendable
//     without detection.
//
// # Lifecycle
//
//   - Keys: one per denomination and epoch, generated ahead (Lookahead),
//     published while their coins can still be deposited.
//   - Change: Wallet.Change + Module.Swap spend coins for fresh ones of the
//     same value; the inputs' challenge commits to the outputs.
//   - Backup: coin secrets derive from the wallet seed and a counter;
//     Wallet.Restore re-blinds and asks the module's issuance log
//     (unbound coins; bound coins need their TPM).
//   - Expiry: coins of epoch e are spendable until the end of e+SpendEpochs
//     and depositable until the end of e+DepositEpochs; then Module.Prune
//     drops e's spent-coin partition whole.
//   - Banks: Module.RegisterBank joins the bank group; RevokeBank removes a
//     bank (the others rekey on their next withdrawal).
//
// # Storage and durability
//
// One Store interface (store.go), one SQL implementation on SQLite and
// PostgreSQL. Withdrawals, deposits and swaps are group-committed: requests
// in flight share one transaction, each in its own savepoint, and none is
// acknowledged before the commit. The invariant — account balances plus the
// module's float equal the money paid in, and the banks' clearing positions
// offset the float — is checked after every test scenario.
//
// # Error contract
//
// Every decoder rejects non-canonical input with an error wrapping
// ErrMalformed. Protocol failures are sentinels (ErrDoubleSpend,
// ErrExpired, ErrBadSignature, ErrInsufficientFunds, …); nothing that fails
// changes state — except that an answer to an AIK enrolment challenge,
// right or wrong, uses the challenge up (ErrEnrollment for the next) — and
// every state change is durable before it is acknowledged. Money never
// overflows: an amount or balance beyond MaxAmount / MaxBalance (2^53 − 1),
// money paid in beyond 2^62, or a clearing position beyond ±2^62 is
// ErrAmountRange (package trustbank/internal/money has the limits and
// why). A refused double spend is evidence kept once per coin and
// transcript: replaying it writes nothing and gets the same
// *DoubleSpendError.
package ecash
