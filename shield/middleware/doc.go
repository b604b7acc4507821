// Package middleware is the security middleware (安全中間件) of seed 002
// (黃一平 et al., the "film shield" 貼膜盾, §2.3.3): the API the mobile
// banking app calls to use the secure element, made of the paper's four
// parts — API, channel management, security-state control and dispersed
// key storage — over shield/card's APDUs and any card.Transport (the
// card in process, or a PC/SC reader: shield/card/pcsc).
//
// # Roles
//
//	App         the banking app: runs bank.Device with the Middleware as
//	            its bank.Card, keeps the sandbox file, asks for the PIN
//	Middleware  this package: one card, one secure channel, the host keys
//	            rebuilt from the shares while it is open
//	Card        shield/card: mutual authentication, SM4 secure messaging,
//	            security register, SM2 key, certificate and dispersal EFs
//
// # Channel lifecycle
//
//	Open:  SELECT; GET DATA status (serial = the sandbox's?); READ EF C008
//	       (the card's half); GET CHALLENGE → order of the shares; rebuild
//	       the host keys; card.OpenChannel (INTERNAL AUTHENTICATE checked
//	       against the card key the middleware knows, GET CHALLENGE,
//	       EXTERNAL AUTHENTICATE, session keys)             → state Channel
//	VerifyPIN: VERIFY under SM                              → state Unlocked
//	                      (wrong: *PINError with tries left → state Channel)
//	card reset / power loss: the card answers 6988 to the next SM command
//	       without running it; the middleware re-opens the channel and
//	       resends the command once — unless it needs the PIN, which the
//	       reset cleared: then ErrPINRequired (the app asks again)
//	tampered response (its MAC fails on the host): the channel is closed,
//	       ErrTampered, no retry (the card may have run the command); the
//	       next call re-opens                                → state Closed
//	Close: the channel ends and the host keys are zeroized.
//
// State is Closed → Channel → Unlocked with one transition function
// (State.next). Which operation needs which register bits is a constant
// per operation (needChannel, needPIN) mirroring the card's table in
// shield/card: VERIFY needs the channel; GENERATE, SIGN, DECIPHER and
// UPDATE/ERASE BINARY need the PIN too. The middleware refuses early
// (ErrPINRequired) what the card would refuse with 6982.
//
// # bank.Card over APDUs
//
//	GenerateKey       47 (PIN)                → a pending key; the active one
//	                                            still authenticates and signs
//	VerifyPIN         20 00 81
//	Sign(msg)         e = SM3(Z_A ‖ msg) on the host (default user ID,
//	                  the card's active key), 2A 9E 90 e (PIN)
//	SignPending(msg)  22 41 B6 84 01 02, Sign with the pending key's Z_A,
//	                  22 41 B6 84 01 01 (the PKCS#10; bank.PendingCard)
//	Decrypt(asn1)     converted to C1‖C3‖C2, 2A 80 86 (PIN)
//	StoreCertificate  cert.Verify against the pinned root (shield/ca/cert:
//	                  chain leaf → issuing → root, key usage), the leaf
//	                  must be for the card's pending key; leaf ‖ issuing
//	                  CA to EF C007 (ERASE + UPDATE BINARY in 192-byte
//	                  chunks), then ACTIVATE 44: the card checks the chain
//	                  against its own root key and switches keys (PIN);
//	                  its refusal (6A80, 6300) is ErrCertificate
//
// Once StoreCertificate returns nil the card signs with its new key,
// whatever happens to the bank's confirmation (bank.EnrollConfirm). An
// app whose confirmation fails must say so: the card switched keys, and
// the next certificate login completes the enrollment (the bank binds
// the pending certificate whose key signed it: package shield/bank,
// "A lost confirmation"); it may also send the same confirmation again,
// which the bank answers success whether or not it bound already.
// `trustbank mobile enroll` keeps the confirmation in its state file and
// sends it again before the next login.
//
// # Dispersed key storage (the Shamir construction)
//
// The host key material is the host's SM2 private scalar (EXTERNAL
// AUTHENTICATE) and the SM4 channel key: 48 bytes, sealed in the sandbox
// file with SM4-GCM under KEK = SM3("…/v1/kek\0" ‖ w)[:16], the file's
// header (magic, version, card serial, slot count) as additional data. w
// is a random non-zero scalar of the NIST P-256 scalar field (circl
// group.P256) split with Shamir (circl secretsharing, polynomial of
// degree T−1) into FileShares + CardShares points; DefaultDispersal is
// T = 3 of 4, two in the file and two in the card.
//
//	Provision (issuance, with the host keys from personalisation):
//	  open the channel, VERIFY PIN, PUT DATA 0103 the root's key (set
//	  once; a card with another root is ErrRoot), GET CHALLENGE Cc
//	  positions = FileShares distinct slots of Slots (32) drawn from
//	              SM3("…/positions\0" ‖ Cc ‖ counter), rejection-sampled
//	  sandbox slot s = f(s+1) at the positions, uniform random scalars
//	              elsewhere (decoys indistinguishable from shares)
//	  card EF C008 = "TBKD" 01 T f positions k (id value)ₖ, ids 201…
//	  the app stores the sandbox file; the host keys are forgotten
//	Open:
//	  a fresh GET CHALLENGE orders the shares (by SM3("…/order\0"‖Cc‖id));
//	  the first T rebuild w (Lagrange at 0); the GCM tag is the check
//	  value; if it fails the next T-subset is tried
//
// What it protects against: the sandbox file alone (a backup, malware
// reading the app's storage) holds FileShares < T points of the
// polynomial and so says nothing about w (Shamir's perfect secrecy), and
// with the sealed keys nothing about the host keys; the card alone holds
// CardShares < T. An attacker who knew the slot positions would still be
// short. A corrupted or lost share is detected by the check value and
// tolerated while T good shares remain (one of four by default); beyond
// that Open fails with ErrSandbox, which never says which share was bad.
// A sandbox of another card is refused by its serial. What it does not
// protect against: whoever holds the phone's file and the card together
// rebuilds the keys, as the app must be able to; the PIN then still
// guards every key operation on the card.
//
// # Errors
//
// ErrSandbox, ErrPINRequired, ErrTampered, ErrCertificate, ErrClosed,
// ErrConfig; *PINError (unwraps to card.ErrWrongPIN); card status words
// (apdu.StatusWord, card.ErrPINBlocked …) pass through wrapped.
//
// # Departures from the paper
//
//   - The paper's card computes the polynomial and keeps the positions;
//     ours has no such command, so the middleware splits at issuance and
//     the card keeps its half (positions and two shares) in an EF. The
//     card's challenges still choose the positions (at issuance) and the
//     shares used (at every open). The virtual card's EFs have no access
//     conditions on READ BINARY, so the card's half is readable by anyone
//     holding the card; a real COS would gate it behind INTERNAL
//     AUTHENTICATE.
//   - The shared secret is not the channel key itself but w, from which
//     the key sealing the host keys is derived: the host keys (an SM2
//     scalar and an SM4 key) do not fit one field element, and the GCM
//     tag gives the check value that detects a corrupted share.
//   - One share in the file would suffice for the paper's t-of-n; we
//     require each side to hold fewer than T so neither alone suffices.
//   - Signing hashes on the host (SIGN digest, as GM/T 0016 SKF does), so
//     every command is a short APDU; the card still holds the key.
//   - The card's key is read from the card when the middleware first
//     opens it and pinned for the middleware's lifetime (updated when
//     StoreCertificate activates the pending key); the bank checks the
//     card's certificate at login.
package middleware
