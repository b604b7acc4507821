// Package ledger is the evidence-chain bank book with digital account money
// of Nan Xianghao, "基于证据链的银行记账方法" (a bank bookkeeping method
// based on an evidence chain), 金融电子化 — seed 001 of trustbank, distilled
// in docs/design.md §2.
//
// # Roles and messages
//
// A Bank keeps accounts and one book. It issues each account a Template
// (QR1): bank name and time, currency, account name and the account's public
// key, each field signed by the bank. The payee starts a payment with a
// CollectionNotice (step 1); the payer fills the template into Money (QR2,
// step 2): account and time, amount, purpose, payee account and the linear
// sum lsum, each field signed by the payer, and hands it over with its
// template as a Payment — the bank's evidence for the key that signed the
// money. The payee verifies both (Account.Accept: the template against the
// bank, the money against the template; money it cannot verify never
// reaches the bank) and submits the money, signing the submission (step
// 3); the bank verifies every field, books one Entry per transaction (step 4), and answers with a
// SettlementNotice (QR3) to the payee (step 5) and a BalanceNotice (QR4,
// balance encrypted to the payer) to the payer (step 6); the payee gives the
// payer a Receipt (QR5). Each message names the digest of the one before it,
// so the bank's, the payer's and the payee's books link into one chain and
// [Trace] names the step where a chain is broken. (The CLI also chains the
// records of each holder's own book, so an edited record is found.)
//
// An entry's notices are its parties' business: the bank serves them to
// the entry's payer and payee, in requests signed with their account keys
// ([Bank.Parties]; package ledgerhttp), and to its operator, and refuses
// everyone else alike whether the entry exists or not.
//
//	Payee (Bob)          Payer (Alice)                 Bank                   Hot backup
//	1 CollectionNotice ─▶
//	                     2 Money (QR2), every field
//	  ◀───────────────── signed, payee = Bob; handed over with
//	verify QR1, QR2      Alice's template (QR1) as a Payment
//	3 Submit(Money) ─────────────────────────────────▶ 4 verify, book Entry ─▶ same rows
//	                                                     balance (SM4, sign9)
//	                                                     ecode (XOR, sign8)
//	                                                     SM3 chain, Merkle leaf
//	  ◀─────────── 5 SettlementNotice (QR3) + inclusion proof + checkpoint
//	                     ◀── 6 BalanceNotice (QR4), balance encrypted to Alice
//	  Receipt (QR5) ───▶
//
// # Cryptography
//
// SM2 signatures with SM3 (GB/T 32918, GB/T 32905) from
// github.com/emmansun/gmsm, with the signer's user ID (default
// "1234567812345678", DefaultUID) in Z_A; a verifier must be given the
// same ID (NewSM2Verifier). OpenSSL 3.0 verifies them with "pkeyutl
// -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678" or "dgst
// -sm3 -verify -sigopt distid:1234567812345678" (3.0's dgst has no
// -vfyopt). A deployment may choose SM9
// identity-based signatures (GB/T 38635) instead: the bank is the key
// generation centre and an account's identity is its name. The paper uses
// CPK, which is proprietary and has known collusion attacks; SM9 is the
// standardised identity-based replacement (docs/design.md §2).
//
// # Checkpoints, witnesses and clients that cannot be lied to
//
// A checkpoint is a c2sp.org/tlog-checkpoint signed note
// (c2sp.org/signed-note, read and written with golang.org/x/mod/sumdb/note):
//
//	bank-a/ledger                  origin: Origin(bank), the bank and its log
//	7                              tree size
//	<base64 SM3 root>              RFC 6962 root with SM3
//	time-ms 1764480000000          extension line: the bank's clock
//
//	— bank-a/ledger <base64(key ID ‖ signature)>
//	— witness.example/w1 <base64(key ID ‖ timestamp ‖ Ed25519 signature)>
//
// The bank's note signature is SM2 with SM3 over the note text (e =
// SM3(Z_A ‖ text), default user ID, r ‖ s, 64 bytes), or for an SM9 bank
// SM9 (h ‖ S, 97 bytes) under the bank's identity. signed-note assigns
// these no type byte, so they use 0xff followed by a name, as that
// specification recommends: key ID = SHA-256(key name ‖ "\n" ‖ 0xff ‖
// "trustbank/sm2-sm3" ‖ 65-byte uncompressed SM2 key)[:4] (SM9: 0xff ‖
// "trustbank/sm9" ‖ master public key); the key name is the origin. The
// same signature, without the key ID, is the Sig of the binary Checkpoint
// (kind KindCheckpointNote) that notices carry; checkpoints written before
// (KindCheckpoint, signed over their binary body) still verify, have no
// note form, and the latest is re-signed as a note when the bank opens.
//
// A Witness cosigns per c2sp.org/tlog-cosignature (Ed25519, type 0x04,
// "cosignature/v1\ntime T\n" ‖ note text, timestamp ‖ signature; vkey
// name+keyID+base64(0x04 ‖ key)) a checkpoint only if it extends the last
// one it cosigned (CheckView with the bank's consistency proof). Clients —
// holders, auditors, witnesses — keep the last checkpoint they accepted and
// require of each new one CheckView: a smaller size is ErrRollback, one
// size with two roots or a failing proof ErrFork, each a *SplitViewError
// holding both bank-signed checkpoints as evidence; never ErrMalformed. A
// client given a witness key accepts only notes with its cosignature
// (ErrNotCosigned). Only a state file that does not exist is a first use.
//
// The bank itself keeps its latest signed checkpoint outside its database
// (Config.HeadFile). At open a book shorter than that head (a database
// restored from an older copy, or its last rows deleted) is a rollback, a
// different root at the head's size a fork: the bank opens but never books
// (booking would sign a second entry at an index holders already have),
// Check reports it ("rolled back") and Recover does not clear it; the
// operator restores the newer database. The head is written after each
// commit, so it may lag the book after a crash, never lead it.
//
// # Checking the book: fast, deep, and the close
//
// Check (the fast check) walks the chain index — lsum, ecode, prev and
// hash of every entry, packed 64 to a row — and an index-only scan of the
// entries: it finds lost entries and broken links in well under a second
// for a million entries, but it trusts the index. It never reads an
// entry, so an entry changed in the database (entry 4's amount from 50 to
// 5000) passes it.
//
// CheckDeep (and CheckStoreDeep, for an auditor's copy) reads every
// stored entry of the latest checkpoint and its money and checks each on
// its own: the entry decodes and sits at its own index; the row's payer,
// payee and time columns are the entry's; the entry books the stored
// money (digest, payer, payee, amount, lsum); lsum is the linear sum of
// the money's fields; the payer's five field signatures, sign9 (balance
// ciphertexts) and sign8 (chain code) verify; the stored Merkle leaf and
// the chain-index record are those of the stored bytes. Then each entry
// against the one before: prev = SM3(stored entry n−1), ecode_n =
// ecode_{n−1} ⊕ lsum_n; and the Merkle root of all the stored entries
// against the checkpoint's signed root. Every failure is a Fault (index,
// Failure, detail) in a DeepReport, so one changed entry is named with
// what changed: FailMoney for the amount, FailPayerSig and FailLSum for a
// purpose or payee, FailSign9 for a balance ciphertext, FailSign8 and
// FailEcode for a chain code, FailIndex for swapped rows; a changed entry
// also breaks the hash chain at n+1 and the checkpoint's root. Workers
// (GOMAXPROCS) check contiguous index ranges, reading 512 entries per
// query, and the ranges' seams and Merkle subtrees are joined after: the
// memory is bounded by workers × batch. Its cost is seven SM2 verifications
// an entry (minutes for a million entries on two cores, see README).
//
// CloseDay is the paper's check before closing: a deep check and, only if
// every entry is whole, a Closing — the bank's signature over the size and
// root it checked, under its own domain tag — recorded in ledger_closings.
// A failed fast check, deep check or close stops booking (ErrBookBroken)
// until Recover. `trustbank serve` runs the fast check every
// --check-every and the close daily at --close-at (UTC).
//
// # Departures from the paper, and why
//
//   - Field signatures are bound to the message. The paper signs each field
//     on its own; then fields of two moneys of one payer can be spliced into
//     a third that every signature accepts. Here each field signature covers
//     a domain tag, the field's name, the money's identity (payer, time) and
//     the field, so a field still proves itself alone but cannot be moved.
//   - lsum is defined (the paper does not): lsum = Σ SM3(tag_i ‖ field_i)
//     mod 2^256 over the fields account, time, amount, purpose, payee. It is
//     linear in per-field digests, so when a record is lost and its lsum is
//     recovered from the neighbouring chain codes, each candidate field can be
//     checked by subtraction (recovery enumerates purposes and times against
//     it) — the use the paper has in mind for "linear sum".
//   - The XOR evidence chain ecode_n = ecode_{n−1} ⊕ lsum_n finds the
//     position of one lost record, as the paper shows, but it is blind to
//     order (swapping two records keeps every later code) and to a pair of
//     records with equal lsum removed together. We keep it and add an SM3
//     hash chain over the full signed entries and an RFC 6962 Merkle log
//     (SM3 in place of SHA-256) with bank-signed checkpoints; notices carry
//     inclusion proofs and auditors check consistency proofs between
//     checkpoints. TestXORChainIsOrderBlind shows what each catches.
//   - Balances: the paper encrypts each balance under key = rG (random r)
//     and encrypts that key to the bank (β). We derive each balance's SM4
//     key from a batch key with the SM3 KDF (key_i = KDF(K_b ‖ entry ‖
//     account)) and keep β_b = SM2-Enc(bank, K_b) once per group-commit
//     batch: each balance still has its own key, which the bank can disclose
//     alone, but one SM2 encryption serves a whole batch instead of two per
//     transaction. sign9 covers the ciphertexts, not the plaintext balance
//     (a signature on a small plaintext lets anyone test guesses). In the
//     balance notice the balance is SM2-encrypted to the payer.
//   - One entry per transaction in one book for the bank, holding the
//     payer's and the payee's new balances; the per-account books are views
//     of it. Transfers are between accounts of one bank.
//   - In the paper the money is the template filled in, so it carries the
//     bank's signed fields itself. Here Money holds only the payer's
//     fields (the bank books it and its digest as they are), and the payer
//     hands it over beside its template, as a Payment; the payee checks the
//     same evidence before submitting.
//   - The submission is signed by the payee: money is worth something only
//     to its designated payee, and only once (the bank refuses a second
//     booking of the same (payer, time)). The moneys booked are a structure
//     of their own, ledger_moneys ((payer, time) → entry index), written in
//     the booking transaction beside the entries; the replay check reads it,
//     never the entry row, so money whose entry row is lost is still
//     refused, and the refusal names the lost index (ErrReplayed, "entry k,
//     which is lost from the book"). Books made before it get it filled from
//     their entries when migrated (a row already lost then is not known
//     until Recover puts it back).
//   - The hot backup is a second database that serves entries by index
//     only. A writer of its own copies each batch to it, in book order,
//     right after the book has made the batch durable, so it lags the book
//     by the batches in its queue (BackupError reports a backup that keeps
//     failing). An answer waits for the book's fsync, not the backup's: the
//     book is the durable record, the backup a copy for restoring entries
//     lost from it later. Batches the backup had not taken when the process
//     died are copied from the book when the bank opens, and Recover first
//     waits for the backup to have every committed batch.
//   - Recover vets every missing entry first and then restores them all in
//     one transaction (entry row, chain record, booked-money row): a
//     restore that fails leaves the book exactly as it was, and one whose
//     money the book already holds under another index fails with
//     ErrRestoreConflict (HTTP 409).
//   - The paper leaves amounts unbounded; the book bounds them (package
//     trustbank/internal/money): money above MaxAmount, an opening above
//     MaxBalance (both 2^53 − 1), openings that would take the book past
//     2^62 paid in, and a booking that would take the payee past
//     MaxBalance are refused with ErrAmountRange, and book nothing.
//
// # Booking state, rebuilt from the book
//
// The pipeline keeps in memory what it books on: each account's committed
// balance and its sequenced one (which includes the batch being committed),
// the chain heads, the Merkle range, the next index and batch, and the set
// of moneys this process booked. A batch whose commit fails — a write
// error, or a commit whose answer was lost — leaves the book as it was (or,
// for a lost answer, committed), but the batches sequenced on top of it are
// built on balances the book does not hold. So a failed commit stops
// booking (ErrBookBroken), and booking resumes only after Recover (or a
// restart) has rebuilt all of that state from the book: every account's
// balance is the one after the last entry naming it, or its opening balance
// if none does; the replay set is emptied, so every money is checked in
// the book again; and the book is checked a second time after the balances
// are read, which must add up to the openings, or the bank stays broken.
// TestFaultInjection fails random operations at every stage (signing while
// sequencing, each step of the commit, a lost answer, the backup write,
// the rebuild, Recover's restore) on the real databases while Recover runs
// during live bookings and entry rows are lost; after every run the
// balances add up and match the book's entries, every acknowledged booking
// is in the book exactly once, and the chain checks whole.
package ledger
