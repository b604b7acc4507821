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
//	ledger pay      the payer answers a notice with money (step 2)
//	ledger submit   the payee submits money to the bank (step 3) → settlement notice (QR3)
//	ledger notice   fetch a settlement (QR3) or balance (QR4, decrypted) notice
//	ledger receipt  the payee's receipt (QR5) for a settled money
//	ledger check    walk the book's evidence chains (operator); --deep re-verifies every entry
//	ledger close    deep check, then a signed closing checkpoint if the book is whole (operator)
//	ledger recover  restore lost entries from the hot backup (operator)
//	ledger audit    check that the bank's log extends a saved checkpoint
//	ledger qr       encode a message as a QR code PNG, or decode one
func runLedger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommands(ctx, "ledger", args, stdout, stderr, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"init": ledgerInit, "request": ledgerRequest, "pay": ledgerPay, "submit": ledgerSubmit, "notice": ledgerNotice,
		"receipt": ledgerReceipt, "check": ledgerCheck, "recover": ledgerRecover, "audit": ledgerAudit, "qr": ledgerQR,
		"close": ledgerClose,
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
	// Book: every message of this account's transactions, as sent or received.
	Book []ledgerRecord `json:"book"`
}

type ledgerRecord struct {
	Kind    string `json:"kind"` // collection, money, settlement, balance, receipt
	Message []byte `json:"message"`
	At      int64  `json:"at"`
}

type ledgerHolder struct {
	f      ledgerFile
	path   string
	acct   *ledger.Account
	bank   ledger.Verifier
	client *ledgerhttp.Client
}

func openHolder(path string) (*ledgerHolder, error) {
	h := &ledgerHolder{path: path}
	if err := loadJSON(path, &h.f); err != nil {
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
	h.client = &ledgerhttp.Client{Base: h.f.Server}
	return h, nil
}

// record adds a message to the holder's book and saves the state.
func (h *ledgerHolder) record(kind string, m interface{ MarshalBinary() ([]byte, error) }) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	h.f.Book = append(h.f.Book, ledgerRecord{Kind: kind, Message: b, At: time.Now().UnixMilli()})
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

func ledgerInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger init", stderr)
	state := fs.String("state", "ledger.json", "account state file (created)")
	server := fs.String("server", "http://127.0.0.1:8080", "trustbank server")
	name := fs.String("name", "", "account name")
	opening := fs.Uint64("opening", 0, "cash paid in at the counter, in minor units")
	token := fs.String("admin-token", os.Getenv("TRUSTBANK_ADMIN_TOKEN"), "the bank operator's admin token (opening an account is an operator step)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("%w: --name is required", errUsage)
	}
	if _, err := os.Stat(*state); err == nil {
		return fmt.Errorf("%w: %s exists; it holds a key: not overwriting it", errUsage, *state)
	}
	c := &ledgerhttp.Client{Base: *server, AdminToken: *token}
	bank, info, err := c.Verifier(ctx, nil) // trust on first use; the key is pinned from now on
	if err != nil {
		return err
	}
	f := ledgerFile{Server: *server, Name: *name, Bank: info.Name, Scheme: info.Scheme, BankKey: info.PublicKey}
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
	var master []byte
	if h.f.Scheme == ledger.SM9.String() {
		master = h.f.BankKey
	}
	m, err := h.acct.Pay(&n, h.bank, master, time.Now())
	if err != nil {
		return err
	}
	if err := h.record("money", m); err != nil {
		return err
	}
	return printMessage(stdout, m, *qr)
}

func ledgerSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger submit", stderr)
	state := fs.String("state", "ledger.json", "the payee's state file")
	money := fs.String("money", "", "the payer's money (base64)")
	qr := fs.String("qr", "", "also write the settlement notice as a QR code PNG here")
	if err := parse(fs, args); err != nil {
		return err
	}
	var m ledger.Money
	if err := messageArg("money", *money, &m); err != nil {
		return err
	}
	h, err := openHolder(*state)
	if err != nil {
		return err
	}
	sub, err := h.acct.Submit(&m)
	if err != nil {
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
	money := fs.String("money", "", "the money (base64)")
	notice := fs.String("notice", "", "the bank's settlement notice (base64)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var m ledger.Money
	var n ledger.Settlement
	if err := messageArg("money", *money, &m); err != nil {
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
	if err := n.Entry.Matches(&m); err != nil {
		return err
	}
	rc, err := h.acct.Receipt(&m, &n, time.Now())
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
	saved := fs.String("checkpoint", "", "file of the auditor's last checkpoint (base64); created on first use, updated after each audit")
	bankKey := fs.String("bank-key", "", "the bank's public key (base64) to pin; default: trust on first use and store it beside the checkpoint")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *saved == "" {
		return fmt.Errorf("%w: --checkpoint is required", errUsage)
	}
	c := &ledgerhttp.Client{Base: *server}
	var st struct {
		BankKey    []byte `json:"bank_key"`
		Checkpoint []byte `json:"checkpoint"`
	}
	_ = loadJSON(*saved, &st)
	if *bankKey != "" {
		k, err := base64Arg("bank-key", *bankKey)
		if err != nil {
			return err
		}
		st.BankKey = k
	}
	bank, info, err := c.Verifier(ctx, st.BankKey)
	if err != nil {
		return err
	}
	st.BankKey = info.PublicKey
	var latest *ledger.Checkpoint
	if st.Checkpoint == nil {
		if latest, err = c.Checkpoint(ctx, 0); err != nil {
			return err
		}
		if err := latest.Verify(bank); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "first audit: checkpoint of %d entries saved\n", latest.Size)
	} else {
		var older ledger.Checkpoint
		if err := older.UnmarshalBinary(st.Checkpoint); err != nil {
			return err
		}
		if latest, err = c.Audit(ctx, bank, &older); err != nil {
			return fmt.Errorf("AUDIT FAILED: %w", err)
		}
		fmt.Fprintf(stdout, "consistent: the log of %d entries extends the audited one of %d\n", latest.Size, older.Size)
	}
	st.Checkpoint, _ = latest.MarshalBinary()
	return saveJSON(*saved, st)
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
