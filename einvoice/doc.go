// Package einvoice is privacy-preserving online e-invoice issuance with
// three-party authentication, after seed 003: MA Ruhui, CAO Jin, LI Hui,
// YANG Chaozhong, "Efficient Privacy Preserving Authentication Scheme for
// Online E-invoice Service" (在线电子发票服务的高效隐私保护认证方案),
// Journal of Electronics & Information Technology 44(3):1075–1085, 2022,
// doi:10.11999/JEIT210049 — as docs/design.md §4 distils it. The paper's
// Tamarin model gives every computation; this package implements it with
// the byte encodings below and the departures listed at the end.
//
// # Roles
//
//	System  the tax authority's e-invoice system (电子凭据系统): its
//	        user-authentication role checks the buyer, its information-
//	        verification role checks the deal with the seller, its
//	        issuing role builds and signs the invoice. Holds Ke, an SM2
//	        key for registration, a Store and the invoice signer.
//	Seller  the enterprise's invoicing server (开票方服务器): holds K_j,
//	        sID_j and its order book.
//	Buyer   the buyer's app (收票方APP): holds K_i and the anonymous
//	        identity (HID_i, Hb_i, ρ) sealed under the buyer's face and
//	        ID, and the fuzzy extractor's helper string.
//
// # Setup and registration
//
// The system picks Ke (32 random bytes) and an SM2 key pair; buyers and
// sellers know its public key. Registration is online:
//
//	App: Match(ID photo, live face) or refuse; (b_i, helper) = Gen(live)
//	App ── BuyerRegistration: SM2Enc_pk(eID_i ‖ b_i ‖ t_i0 ‖ n ‖ k_r) ──▶ System
//	        System: t_i0 in the window, n unused (recorded), eID_i well-formed;
//	        K_i = h(Ke, eID_i, b_i); fresh ρ;
//	        HID_i = eID_i ⊕ h(b_i, Ke, ρ); Hb_i = b_i ⊕ h(HID_i, Ke);
//	        records tag(eID_i) → current identity tag(HID_i)
//	App ◀── BuyerRegistered: ENC_{k_r}(K_i ‖ HID_i ‖ Hb_i ‖ ρ), AAD = SM3(request)
//
//	Seller ── SellerRegistration: SM2Enc_pk(sID_j ‖ t_j0 ‖ n ‖ k_r ‖ endpoint) ──▶ System
//	Seller ◀── SellerRegistered: ENC_{k_r}(K_j), K_j = h(Ke, sID_j)
//
// The app keeps only the helper string and ENC_w(K_i ‖ identity) with
// w = h(b_i, eID_i): without the buyer's ID number and a matching face
// the phone's storage opens nothing.
//
// # Issuance: six messages
//
//	Buyer                               System                                Seller
//	Match(ID photo, live) or refuse; b_i = Rep(live, helper); open K_i, identity
//	TK_i = h(K_i, t_i); C_i1 = ENC_TKi(sID_j); C_i2 = ENC_TKi(M_i)
//	S_i = h(TK_i, C_i1, C_i2, eID_i, t_i, ρ)
//	── 1 Request (HID_i, Hb_i, ρ, C_i1, C_i2, S_i, t_i) ──▶
//	                   t_i in window; b_i, eID_i, K_i, TK_i recovered; S_i ok;
//	                   identity current or pending; sID_j, M_i decrypted
//	                   TK_j = h(K_j, t_e); C_e = ENC_TKj(m_i)
//	                   S_e = h(TK_j, C_e, sID_j, t_e)
//	                                     ── 2 VerifyRequest (C_e, S_e, t_e) ──▶
//	                                                 t_e in window, S_e ok and unseen;
//	                                                 m_j = the order's items, seller
//	                                                 C_j = ENC_TKj(m_j)
//	                                                 S_j = h(TK_j, C_j, m_i, t_j, S_e)
//	                                     ◀── 3 VerifyResponse (C_j, S_j, t_j) ──
//	                   S_j ok; m_j matches M_i (number, amount);
//	                   M_e = invoice signed with SM2; fresh ρ', HID', Hb'
//	                   ONE durable commit: S_i used, invoice, session, pending identity
//	                   c_e = ENC_TKi(M_e ‖ ρ' ‖ HID' ‖ Hb')
//	                   s_e = h(TK_i, c_e, eID_i, M_i, sid)
//	◀── 4 InvoiceResponse (sid, c_e, s_e) ──
//	s_e ok; M_e verifies and matches M_i; store the new identity
//	R_i = h(TK_i, eID_i, sID_j, M_i, s_e)
//	── 5 Confirm (sid, R_i) ──▶
//	                   R_i ok; invoice confirmed (durable)
//	                   TK_n = h(K_j, t_n); C_n = ENC_TKn(m_i ‖ invoice number)
//	                   S_n = h(TK_n, C_n, sID_j, t_n)
//	                                     ── 6 Notice (C_n, S_n, t_n) ──▶
//	                                                 S_n ok and unseen; order marked
//	                                                 invoiced with that number
//
// The deal: M_i is the buyer's order (the order number at the seller, the
// amount paid in fen, and the invoice title: buyer name, optional tax
// ID); m_i is the order number the system asks the seller about; m_j is
// the seller's answer (order number, seller name, seller tax ID = sID_j,
// items with quantity, unit price and tax rate). The issuing role builds
// the invoice from m_j and the title in M_i and refuses unless the
// invoice total equals M_i's amount. M_e is the SM2-signed invoice of
// package einvoice/invoice; what is signed is that package's canonical
// encoding of every invoice field (number, date, seller, buyer, items,
// amounts, tax, totals).
//
// # Encodings
//
// Identifiers: eID_i is the 18-character PRC resident ID number (ASCII,
// check character verified, GB 11643-1999); sID_j is the 18-character
// unified social credit code (GB 32100-2015), also the seller's tax ID.
// b_i, Ke, K_i, K_j, TK_* and every MAC are 32 bytes; ρ 16; sid 16 (6
// bytes of Unix milliseconds, 10 random bytes). Invoice numbers are 20
// digits: the year's last two, 11 of milliseconds since the year began
// (China Standard Time), 7 random.
// Timestamps are 4-byte big-endian unsigned Unix seconds (the paper's
// 32 bits; good until 2106).
//
// h: h(k, x_1, …, x_n) = HMAC-SM3(k, frame(label, x_1, …, x_n)), where
// frame writes each element as a 4-byte big-endian length and the bytes,
// and label is a constant naming the use ("einvoice/v1/S_i", …, see
// crypto.go). The key is the paper's first argument: h(Ke, eID_i, b_i) is
// keyed by Ke, h(b_i, Ke, ρ) by b_i, h(HID_i, Ke) by HID_i, h(TK_i, …) by
// TK_i. Timestamps enter h as their 4 bytes, messages as their encodings.
//
// XOR: a mask for an n-byte field is the first n bytes of
// T_1 ‖ T_2 ‖ …, T_c = h(k, label, x…, be32(c)) (HMAC-SM3 in counter
// mode): HID_i uses 18 bytes of T_1, Hb_i all 32 of T_1.
//
// ENC_TK(x): SM4-GCM under the first 16 bytes of h(TK, "enc"), a random
// 12-byte nonce, the field's name ("C_i1", "c_e", …) as associated data;
// the ciphertext is nonce ‖ ciphertext ‖ 16-byte tag (28 bytes over the
// plaintext). DEC failures are the same ErrAuth as MAC failures.
//
// Messages: kind byte first, then the fields in the order above; fixed
// fields raw, ciphertexts with a 2-byte length (C_i1 is fixed: 46
// bytes), timestamps 4 bytes. Plaintexts (M_i, m_i, m_j, the delivery,
// the notice) use the same writer with their own kind bytes. Over HTTP
// every message travels as its binary encoding, base64 in a JSON object
// (package einvoicehttp). Sizes in bytes (TestMessageSizes measures them
// for a two-item order "JD-0001" made out to "张三": 207, 77, 249, 1650,
// 49, 99):
//
//	1 Request         179 + |M_i|        M_i = 15 + |order no| + |name| + |tax ID|
//	2 VerifyRequest    67 + |m_i|        m_i = 3 + |order no|
//	3 VerifyResponse   67 + |m_j|        m_j = 24 + |order no| + |seller name| + Σ(28 + |item| + |unit|)
//	4 InvoiceResponse 150 + |M_e|        M_e = the signed invoice's binary export (invoice.Signed.
//	                                     MarshalBinary: canonical encoding, signature, certificate
//	                                     chain; ≈ 1.5 KB, most of it the two certificates)
//	5 Confirm          49
//	6 Notice           67 + 5 + |order no| + 20
//
// # Replay, retries and crashes
//
// Every timestamp must be within Window (default ±120 s) of the
// receiver's clock. The system records S_i, and the seller S_e and S_n,
// in a durable replay cache kept past the window and pruned after it; a
// MAC seen twice is ErrReplay. The system's record of S_i is in the same
// transaction as the invoice it issues, the session and the pending
// identity (group-committed with other sessions: sqldb.Batcher), and
// that commit precedes message 4. An order has at most one invoice
// (unique in the store); a new request for it from the same buyer (new
// t_i, new S_i) gets the same invoice again in a fresh message 4 without
// asking the seller, so a lost message 4 never costs the buyer the
// invoice, and no second invoice is ever made. A confirmation is
// idempotent: the first marks the invoice confirmed and triggers the
// notice; a repeat changes nothing. Notices not yet acknowledged by the
// seller are resent (System.ResendNotices) with a fresh t_n; the seller
// accepts a second notice only if it names the same invoice. So the
// system records the seller's acknowledgement with the next group commit
// without waiting for it (Store.MarkNotified): one a crash loses only
// means one more notice.
//
// # Storage
//
// A session costs the system one commit for message 4 (S_i, the
// identity move, the invoice, the session) and one for message 5 (R_i
// checked in it, the invoice confirmed), and the seller one for message
// 2 (S_e and the order read) and one for message 6; the seller's
// acknowledgement of message 6 rides along with the next commit. Each
// commit is shared by every session in flight (sqldb.Batcher), so what
// it costs is the pages it writes, and the store is laid out so that a
// session writes few and shares most:
//
//   - An invoice is stored as its canonical encoding and signature
//     (≈ 0.4 KB, invoice.Signed.Parts); its signer's certificate chain is
//     stored once, by SM3 hash (einv_chains), and parsed once per store.
//     What a reader gets (invoice.FromParts) is the signed invoice as
//     issued: the same JSON, and it verifies offline. Invoices stored by
//     schema 1 as JSON stay as they are and read back the same.
//   - Keys grow with time, so inserts land on the newest pages of each
//     B-tree instead of one random page per index: the replay cache is
//     keyed by (message timestamp, scope, MAC) — a replay has the same
//     timestamp, since the MAC covers it — and pruned as a prefix;
//     invoice numbers and session handles begin with the time (above).
//   - Only confirmed, unacknowledged invoices are indexed by state.
//   - The request reads the buyer and the order's invoice in one SELECT,
//     and the issuance updates the buyer's record only if it is still the
//     one checked (else it reads it again); sellers and chains are read
//     from memory (a seller re-registered through another process on the
//     same PostgreSQL database is reached at its old endpoint for at most
//     2 s).
//
// # Errors
//
// Every failure is a sentinel of errors.go, wrapped with detail; it ends
// the session and issues nothing. MAC and decryption failures are the one
// vague ErrAuth. MACs are compared in constant time.
//
// # Departures from the paper, and why
//
//   - Identity refresh. The paper's HID_i is static (its Tamarin model
//     fixes it at setup), so every request of a buyer carries the same
//     HID_i and Hb_i and all its sessions link. We add a random salt ρ:
//     HID_i = eID_i ⊕ h(b_i, Ke, ρ), sent with the request and covered by
//     S_i; each message 4 carries a fresh (ρ', HID', Hb') under TK_i. The
//     system keeps, per buyer, the tag of the current identity and of the
//     identities handed out since (at most MaxPending = 4; the design
//     note said one, but two sessions in flight at once would then lock
//     the buyer out whenever the app kept the identity the system had
//     overwritten): a request with a pending one promotes it and retires
//     the old current and every other pending one; a request with the
//     current one is still accepted (a lost message 4 must not lock the
//     buyer out; the retry then links to the lost attempt); anything else
//     is refused (BuyerRecord.Refresh).
//   - Registration. The paper protects registration by ECDH with the
//     system's key; we encrypt to the system's SM2 key (GB/T 32918.4,
//     gmsm), equivalent, and answer under a one-time key k_r the app put
//     in the request, bound to the request by AEAD associated data. The
//     paper has the system check the ID with the Ministry of Public
//     Security; we check the ID number's form and check character only
//     (no such service here). Re-registering an eID replaces its identity.
//   - Authenticated encryption. The paper's ENC is unspecified; we use
//     SM4-GCM with separate encryption keys derived from TK, and field
//     names as associated data, so a ciphertext cannot move to another
//     field.
//   - Labels in h. Every h input starts with a label naming its use,
//     so no two computations under one key can collide.
//   - Binding. S_j also covers S_e (a seller's answer belongs to one
//     request); s_e covers sid; R_i covers s_e (the paper's R_i does not
//     depend on message 4 at all, so it proved no receipt). Message 4
//     and 5 carry sid, a handle of the session (HTTP needs one; it is
//     fresh each session and links nothing but messages 4 and 5). Its
//     first 6 bytes are the time of message 4 in milliseconds, which an
//     eavesdropper sees anyway; so handles sort by time (see Storage).
//   - Message 6 is not in the paper's model (only named in its text); we
//     define it as above under a fresh TK_n = h(K_j, t_n), so it can be
//     resent after a crash.
//   - What the system stores: keyed tags h(Ke, "tag", …) of eID_i, of
//     identities and of sID_j, never the identifiers (the issued invoices
//     do name the parties: they are the tax record).
//   - Replay cache and timestamp window, durable, group-committed: the
//     paper has timestamps only.
//   - Invoice: a real document (package einvoice/invoice) signed with the
//     system's SM2 key under a certificate; the paper's M_e is opaque.
//
// What an eavesdropper still sees: sizes of messages (order numbers and
// names are not padded) and which seller's server the system calls (the
// network address of message 2 and 6).
package einvoice
