// Package trust is trust-based identity management for cloud services,
// after seed 004: LI Bing-xu, WU Li-fa, ZHOU Zhen-ji, LI Hua-bo,
// "基于信任的云计算身份管理模型设计与实现" (Design and Implementation of
// Trust-based Identity Management Model for Cloud Computing), Computer
// Science 41(9), 2014 — as docs/design.md §5 distils it.
//
// Group signatures let a user prove to a cloud service that it is a
// registered user without saying which one; they cannot stop a malicious
// user. The paper groups users by a trust score computed from the
// services' feedback, so a service learns one thing about the user — its
// trust tier — and serves it accordingly.
//
// # Roles
//
//	Provider (IDP)   identity registration (Register), group management
//	                 (four tier groups, each a groupsig/registry group with
//	                 its own issuer and opener key), trust computation
//	                 (package score), cloud feedback and feedback management
//	                 (Feedback), open (Open) and revoke (Revoke)
//	Service          a cloud service: challenge, authenticate by tier, serve
//	                 by the tier's Policy, rate the session (Report)
//	UserClient       the user's client: holds the member key of its tier
//
// Tiers (score.Tier): perfect [0.75,1], good [0.5,0.75), mediate
// [0.25,0.5), bad [0,0.25); a new user starts at T = 0.5 in mediate.
//
// # Flow
//
//	UserClient                     Provider (IDP)                         Service S
//	── Register(id, client key) ──▶ T = 0.5 → mediate; Join(id/1)
//	◀── Enrollment(tier, member key) ──
//	                                                       ◀── Challenge: (S, nonce) ──
//	m = (S, nonce, time, tier); σ = gsig_tier(m)
//	── Authentication (m, σ) ─────────────────────────────────────────────▶ S = own id, |time − now| ≤ 2 min,
//	                                                                        nonce outstanding (then consumed),
//	                                                                        σ.epoch = tier's current epoch,
//	                                                                        Verify under the tier's key (once)
//	                                                                        → session (txn = nonce, tier)
//	── requests ──────────────────────────────────────────────────────────▶ served by Policy[tier]
//	                               ◀── SignedReport: (S, txn, T_c, time, tier, σ), Ed25519_S ──
//	                               check S's key; (S, txn) counted? → same receipt
//	                               Open(σ) → member → user; T' = score.Update(T, T_c)
//	                               one transaction: feedback row + T' (+ re-grouping)
//	                               revoke old membership, join new tier
//	                               ── Receipt(S, txn) ──▶
//	── Sync: updates of its tier; revoked? fetch new Enrollment ──▶
//
// # What each party learns (the privacy argument)
//
// A service sees authentications: (its id, its nonce, a time, a tier, σ).
// σ verifies under the named tier's key and under no other (the test
// TestServiceLearnsOnlyTheTier), BBS04 signatures are unlinkable, and
// opening needs the tier's opener key, which only the provider holds. So
// the service's logs hold tiers, times and what the sessions did — no
// identity, and no link between two sessions of one user. The receipt of
// a report says nothing back (not even whether the tier changed).
//
// The provider sees registrations (the user's id and client key) and, per
// report, which service rated which user when, and how (T_c). It never
// sees the sessions' contents. Linking a report to a user is its job in
// the paper (trust is per user); the report carries the session's σ and
// the provider opens it, so the service never needs — or gets — the id.
//
// Joins: the service's log (txn → what the session did) and the
// provider's (service, txn → user) join on (service, txn), so a service
// colluding with the provider identifies its users. That is inherent to
// the paper's model, in which the provider can open any signature anyway;
// what the design prevents is any party other than the provider naming a
// user, and a service linking its own sessions. Group epochs are public:
// a revocation in a tier group tells everybody that some member left that
// tier at that time (not who; the new tier's join is not visible).
//
// # Re-grouping, and why a crash cannot leave two groups
//
// When T crosses a tier boundary the report's transaction also records
// the new tier, the new member id (<user>/<generation>), the old
// membership as Leaving and the new one as Pending (store.go's
// MembershipStatus). The registry is then brought in line, revoke first,
// join second, each step idempotent (regroup.go). A crash leaves the user
// in its old group only, or in none — never two — and the provider
// settles it on restart (Recover), on the retried report, and on the
// client's key fetch. The provider acknowledges the report only after
// settling, so from the receipt on, every service's revocation check
// refuses the old tier's signatures: the old group is at a new epoch the
// old key cannot follow (BBS04 §7). The client's Sync sees its key
// revoked and fetches its new enrollment.
//
// # Feedback: authenticated, durable, idempotent
//
// A report is signed with the service's Ed25519 key, registered at the
// provider by the operator (RegisterService); a report the key did not
// sign is ErrForgedFeedback. The signed bytes bind the service id, the
// transaction, T_c and the session's authentication, whose message names
// the service: a service can rate only sessions opened with itself. The
// pair (service, transaction) is the idempotency key (a primary key); the
// report's digest is stored with it, so the same report again gets the
// same receipt and another one ErrFeedbackConflict. Each report is one
// O(1) update (score keeps the history decayed incrementally) in one
// transaction, group-committed with concurrent ones (sqldb.Batcher).
//
// # Departures from the paper, and why
//
//   - BBS04 (package groupsig) instead of ACJT with the revocation of
//     [17]: shorter signatures, a kept pairing library; same properties.
//   - The signed message. The paper signs a timestamp. We sign (service,
//     challenge, timestamp, tier): the challenge and the replay cache stop
//     replays, the service id stops a session being reused at another
//     service, and the tier is named so the service verifies once, under
//     that tier's key, instead of trying four.
//   - Revocation check. A service accepts only signatures at the tier
//     group's current epoch (TierKeys; registry.PublicKeys.VerifyFresh's
//     rule), because a revocation publishes the revoked key.
//   - How feedback finds the user. The paper's evaluate(signature) leaves
//     it open; we make the service forward the session's signature and
//     the provider open it (above). Feedback must come within
//     FeedbackWindow (15 min) of the authentication. A signature that
//     opens to a key a re-grouping has since published counts only if its
//     time is before that revocation, so the published key cannot be used
//     to invent sessions afterwards; what is left is the window itself: a
//     service that captured nothing could still, for FeedbackWindow after
//     a re-grouping, forge a session dated just before it and rate the
//     (to it anonymous) re-grouped user once per forged session.
//   - The paper's Fig. 5 "further trusted attributes" for low tiers is an
//     AttributeChecker in the tier's Policy; the example checker
//     (AttributeTokens) accepts attributes the service's operator vouched
//     for with a MAC. Rate limits are per session and per tier: users are
//     anonymous, so a service cannot limit one user across sessions.
//   - User exit (paper: "the GM recovers and destroys the user's keys"):
//     the membership is revoked, so the key can neither sign at the new
//     epoch nor follow the update; the provider never issues it again;
//     the client zeroizes its copy (UserClient.Close).
//   - T_c ∈ [0,1] (package score explains why not the open interval).
//
// # Cost
//
// An authentication costs the service one group-signature verification
// and one indexed read of the tier group's epoch (Provider.Current), plus
// O(1) for the replay cache; a report costs the provider an Ed25519
// verification, one open, and O(1) rows in one group-committed
// transaction (`trustbank bench trust`: auth ≥ 0.7 of its bare-crypto
// bound). A re-grouping costs what a groupsig/registry revocation and a
// join cost: O(1) whatever the size of the tiers (about 1.2 ms on SQLite
// with 1,000 or 100,000 members; members keep one base tag and the
// provider, holding both the issuer and opener keys, rewinds opened keys
// to it). Each re-grouping is still one more epoch of the old tier: every
// member of that tier applies one more update (one multiplication) the
// next time it signs, and the provider's opener one field multiplication.
//
// # Errors
//
// Sentinels in errors.go; a refused message changes nothing. Decoders
// (Authentication, SignedReport, ParseKeys) accept only canonical
// encodings and are fuzzed.
package trust
