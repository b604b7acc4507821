// Package bank is the bank server of secure-element ("film shield",
// 貼膜盾) mobile banking, after seed 002 (黃一平 et al., a mobile-banking
// client with a thin-film smart card holding an SM2 certificate), as
// docs/design.md §3 distils it: enrollment, certificate login, transaction
// signing, and the PBOC rule that non-counter transfers over 50,000 CNY a
// day need certificate signing.
//
// # Roles
//
//	Server   the bank's internet application server with its signing and
//	         encryption machines (Config.Key is the server certificate's
//	         SM2 key; an HSM would implement crypto.Signer)
//	CA       issues certificates from PKCS#10, answers PKCS#7 (shield/ca)
//	Device   the banking app and middleware on the phone (Device)
//	Card     the secure element behind it (Card: shield/middleware
//	         implements it over shield/card's APDUs)
//
// # Enrollment (paper §2, steps 1–8)
//
//	Device                         Server                          CA
//	── PasswordLogin ─────────────▶ check PBKDF2-SM3 password
//	◀──────────────────── Session (level password)
//	card: GenerateKey, PKCS#10 signed by the card key
//	── EnrollRequest(session, code, P10) ▶ code valid for the account?
//	                               ── P10, identity ────────────▶ issue
//	                               ◀──────────────── P7 (leaf, chain)
//	                               leaf chains to the pinned root; use up
//	                               the code, record pending (one tx)
//	◀──────────── EnrollResponse(id, P7)
//	card: check the chain, store the certificate, sign id‖SM3(cert)
//	── EnrollConfirm(id, stored, sig) ▶ verify with the new certificate;
//	                               Pending → Bound: certificate bound
//
// # A lost confirmation: idempotent retry, implicit confirmation at login
//
// The card activates its new key (shield/card's ACTIVATE) as soon as it
// has checked the certificate's chain, before the bank hears of it; if
// EnrollConfirm is then lost (network, the app killed, the answer lost)
// the card signs with a key the bank has not bound. Two ways out, both
// needing no new authorization code:
//
//   - The same EnrollConfirm again is a retry: for an enrollment already
//     Bound, with a signature the certificate verifies, the answer is
//     success and nothing changes (EnrollState.Next: Bound stays Bound;
//     the store's FinishEnrollment moves only a Pending row, so of two
//     concurrent confirmations one binds and the other is the retry). A
//     retry never rebinds: if a later enrollment replaced the
//     certificate, the account keeps the later one.
//   - Implicit confirmation at login. The card signs login challenges
//     with its active key only, and makes a key active only after it has
//     checked the certificate's chain to its pinned root, so a login
//     signature that the certificate of one of the account's Pending
//     enrollments verifies proves the card stored that certificate: what
//     EnrollConfirm would have proved. When the bound certificate refuses
//     a login (none bound, expired, revoked, another key signed), Login
//     tries the account's newest pending enrollments (at most 4, one SM2
//     verification each) and, if one verifies the signature and its
//     certificate chains to the pinned root, is valid now and not
//     revoked, binds it in the transaction that records the challenge
//     used and stores the session (Store.UseChallengeBinding): the login
//     and the binding are durable together or not at all. The old
//     certificate stops working from that commit on.
//
// What the implicit path does not open: a key the bank never certified
// for this account cannot bind (only the certificates of this account's
// own enrollments, issued by the CA on the account's password session and
// code, are tried; the store checks the account again); another
// account's enrollment cannot bind; a Failed enrollment cannot (only
// Pending ones); an expired or revoked pending certificate is refused
// (ErrCertificate, ErrRevoked) and the enrollment stays pending; the
// challenge is single-use as for any login (ErrChallengeUsed, also after
// a restart). Concurrent logins signed by the new key cannot bind twice:
// the UPDATE moves only a Pending row, and a login that finds it Bound
// already proceeds only if its certificate is still the account's
// (ErrEnrollment otherwise, nothing recorded).
//
// The identity the CA certifies is the bank's record, never the
// request's: the account the session authenticated, the holder's name,
// and the holder's resident ID number, which the operator records when
// the account is opened (OpenAccount refuses one that is not 18
// characters with a right GB 11643 / ISO 7064 MOD 11-2 check character:
// cert.ErrIdentity). The certificate carries it as the subject
// serialNumber "IDCCN-<number>" (package shield/ca/cert).
//
// # Certificate login (steps 1–7)
//
//	── Challenge(account) ─────────▶ nonce ← random, sign with server key,
//	                                hold (id, encoding, expiry) in memory
//	◀── LoginChallenge(id, account, nonce, expiry, sig_server)
//	card: verify sig_server with the pinned server certificate, sign
//	── LoginResponse(id, sig_card over the challenge) ──▶
//	                                verify with the account's certificate
//	                                (chain to the pinned root, not revoked);
//	                                record the challenge used + store the
//	                                session in ONE transaction, then answer
//	◀── Session (level certificate)
//
// # Transaction signing (steps 1–5)
//
//	── PreSubmit(session, account, payee, name, amount) ─▶
//	                                Order = payment + nonce + expiry,
//	                                signed by the server, SM2-encrypted to
//	                                the key of the account's certificate,
//	                                held in memory
//	◀── PreSubmitResponse(id, sealed order)
//	card: decrypt; app: order == what was submitted; card: verify
//	sig_server; PIN; sign
//	── Confirm(order text, sig_card) ─▶ text == the order issued, sig ok;
//	                                one tx: order + nonce used, day total,
//	                                debit, credit, receipt
//	◀── Receipt
//
// A payment may instead go as a SessionTransfer (session only, the weaker
// path) while the account's non-counter total of the day, this transfer
// included, stays ≤ DailyLimit (5,000,000 fen); above it the server
// answers ErrCertificateRequired. Card-signed transfers are allowed
// above the limit and count toward the day's total.
//
// # Replays and retries
//
// Every challenge and every order nonce is single-use, expires
// (Config.ChallengeTTL, OrderTTL: two minutes by default), and its use
// is committed before the answer is given, so a replay fails after a
// restart too: the store's record of a used challenge or order is keyed
// by its id, and a second use, concurrent or later, inserts nothing. A login response is never accepted twice
// (ErrChallengeUsed). A confirmation byte-for-byte identical to one that
// was booked is a retry: it returns the first receipt and moves no money;
// any other confirmation of a used nonce (e.g. a fresh signature over it)
// is ErrNonceUsed. A SessionTransfer is idempotent by its id.
//
// # Durability: what is written when, and what a crash does
//
// A login costs one durable commit, a card-signed transfer one: what the
// server issues (a challenge, an order) is held in memory only (bounded,
// ErrBusy when full; forgotten when it expires or is used), and only its
// use is written, in the same transaction as what it authorises (the
// session; the transfer). Concurrent logins and transfers share that
// commit (sqldb.Batcher: one transaction, a savepoint each, nobody
// answered before the commit). A crash
//
//   - after Challenge, before Login: the challenge is gone; the card's
//     answer is refused with ErrChallenge, no session; the device asks
//     for a new challenge. Nothing was acknowledged that is lost.
//   - during Login's commit: either the challenge's use and the session
//     are both durable (a replay is ErrChallengeUsed; the lost answer's
//     session token is unknown to the device, which logs in again) or
//     neither is (the challenge is gone as above).
//   - after PreSubmit, before Confirm: the order is gone; its
//     confirmation is refused with ErrOrder, no money moves and nothing
//     is recorded; the device submits again and gets a fresh order (new
//     id, new nonce), so the lost one can never be booked later.
//   - during Confirm's commit: either the order, its used nonce and the
//     transfer are all durable (a byte-identical retry returns the
//     receipt, any other confirmation is ErrNonceUsed) or none is (the
//     order is gone as above).
//
// Single use therefore never rests on memory: memory only says what was
// issued and may still be used; the durable record says what was used,
// and it is written before any answer that relies on the use.
//
// The memory is bounded twice. Per client: one client may hold
// Config.PerClient (DefaultPerClient, 16) unused challenges — the client
// being the remote IP address, as ChallengeFrom needs no session — and
// one account as many unconfirmed orders; more is ErrRateLimited (HTTP
// 429 rate_limited) for that client only, until it uses them or they
// expire. In all: 2^16 challenges and 2^16 orders (ErrBusy), which only
// many addresses together can reach. Behind a reverse proxy all clients
// share its address: the proxy must limit per client itself.
//
// # Atomicity of the daily rule
//
// SQLStore.Transfer locks the payer's and the payee's rows (in id order)
// before it reads the day's total, adds the amount with checked
// arithmetic (package internal/money) and writes it back in the same
// transaction, so concurrent transfers of one account are serialised and
// cannot together slip under the limit.
//
// # Errors
//
// Sentinels Err… in errors.go; decoders wrap ErrMalformed and change
// nothing; signature failures are ErrBadSignature without detail.
//
// # Departures from the paper, and why
//
//   - "A day" is the calendar day in China Standard Time (UTC+8, fixed:
//     China has had no daylight saving since 1991), the zone the PBOC
//     notice is written for, whatever the server's zone.
//   - The PBOC notice exempts transfers to the customer's own accounts at
//     the same bank; we count every transfer (stricter, simpler).
//   - The paper does not say what authorises enrollment beyond the login
//     and the code; we require a password session AND the code, check the
//     code before the CA issues anything, and use it up when the P7 is
//     returned (a failed store needs a new code from the operator).
//   - The paper binds the certificate when the CA issues it; we bind it
//     only when the card confirms it stored it and proves, by a signature,
//     that it holds the key: by EnrollConfirm, or, if that was lost, by
//     its first login with the new key (above).
//   - The paper encrypts with an "encryption machine" without naming the
//     key; we SM2-encrypt the order to the key of the account's signing
//     certificate (one key pair, as the card has one certificate). GM/T
//     practice would use a separate encryption certificate.
//   - The PIN is checked by the card (Card.VerifyPIN), as in the paper;
//     the server never sees it.
//   - The paper's card holds the server certificate; our Device pins it
//     (Device.Server), which the middleware will keep in the card.
//   - Revocation is a Revocation interface (CRL implements it from one
//     CRL signed by the issuing CA); the paper does not discuss it. The
//     node checks the CA's revocation records at every login, pre-submit
//     and confirmation, so an operator's revocation (bankhttp's revoke
//     endpoints) is refused from its answer on, across restarts.
//   - Sessions are bearer tokens kept hashed (SM3) in the store; a retry
//     of a session transfer under a fresh session is the same request.
package bank
