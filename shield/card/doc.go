// Package card is a virtual secure element: the "film shield" (貼膜盾) of
// seed 002 (黃一平, 梁梓辰, 農麗萍, 蘇檢德: an ultra-thin smart card laid
// over the SIM, running a COS with SM2/SM3/SM4, PIN checks, signing,
// verification, encryption and 50 KB of certificate store, reached over
// ISO 7816), as docs/design.md §3 distils it. It speaks ISO/IEC 7816-4 APDUs
// (shield/internal/apdu) and is reached in process (*Card is a Transport),
// or as its own process (`trustbank card serve`) plugged into pcscd through
// vsmartcard's vpcd driver, so standard PC/SC tools and shield/card/pcsc
// reach it as they would a chip.
//
// # Roles
//
//	Card     the secure element: non-volatile State (PIN and PUK hashes and
//	         counters, SM2 key, host key, channel key, certificate EFs) in a
//	         Store, and a chip's volatile state (selection, security register,
//	         challenges, secure-messaging session)
//	Host     the middleware (shield/middleware, later) or the CLI: holds
//	         HostKeys (SM2 host key, SM4 channel key) and opens a Channel
//
// # Identity
//
//	AID  F0 54 42 53 48 49 45 4C 44 01   proprietary (RID F0: ISO/IEC 7816-5
//	                                      unregistered), "F0 'TBSHIELD' 01"
//	ATR  3B 8A 80 01 54 42 53 48 49 45 4C 44 30 31 03
//	     TS 3B direct convention; T0 8A: TD1 follows, 10 historical bytes;
//	     TD1 80: TD2 follows, T=0; TD2 01: T=1; historical bytes "TBSHIELD01"
//	     (first byte 54: proprietary format); TCK 03 (XOR of T0..last)
//
// # Commands
//
// CLA 00 in plain, 04 under secure messaging (80/84 accepted alike);
// anything else 6E00. Before the application is selected every INS but
// SELECT gets 6985. PIN and PUK travel as 8-byte blocks: 4–8 ASCII digits
// padded with FF.
//
//	INS P1 P2  command                  data                                   response
//	A4  04 00  SELECT application       AID                                    —
//	A4  02 0C  SELECT EF                FID C001–C008                          —
//	84  00 00  GET CHALLENGE            — (Le 16)                              Cc, 16 bytes
//	88  00 00  INTERNAL AUTHENTICATE    Ch, 16 bytes                           SM2 sig (DER) of
//	                                                                           label‖serial‖Ch
//	82  00 00  EXTERNAL AUTHENTICATE    SM2 sig (DER) by the host key of       —
//	                                    label‖serial‖Cc‖Ch; plain only
//	20  00 81  VERIFY (PIN)             PIN block, or none: tries left (63Cx)  —
//	24  00 81  CHANGE REFERENCE DATA    old PIN block ‖ new PIN block          —
//	2C  00 81  RESET RETRY COUNTER      PUK block ‖ new PIN block              —
//	47  00 00  GENERATE KEY PAIR (SM2)  — (into the pending slot)              pending key 04‖x‖y
//	22  41 B6  MSE SET (signing key)    84 01 kk: 01 active, 02 pending        —
//	44  00 00  ACTIVATE (certificate)   — (EF C007 holds leaf ‖ issuing CA)    —
//	DA  01 03  PUT DATA: root key       CA root's SM2 public key 04‖x‖y, once  —
//	2A  9E 9A  PSO: SIGN data           len(uid) ‖ uid ‖ message               SM2 sig (DER)
//	2A  9E 90  PSO: SIGN digest         e = SM3(Z_A ‖ message), 32 bytes       SM2 sig (DER)
//	2A  00 A8  PSO: VERIFY, key given   pub(65) ‖ len(uid) ‖ uid ‖             — (6300 if bad)
//	                                    len(sig) ‖ sig ‖ message
//	2A  01 A8  PSO: VERIFY, certificate as 00 A8 without pub; the key is      — (6300 if bad)
//	                                    the selected EF's X.509 certificate
//	2A  86 80  PSO: ENCIPHER (SM2)      recipient pub(65) ‖ message            C1‖C3‖C2
//	2A  80 86  PSO: DECIPHER (SM2)      C1‖C3‖C2 for the card's key            plaintext
//	B0  offset READ BINARY              — (Le)                                 bytes of the EF
//	D6  offset UPDATE BINARY            bytes written at offset (EF grows)     —
//	0E  offset ERASE BINARY             — (truncates the EF at offset)         —
//	CA  01 01  GET DATA: public key     —                                      04‖x‖y
//	CA  01 02  GET DATA: status         —                                      Status (14 bytes)
//	CA  01 03  GET DATA: root key       —                                      04‖x‖y (6A88: none)
//	CA  01 04  GET DATA: pending key    —                                      04‖x‖y (6A88: none)
//
// An empty uid means GM/T 0009's default "1234567812345678". Offsets are
// P1-P2 with P1 bit 8 clear (up to 7FFF). An absent Le takes the whole
// response; a response longer than Le is 6700, checked before any state
// changes for GENERATE and INTERNAL AUTHENTICATE. No command
// returns the private key, the PIN or PUK hashes or the channel key
// (tested: every INS 00–FF in every security state, plain and under SM).
//
// # Security-status register
//
// Three bits: SecInternal (the card proved itself: INTERNAL AUTHENTICATE),
// SecExternal (the host proved itself: EXTERNAL AUTHENTICATE; a session is
// open), SecPIN (VERIFY or CHANGE REFERENCE DATA succeeded in this
// session). Set on success; a failed VERIFY clears
// SecPIN, a failed EXTERNAL AUTHENTICATE clears SecExternal and SecPIN and
// closes the session, an SM error clears all; SELECT of the application,
// reset and power-off clear all. Each INS checks its bits and answers
// 6982 otherwise; a command needing SecExternal must also arrive under SM.
//
//	INS                               required
//	A4 84 88 B0 CA, 2A 00A8/01A8/8680 none
//	82                                SecInternal (and a pending Cc)
//	20 24 2C 22                       SecExternal, under SM
//	47 44 DA D6 0E, 2A 9E9A/9E90/8086 SecExternal + SecPIN, under SM
//
// # PIN, PUK and tearing
//
// The PIN locks after PINTries (6) consecutive failures (6983); a correct
// PIN resets the counter. RESET RETRY COUNTER with the PUK unblocks and
// sets a new PIN; the PUK has PUKTries (10) and at zero the card is dead
// (every PIN and PUK operation 6983). Each counter is decremented and made
// durable (Store.Save; FileStore writes with internal/atomicfile) before the
// comparison and restored after a match, so power lost between costs a
// try and never gives one (tested with kill -9 of `card serve`).
//
// # Mutual authentication and secure messaging
//
//	Host                                          Card
//	 ── INTERNAL AUTHENTICATE(Ch) ──────────────▶  sig_card(label_int‖serial‖Ch); SecInternal
//	 check with the card's public key
//	 ── GET CHALLENGE ──────────────────────────▶  Cc (single use)
//	 ── EXTERNAL AUTHENTICATE(sig_host(label_ext‖serial‖Cc‖Ch)) ▶ check with the host
//	                                               key from personalisation; SecExternal
//	 both: S_ENC = CBC-MAC_K(01‖"TBSM"‖Ch‖Cc), S_MAC = CBC-MAC_K(02‖"TBSM"‖Ch‖Cc),
//	       K the static SM4 channel key of personalisation, CBC-MAC = SM4
//	       CBC-MAC with ISO 9797-1 padding 2 (gmsm cbcmac), SSC = 0 (16 bytes)
//
// Every protected command: SSC += 1; CLA |= 04; data = C ‖ T with
// C = SM4-CBC_S_ENC(IV = SM4_S_ENC(SSC), pad2(Ne as 3 bytes ‖ data)) and
// T = first 8 bytes of CBC-MAC_S_MAC(SSC ‖ CLA INS P1 P2 ‖ C); the outer
// Le is 00 (or 0000 extended). The card answers with SSC += 1, data =
// C_r ‖ T_r, C_r = SM4-CBC(pad2(response data)) (absent without data),
// T_r = CBC-MAC_S_MAC(SSC ‖ C_r ‖ SW)[:8], SW in clear. A command whose MAC
// or padding fails — tampered, replayed (old SSC), reordered or stripped —
// gets a plain 6988, and the session ends with the register cleared.
//
// This is modelled on GlobalPlatform SCP03 and ICAO 9303 / PBOC secure
// messaging with SM4 in place of AES/DES. Departures: the data field is a
// fixed C ‖ T layout, not BER-TLV data objects 87/97/99/8E; Ne and the
// command data are encrypted together, so Le is protected; the host
// authenticates with an SM2 signature (as in GM/T 0016 device
// authentication) instead of a symmetric cryptogram, and the session keys
// come from the static SM4 key and both challenges with CBC-MAC as PRF
// (fixed-length inputs) instead of SCP03's CMAC KDF.
//
// # Key slots and enrollment
//
// The card has an active key and a pending slot. GENERATE puts a new key
// pair into the pending slot (durably; any older pending key is dropped)
// and touches neither the active key nor the certificate EFs, so a
// re-enrollment that fails at the bank (wrong code, stolen session), is
// abandoned, or loses power leaves the enrolled key and certificate
// working. INTERNAL AUTHENTICATE, DECIPHER and GET DATA 0101 always use
// the active key; PSO SIGN uses the key MSE chose (active after reset,
// SELECT and ACTIVATE), so the host signs the PKCS#10 with the pending
// key and nothing else with it.
//
//	Host                                       Card
//	 ── GENERATE ───────────────────────────▶  pending := new key (saved)
//	 ── MSE 84 01 02, PSO SIGN(P10 digest) ─▶  signed by the pending key
//	 ── MSE 84 01 01 ───────────────────────▶
//	    … the bank checks the code, the CA issues …
//	 ── UPDATE BINARY C007: leaf ‖ issuing ─▶
//	 ── ACTIVATE ───────────────────────────▶  check the chain; in one save:
//	                                           key := pending, C001 := leaf,
//	                                           C002 := issuing, C007 := empty
//
// ACTIVATE's check, with only the root key (PUT DATA 0103, set once at
// personalisation or by middleware.Provision; a different key later is
// 6985: a new root means a new card): EF C007 is exactly two DER
// certificates; the second is a CA (basic constraints, keyCertSign), is
// not the root key itself, and its SM2-with-SM3 signature over the TBS
// verifies under the root key with the default user ID 1234567812345678;
// the first is no CA, names the second's subject as issuer, allows
// digitalSignature, is signed by the second's key, and certifies the
// pending key. Status words: 6985 no pending key; 6A88 no root key; 6A80
// a structure that fails or a certificate for another key; 6300 a
// signature that does not verify (another CA, a tampered certificate);
// 6581 the save failed (nothing changed). A refusal changes nothing.
// EFs C001 and C002 are written only by ACTIVATE: UPDATE and ERASE BINARY
// on them answer 6982.
//
// Departures: this virtual card parses the certificates with gmsm smx509
// because it is Go; a chip's COS would walk the DER with a small TLV
// parser for just the fields named above (TBS, signature algorithm and
// value, issuer, subject, SubjectPublicKeyInfo, basic constraints, key
// usage) and verify with its SM2 engine, never holding more than one
// certificate and the root key. The card has no clock, so validity dates
// and revocation are not checked on the card: the middleware checks them
// (shield/ca/cert.Verify) before staging, and the bank at every login.
//
// # Files
//
// Eight certificate EFs, C001–C008, hold X.509 certificates (DER) or any
// bytes (C001 the holder's certificate, C002 its issuing CA's, C007 the
// staging EF of ACTIVATE, C008 the middleware's dispersal record); together at most StoreLimit (50 KB = 51200 bytes), beyond which
// UPDATE BINARY answers 6A84 and writes nothing. Departures from ISO
// 7816-4: the EFs exist from personalisation with length zero and grow
// with UPDATE BINARY; ERASE BINARY truncates (frees) instead of zeroing.
//
// # vpcd
//
// `trustbank card serve` dials the vpcd driver (DefaultVPCD, port 35963
// for reader "Virtual PCD 00 00", 35964 for "00 01") and answers its
// frames (shield/internal/vpcd): power off, power on and reset clear the
// volatile state, get ATR returns ATR, anything else is an APDU.
//
// # Errors
//
// Every failure on the card is a status word (apdu.StatusWord is an error;
// 63Cx matches ErrWrongPIN whatever x). Send and Channel.Transmit return a
// status word other than 9000 as the error; ErrSM is a response that
// failed to verify on the host side; ErrCardAuth a card whose INTERNAL
// AUTHENTICATE does not verify; ErrNoState, ErrBadState a Store without a
// usable state.
//
// # Other departures from the paper
//
// The paper's card sits between phone and SIM and forwards SIM commands;
// ours is its own card in its own reader. Personalisation (Personalise)
// generates the first key pair on the card side of the Store and returns
// only the public key, standing in for the factory's issuance step; it
// may also set the root key (`trustbank card init --root`).
package card
