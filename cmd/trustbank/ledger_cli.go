package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"time"

	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
)

// runLedger is an account holder's side of the evidence-chain ledger, and
// the operator's and auditor's commands:
//
//	ledger init     open an account (operator token) and keep its key and template
//	ledger request  the payee's collection notice (step 1)
//	ledger pay      the payer answers a notice with money and its template (a payment, step 2)
//	ledger submit   the payee verifies the payment and submits it (step 3) → settlement notice (QR3)
//	ledger notice   fetch a settlement (QR3) or balance (QR4, decrypted) notice, as a party of the entry
//	ledger receipt  the payee's receipt (QR5) for a settled money
//	ledger check    walk the book's evidence chains (operator); --deep re-verifies every entry
//	ledger close    deep check, then a signed closing checkpoint if the book is whole (operator)
//	ledger recover  restore lost entries from the hot backup (operator)
//	ledger sync     check that the bank's log extends the last checkpoint you saw
//	ledger audit    check that the bank's log extends a saved checkpoint
//	ledger witness  cosign the bank's checkpoints that extend the last one cosigned
//	ledger qr       encode a message as a QR code PNG, or decode one
//
// Every holder's command that talks to the bank (submit, notice, sync)
// fetches the bank's latest checkpoint — through the witness, cosigned,
// if the holder asked for one at init — and requires a consistency proof
// from the last checkpoint it saw, kept in its state file; a rollback or
// fork is reported as such (ledger.ErrRollback, ledger.ErrFork).
func runLedger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommands(ctx, "ledger", args, stdout, stderr, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"init": ledgerInit, "request": ledgerRequest, "pay": ledgerPay, "submit": ledgerSubmit, "notice": ledgerNotice,
		"receipt": ledgerReceipt, "check": ledgerCheck, "recover": ledgerRecover, "audit": ledgerAudit, "qr": ledgerQR,
		"sync": ledgerSync, "witness": ledgerWitness, "close": ledgerClose,
	})
}

// ledgerFile is an account holder's state: the key, the template, the
// pinned bank key, and the holder's own book of what it sent and received.
type ledgerFile struct {
	Server   string `json:"server"`
	Name     string `json:"name"`
	Key      []byte `json:"key"` // SM2 private key, or the SM9 key the bank issued
	Template []byte `json:"template"`
	Bank     string `json:"bank"`
	Scheme   string `json:"scheme"`   // the bank's: sm2 or sm9
	BankKey  []byte `json:"bank_key"` // SM2 key or SM9 master public key, pinned
	LastTime int64  `json:"last_money_time"`
	// Checkpoint: the bank's latest checkpoint (a signed note) this holder
	// accepted; absent before the first.
	Checkpoint string `json:"checkpoint,omitempty"`
	// Witness and WitnessKey: where to get the latest checkpoint
	// cosigned, and the witness's vkey; empty, no witness is required.
	Witness    string `json:"witness,omitempty"`
	WitnessKey string `json:"witness_key,omitempty"`
	// Book: every message of this account's transactions, as sent or
	// received, each record chained to the one before; Head is the digest
	// of the last (ledger_book.go).
	Book []ledgerRecord `json:"book"`
	Head []byte         `json:"head,omitempty"`
}

type ledgerHolder struct {
	f      ledgerFile
	path   string
	acct   *ledger.Account
	bank   ledger.Verifier
	client *ledgerhttp.Client
	view   *logView
}

func openHolder(path string) (*ledgerHolder, error) {
	h := &ledgerHolder{path: path}
	if err := loadJSON(path, &h.f); err != nil {
		return nil, fmt.Errorf("ledger state %s: %w", path, err)
	}
	if err := h.f.verifyBook(); err != nil {
		return nil, fmt.Errorf("ledger state %s: %w", path, err)
	}
	scheme, err := ledger.ParseScheme(h.f.Scheme)
	if err != nil {
		return nil, err
	}
	var s ledger.Signer
	if scheme == ledger.SM9 {
		s, err = ledger.ParseSM9Signer(h.f.Key, h.f.BankKey)
	} else {
		s, err = ledger.ParseSM2Signer(h.f.Key)
	}
	if err != nil {
		return nil, err
	}
	var t ledger.Template
	if err := t.UnmarshalBinary(h.f.Template); err != nil {
		return nil, err
	}
	if h.bank, err = ledger.BankVerifier(scheme, h.f.Bank, h.f.BankKey); err != nil {
		return nil, err
	}
	h.acct = ledger.NewAccount(&t, s)
	h.acct.SetLastTime(h.f.LastTime)
	h.client = &ledgerhttp.Client{Base: h.f.Server, Signer: s} // notices are for their parties: requests signed
	if h.view, err = newLogView(h.client, scheme, h.f.Bank, h.f.BankKey, h.f.Witness, h.f.WitnessKey); err != nil {
		return nil, err
	}
	return h, nil
}

// sync accepts the bank's latest checkpoint if it extends the one this
// holder saw last and every checkpoint of cps (from notices) is
// consistent with it; the caller saves the state.
func (h *ledgerHolder) sync(ctx context.Context, cps ...*ledger.Checkpoint) (*ledger.Checkpoint, error) {
	var seen *ledger.Checkpoint
	if h.f.Checkpoint != "" {
		var err error
		if seen, err = h.view.openSaved(h.f.Checkpoint); err != nil {
			return nil, fmt.Errorf("ledger state %s: %w", h.path, err)
		}
	}
	latest, msg, err := h.view.check(ctx, seen, cps...)
	if err != nil {
		return nil, fmt.Errorf("the bank's log, checked against what %s saw: %w", h.f.Name, err)
	}
	h.f.Checkpoint = string(msg)
	return latest, nil
}

// record adds a message to the holder's book and saves the state.
func (h *ledgerHolder) record(kind string, m interface{ MarshalBinary() ([]byte, error) }) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	h.f.appendRecord(kind, b)
	h.f.LastTime = h.acct.LastTime()
	return saveJSON(h.path, h.f)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// messageArg decodes the base64 message of flag --name into m.
func messageArg(name, v string, m interface{ UnmarshalBinary([]byte) error }) error {
	raw, err := base64Arg(name, v)
	if err != nil {
		return err
	}
	return m.UnmarshalBinary(raw)
}

// moneyArg decodes the base64 money of flag --name: a payment's, or bare.
func moneyArg(name, v string) (*ledger.Money, error) {
	raw, err := base64Arg(name, v)
	if err != nil {
		return nil, err
	}
	msg, err := ledger.DecodeQRMessage(raw)
	if err != nil {
		return nil, err
	}
	switch m := msg.(type) {
	case *ledger.Payment:
		return &m.Money, nil
	case *ledger.Money:
		return m, nil
	}
	return nil, fmt.Errorf("%w: --%s holds a %T, not money", errUsage, name, msg)
}

func ledgerInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger init", stderr)
	state := fs.String("state", "ledger.json", "account state file (created)")
	server := fs.String("server", "http://127.0.0.1:8080", "trustbank server")
	name := fs.String("name", "", "account name")
	opening := fs.Uint64("opening", 0, "cash paid in at the counter, in minor units")
	token := fs.String("admin-token", os.Getenv("TRUSTBANK_ADMIN_TOKEN"), "the bank operator's admin token (opening an account is an operator step)")
	witness := fs.String("witness", "", "a witness (URL) whose cosignature every checkpoint you accept must carry")
	witnessKey := fs.String("witness-key", "", "that witness's key (vkey, printed by `ledger witness`)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("%w: --name is required", errUsage)
	}
	if err := witnessKeyFlag(*witnessKey); err != nil {
		return err
	}
	if (*witness == "") != (*witnessKey == "") {
		return fmt.Errorf("%w: --witness and --witness-key go together", errUsage)
	}
	if _, err := os.Stat(*state); err == nil {
		return fmt.Errorf("%w: %s exists; it holds a key: not overwriting it", errUsage, *state)
	}
	c := &ledgerhttp.Client{Base: *server, AdminToken: *token}
	bank, info, err := c.Verifier(ctx, nil) // trust on first use; the key is pinned from now on
	if err != nil {
		return err
	}
	f := ledgerFile{Server: *server, Name: *name, Bank: info.Name, Scheme: info.Scheme, BankKey: info.PublicKey,
		Witness: *witness, WitnessKey: *witnessKey}
	var t *ledger.Template
	if info.Scheme == ledger.SM9.String() {
		// The bank (the key generation centre) issues the key.
		var key *ledger.SM9Signer
		if t, key, err = c.OpenSM9Account(ctx, *name, *opening); err != nil {
			return err
		}
		f.Key = key.Bytes()
	} else {
		key, err := ledger.GenerateSM2()
		if err != nil {
			return err
		}
		// The key is saved before the bank knows it, so a crash cannot leave
		// an account whose key is lost.
		f.Key = key.Bytes()
		if err := saveJSON(*state, f); err != nil {
			return err
		}
		if t, err = c.OpenAccount(ctx, *name, key.PublicKey(), *opening); err != nil {
			os.Remove(*state)
			return err
		}
	}
	if err := t.Verify(bank); err != nil {
		return err
	}
	f.Template, _ = t.MarshalBinary()
	if err := saveJSON(*state, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %s opened at %s (%s, %s); template (QR1) %d bytes\n", *name, info.Name, info.Currency, info.Scheme, len(f.Template))
	return nil
}

func ledgerRequest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger request", stderr)
	state := fs.String("state", "ledger.json", "the payee's state file")
	amount := fs.Uint64("amount", 0, "amount to collect, in minor units")
	purpose := fs.String("purpose", "", "what it is for")
	qr := fs.String("qr", "", "also write the notice as a QR code PNG here")
	if err := parse(fs, args); err != nil {
		return err
	}
	h, err := openHolder(*state)
	if err != nil {
		return err
	}
	n, err := h.acct.Collect(*amount, *purpose, time.Now())
	if err != nil {
		return err
	}
	if err := h.record("collection", n); err != nil {
		return err
	}
	return printMessage(stdout, n, *qr)
}

// printMessage prints a message's base64 encoding, and writes its QR code.
func printMessage(stdout io.Writer, m interface{ MarshalBinary() ([]byte, error) }, qrPath string) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	if qrPath != "" {
		img, err := ledger.QRPNG(b, 0)
		if err != nil {
			return err
		}
		if err := os.WriteFile(qrPath, img, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, b64(b))
	return nil
}

func ledgerPay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger pay", stderr)
	state := fs.String("state", "ledger.json", "the payer's state file")
	notice := fs.String("notice", "", "the payee's collection notice (base64)")
	qr := fs.String("qr", "", "also write the money as a QR code PNG here")
	if err := parse(fs, args); err != nil {
		return err
	}
	var n ledger.CollectionNotice
	if err := messageArg("notice", *notice, &n); err != nil {
		return err
	}
	h, err := openHolder(*state)
	if err != nil {
		return err
	}
	m, err := h.acct.Pay(&n, h.bank, h.master(), time.Now())
	if err != nil {
		return err
	}
	if err := h.record("money", m); err != nil {
		return err
	}
	// The payee gets the money with the bank's evidence for it: the
	// payer's template (QR1).
	return printMessage(stdout, h.acct.Hand(m), *qr)
}

// master is the bank's SM9 master public key, or nil in an SM2 deployment.
func (h *ledgerHolder) master() []byte {
	if h.f.Scheme == ledger.SM9.String() {
		return h.f.BankKey
	}
	return nil
}

func ledgerSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger submit", stderr)
	state := fs.String("state", "ledger.json", "the payee's state file")
	money := fs.String("money", "", "the payer's payment: money with the payer's template, as ledger pay prints it (base64)")
	qr := fs.String("qr", "", "also write the settlement notice as a QR code PNG here")
	if err := parse(fs, args); err != nil {
		return err
	}
	var p ledger.Payment
	if err := messageArg("money", *money, &p); err != nil {
		return fmt.Errorf("%w (money is accepted only with the payer's template, which the bank signed)", err)
	}
	h, err := openHolder(*state)
	if err != nil {
		return err
	}
	// Money that does not verify against the payer's template, signed by
	// the bank, never reaches the bank.
	sub, err := h.acct.Accept(&p, h.bank, h.master())
	if err != nil {
		return err
	}
	m := p.Money
	if err := h.record("payment", &p); err != nil {
		return err
	}
	st, err := h.client.Submit(ctx, sub)
	if err != nil {
		return err
	}
	if err := st.Verify(h.bank); err != nil {
		return fmt.Errorf("the bank's settlement notice does not verify: %w", err)
	}
	if err := st.Entry.Matches(&m); err != nil {
		return err
	}
	if _, err := h.sync(ctx, &st.Checkpoint); err != nil {
		return err
	}
	if err := h.record("settlement", st); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "booked as entry %d; checkpoint of %d entries; inclusion proof verified\n", st.Entry.Index, st.Checkpoint.Size)
	return printMessage(stdout, st, *qr)
}

func ledgerNotice(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger notice", stderr)
	state := fs.String("state", "ledger.json", "your state file")
	index := fs.Uint64("index", 0, "the entry")
	balance := fs.Bool("balance", false, "the payer's balance notice (QR4), decrypted with your key")
	if err := parse(fs, args); err != nil {
		return err
	}
	h, err := openHolder(*state)
	if err != nil {
		return err
	}
	get, kind := h.client.Notice, "settlement"
	if _, isSM2 := h.acct.Signer.(*ledger.SM2Signer); *balance && !isSM2 {
		return fmt.Errorf("%w: this is an %s account", ledger.ErrNoSM2Key, h.f.Scheme)
	}
	if *balance {
		get, kind = h.client.BalanceNotice, "balance"
	}
	n, err := get(ctx, *index)
	if err != nil {
		return err
	}
	if err := n.Verify(h.bank); err != nil {
		return err
	}
	if _, err := h.sync(ctx, &n.Checkpoint); err != nil {
		return err
	}
	if *balance {
		v, err := ledger.OpenBalance(n, h.acct.Signer.(*ledger.SM2Signer).Key())
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "entry %d: %s paid %d to %s; your balance after it: %d\n", n.Entry.Index, n.Entry.Payer, n.Entry.Amount, n.Entry.Payee, v)
	} else {
		fmt.Fprintf(stderr, "entry %d: %s paid %d to %s (verified against checkpoint %d)\n", n.Entry.Index, n.Entry.Payer, n.Entry.Amount, n.Entry.Payee, n.Checkpoint.Size)
	}
	if err := h.record(kind, n); err != nil {
		return err
	}
	return printMessage(stdout, n, "")
}

func ledgerReceipt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger receipt", stderr)
	state := fs.String("state", "ledger.json", "the payee's state file")
	money := fs.String("money", "", "the payment or money (base64)")
	notice := fs.String("notice", "", "the bank's settlement notice (base64)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var n ledger.Settlement
	m, err := moneyArg("money", *money)
	if err != nil {
		return err
	}
	if err := messageArg("notice", *notice, &n); err != nil {
		return err
	}
	h, err := openHolder(*state)
	if err != nil {
		return err
	}
	if err := n.Verify(h.bank); err != nil {
		return err
	}
	if err := n.Entry.Matches(m); err != nil {
		return err
	}
	rc, err := h.acct.Receipt(m, &n, time.Now())
	if err != nil {
		return err
	}
	if err := h.record("receipt", rc); err != nil {
		return err
	}
	return printMessage(stdout, rc, "")
}

func operatorClient(fs interface {
	String(name, value, usage string) *string
}) (server, token *string) {
	return fs.String("server", "http://127.0.0.1:8080", "trustbank server"),
		fs.String("admin-token", os.Getenv("TRUSTBANK_ADMIN_TOKEN"), "the bank operator's admin token")
}

func ledgerCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger check", stderr)
	server, token := operatorClient(fs)
	deep := fs.Bool("deep", false, "re-read every entry: re-hash, recompute lsum and the XOR chain, re-verify every signature (slow: 7 SM2 verifies an entry)")
	wait := fs.Duration("timeout", 2*time.Hour, "with --deep: how long to wait for the answer")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *deep {
		return ledgerDeepCheck(ctx, longClient(*server, *token, *wait), stdout)
	}
	rep, err := (&ledgerhttp.Client{Base: *server, AdminToken: *token}).Check(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep.Report)
	if rep.Split != "" {
		return fmt.Errorf("book is not the one the bank signed: %s", rep.Split)
	}
	if !rep.OK {
		return fmt.Errorf("book is broken: missing entries %v", rep.Missing)
	}
	return nil
}

func ledgerRecover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger recover", stderr)
	server, token := operatorClient(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	rec, err := (&ledgerhttp.Client{Base: *server, AdminToken: *token}).Recover(ctx)
	if err != nil {
		return err
	}
	for _, r := range rec.Recovered {
		how := "from the hot backup (the book alone could not confirm purpose and time)"
		if r.Confirmed {
			how = "from the hot backup; payer, payee, amount, purpose and time were first derived from the book and lsum"
		}
		fmt.Fprintf(stdout, "entry %d restored: %s paid %d to %s for %q — %s\n", r.Index, r.Payer, r.Amount, r.Payee, r.Purpose, how)
	}
	fmt.Fprintln(stdout, rec.Check.Report)
	return nil
}

func ledgerAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger audit", stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "trustbank server")
	saved := fs.String("checkpoint", "", "file of the auditor's last checkpoint; created when it does not exist, updated after each audit that passes")
	bankKey := fs.String("bank-key", "", "the bank's public key (base64) to pin; default: trust on first use and store it beside the checkpoint")
	witness := fs.String("witness", "", "require checkpoints cosigned by this witness (URL); stored")
	witnessKey := fs.String("witness-key", "", "that witness's key (vkey); stored")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *saved == "" {
		return fmt.Errorf("%w: --checkpoint is required", errUsage)
	}
	if err := witnessKeyFlag(*witnessKey); err != nil {
		return err
	}
	prev, err := loadAuditFile(*saved)
	if err != nil {
		return err
	}
	st := auditFile{}
	if prev != nil {
		st = *prev
	}
	if *witness != "" || *witnessKey != "" {
		st.Witness, st.WitnessKey = *witness, *witnessKey
	}
	if *bankKey != "" {
		if st.BankKey, err = base64Arg("bank-key", *bankKey); err != nil {
			return err
		}
	}
	c := &ledgerhttp.Client{Base: *server}
	_, info, err := c.Verifier(ctx, st.BankKey)
	if err != nil {
		return err
	}
	scheme, err := ledger.ParseScheme(info.Scheme)
	if err != nil {
		return err
	}
	view, err := newLogView(c, scheme, info.Name, info.PublicKey, st.Witness, st.WitnessKey)
	if err != nil {
		return err
	}
	var older *ledger.Checkpoint
	if prev != nil {
		if older, err = prev.saved(view); err != nil {
			return fmt.Errorf("audit file %s (not overwritten): %w", *saved, err)
		}
	}
	latest, msg, err := view.check(ctx, older)
	if err != nil {
		return fmt.Errorf("AUDIT FAILED: %w", err)
	}
	if older == nil {
		fmt.Fprintf(stdout, "first audit: checkpoint of %d entries saved\n", latest.Size)
	} else {
		fmt.Fprintf(stdout, "consistent: the log of %d entries extends the audited one of %d\n", latest.Size, older.Size)
	}
	st.BankKey, st.Note, st.Checkpoint = info.PublicKey, string(msg), nil
	return saveJSON(*saved, st)
}

// ledgerSync checks the bank's log against the last checkpoint this holder
// saw, and keeps the new one.
func ledgerSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger sync", stderr)
	state := fs.String("state", "ledger.json", "your state file")
	if err := parse(fs, args); err != nil {
		return err
	}
	h, err := openHolder(*state)
	if err != nil {
		return err
	}
	before := h.f.Checkpoint
	latest, err := h.sync(ctx)
	if err != nil {
		return err
	}
	if before == "" {
		fmt.Fprintf(stdout, "first checkpoint: %d entries\n", latest.Size)
	} else {
		fmt.Fprintf(stdout, "consistent: the log of %d entries extends the one you saw\n", latest.Size)
	}
	return saveJSON(h.path, h.f)
}

func ledgerQR(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger qr", stderr)
	encode := fs.String("encode", "", "a message (base64) to render")
	decode := fs.String("decode", "", "a QR code PNG to read")
	out := fs.String("out", "message.png", "with --encode: the PNG to write")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *encode != "":
		b, err := base64Arg("encode", *encode)
		if err != nil {
			return err
		}
		if _, err := ledger.DecodeQRMessage(b); err != nil {
			return err
		}
		img, err := ledger.QRPNG(b, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%d bytes → %s\n", len(b), *out)
		return os.WriteFile(*out, img, 0o644)
	case *decode != "":
		img, err := os.ReadFile(*decode)
		if err != nil {
			return err
		}
		b, err := ledger.QRDecodePNG(img)
		if err != nil {
			return err
		}
		m, err := ledger.DecodeQRMessage(b)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%T, %d bytes\n", m, len(b))
		fmt.Fprintln(stdout, b64(b))
		return nil
	}
	return fmt.Errorf("%w: ledger qr needs --encode B64 or --decode FILE", errUsage)
}
