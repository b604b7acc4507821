// Package ecash implements multi-bank anonymous e-cash with device binding,
// after seed 000 (朱变 et al., "云计算中基于TPM的多银行电子现金系统",
// a TPM-based multi-bank e-cash scheme for cloud platforms), as docs/design.md §1
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
//	 escrow E = (u^α, v^β, A·h^(α+β)) of the user's credential A at user epoch U
//	 m = (denom, epoch, U, binding, serial, H(K_pub), H(E)); blind(m)
//	 ── account sig, blinded m, Quote(PCRs; nonce = H(request)) ──▶
//	              check account sig, quote vs allowlist and the AIK GU registered
//	              ── blinded m, gsig_bank(request) ──▶ verify gsig (bank group),
//	                                                   blind-sign; debit + float
//	                                                   + issuance log commit
//	                                                   atomically, idempotent
//	                                                   by request id
//	 ◀──────────────────── blind signatures ─────────
//	 coin = (m, σ = unblind, K_pub)
//	                                                        ◀── challenge (B_j, account, amount, nonce, t)
//	 ── coins, sig_K(challenge) by the TPM, per coin gsig_user(transcript) whose T's are E ──▶
//	                                                        verify offline with ONE module key set
//	                                                        and the user-group key of epoch U
//	                                                        M ── transcript ──▶ B_j: spent.insert(serial)
//	                                                        or reject; credit M; the float pays B_j
//	 double spend: second insert fails → both transcripts kept once → GU opens the coin's
//	 gsig_user in each → both decrypt E → the withdrawer
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
//   - Payee: a challenge names the merchant's bank and account there
//     (unique across the system), and a bank credits a payment only to
//     that account.
//
// # Departures from the paper and from docs/design.md, and why
//
//   - The paper's coin signature (an ad-hoc ECC blind signature, §3.3) is
//     replaced by RFC 9474, as docs/design.md decides.
//   - The paper sends PK_AIK to the merchant with every payment; that names
//     the user's platform and links all its payments. The AIK is shown only
//     to the withdrawing bank (which knows the account anyway).
//   - docs/design.md has the bank check a TPM2_Certify of the coin key K at
//     withdrawal. That would show K_pub to the bank, and K_pub is revealed
//     at payment: bank and merchant (or the module at deposit) could link a
//     withdrawal to its payment, breaking the anonymity docs/design.md §1 demands
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
// # Tracing: the identity escrow (why a double spend always names the withdrawer)
//
// The paper's tracing opens the user group signature on each transcript and
// names the user — but the user who signs a transcript is whoever presents
// it. With one accomplice (or a second identity) a cheater pays the second
// time under another member's signature, and the two transcripts open to
// two people: detection without attribution. trustbank binds the identity
// to the coin instead of to the presenter:
//
//  1. At withdrawal the wallet makes, per coin, a BBS04 linear encryption
//     E = (T1, T2, T3) = (u^α, v^β, A·h^(α+β)) of its own member credential
//     A to the opener (groupsig.MemberKey.Escrow), with (α, β) derived from
//     the wallet seed and the coin serial, and the coin message commits to
//     H(E). The bank and the module see only the blinded message.
//  2. At payment each coin carries a group signature on the transcript whose
//     T's are exactly E (groupsig.MemberKey.SignEscrow). A BBS04 signature
//     is a proof of knowledge of (α, β, x) such that T3·h^−(α+β) is a valid
//     credential for x (BBS04 §5; sound under q-SDH in the random-oracle
//     model). The merchant and the bank check H(T1, T2, T3) = the coin's
//     commitment and the proof (VerifyPayment).
//  3. So only the member whose A is inside E — who knows x — can pay with
//     the coin; and every valid transcript of the coin carries the same
//     (T1, T2, T3), which the opener decrypts to the same A. Both
//     transcripts of a double spend open to the withdrawer, whoever
//     presented them (UserRegistry.Trace). An accomplice holding the coin
//     cannot pay with it; a coin that commits garbage or another member's A
//     is unspendable (the bank sees nothing at withdrawal, so such a coin
//     only costs its withdrawer); and handing over x is handing over one's
//     identity, which traces to its owner, as it should.
//  4. Anonymity is unchanged: E is under the blind signature, fresh (α, β)
//     make escrows of one member unlinkable (linear encryption is IND-CPA
//     under DLIN), and a signature reveals nothing beyond BBS04's. Two
//     transcripts of one coin share E — they share the serial anyway.
//
// Cost: one group signature per coin (≈1 ms to verify) instead of one per
// payment; an escrow is three fixed-base multiplications at withdrawal.
//
// # Revocation: when a signature at an old epoch counts
//
// A user revocation (BBS04 §7) publishes the revoked member's (A*, x*): a
// valid key at the old epoch — and, from the updates, at every earlier one.
// A verifier that took a signature at whatever epoch it names would take
// payments from anyone holding the update, and the opener would name the
// revoked member (the framing hole). The rule:
//
//   - Anything fresh (an authentication, a log-in) is accepted at the
//     group's current epoch only (registry.PublicKeys.VerifyFresh).
//   - A signature at an older epoch U counts only as evidence whose age is
//     proven independently. For e-cash the proof is the coin's key: the
//     module makes coin keys per (epoch, denomination, user epoch U) and
//     signs only with keys of the current user epoch (ModuleConfig.UserEpoch;
//     Module.EnsureKeys after each revocation). A coin whose key is of user
//     epoch U was issued while U was current, before any revocation that
//     ended U, so its escrow was made by someone who knew the credential
//     before it was published. Payments must be signed at the coin's U.
//   - The opener names nobody from a signature whose key a revocation has
//     published (registry.PublishedKeyError); UserRegistry.Trace names the
//     withdrawer anyway, on the strength of the coin's key as above.
//
// Consequences: an outsider holding a published update can neither obtain
// a coin escrowing it (the module refuses past user epochs, ErrUserEpoch)
// nor authenticate, nor frame the revoked member; the revoked user can
// neither withdraw (banks refuse, ErrUserRevoked) nor update its key; coins
// withdrawn before the revocation keep their value until they expire — the
// user paid for them, and their escrow still names the user. Members who
// stay apply the update (Wallet.UpdateMember) and keep their old key for
// the coins that escrow it.
//
// # Restore without linking
//
// A restoring wallet asks the module for the blind signatures of its
// re-blinded coins (which the module's issuance log maps to withdrawals —
// the user's own) and must learn which of those coins were spent. Asking
// by serial would hand the module "this withdrawal's coin is that
// deposit". Instead it downloads whole buckets of the spent registry: all
// spent serials (their first 8 bytes) of an epoch whose first b bits match,
// where b is the module's answer to SpentBucketBits, the same for every
// wallet, chosen so a bucket holds at least RestoreAnonymity (default 1024)
// spent coins on average (b = 0, the whole epoch, for a small registry).
// The wallet filters locally. What the module learns is b bits of each
// restored serial — which deposits it cannot tell apart within the bucket.
//
// # Lifecycle
//
//   - Keys: one per denomination, epoch and user epoch, generated ahead
//     (Lookahead) for the current user epoch, published while their coins
//     can still be deposited.
//   - Change: Wallet.Change + Module.Swap spend coins for fresh ones of the
//     same value; the inputs' challenge commits to the outputs.
//   - Backup: coin secrets derive from the wallet seed and a counter, the
//     escrow from the seed and the serial; Wallet.Restore re-blinds, asks
//     the module's issuance log, and drops spent coins by bucket (unbound
//     coins; bound coins need their TPM).
//   - Users: UserRegistry.Revoke; the wallet applies UserRegistry.Updates.
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
