package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
)

// The ledger command lines against a running server: accounts opened by
// the operator, the six steps (request, pay, submit, notices, receipt), a
// replay and a thief refused, money through a QR code, and an audit.
func TestLedgerCLI(t *testing.T) {
	sargs := serverArgs(t, dbtest.Target{})
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	dir := t.TempDir()
	alice, bob, carol := filepath.Join(dir, "alice.json"), filepath.Join(dir, "bob.json"), filepath.Join(dir, "carol.json")
	run := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
	if _, _, err := runCLI(t, "ledger", "init", "--state", alice, "--server", base, "--name", "alice", "--opening", "10000"); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
		t.Fatalf("ledger init without the operator's token: %v", err)
	}
	if _, err := os.Stat(alice); err == nil {
		t.Fatal("a refused init left a state file")
	}
	run("ledger", "init", "--state", alice, "--server", base, "--name", "alice", "--opening", "10000", "--admin-token", tok)
	run("ledger", "init", "--state", bob, "--server", base, "--name", "bob", "--admin-token", tok)
	run("ledger", "init", "--state", carol, "--server", base, "--name", "carol", "--admin-token", tok)

	notice := run("ledger", "request", "--state", bob, "--amount", "2500", "--purpose", "bicycle repair")
	qr := filepath.Join(dir, "money.png")
	money := run("ledger", "pay", "--state", alice, "--notice", notice, "--qr", qr)
	// The money travels as a QR code: decoded, it is the same bytes.
	if got := run("ledger", "qr", "--decode", qr); got != money {
		t.Fatal("money changed through its QR code")
	}
	// Carol has a copy; it is worthless to her.
	if _, _, err := runCLI(t, "ledger", "submit", "--state", carol, "--money", money); !errors.Is(err, ledger.ErrNotPayee) {
		t.Fatalf("carol submitting bob's money: %v", err)
	}
	settlement := run("ledger", "submit", "--state", bob, "--money", money)
	if _, _, err := runCLI(t, "ledger", "submit", "--state", bob, "--money", money); !errors.Is(err, ledger.ErrReplayed) {
		t.Fatalf("submitting twice: %v", err)
	}
	_, errOut, err := runCLI(t, "ledger", "notice", "--state", alice, "--index", "0", "--balance")
	if err != nil || !strings.Contains(errOut, "your balance after it: 7500") {
		t.Fatalf("balance notice: %v %s", err, errOut)
	}
	// Entry 0's notices are alice's and bob's: carol's signed request is
	// refused, and so is anyone's unsigned one, for a missing entry alike.
	if _, errOut, err := runCLI(t, "ledger", "notice", "--state", bob, "--index", "0"); err != nil || !strings.Contains(errOut, "entry 0: alice paid 2500 to bob") {
		t.Fatalf("the payee's notice: %v %s", err, errOut)
	}
	if _, _, err := runCLI(t, "ledger", "notice", "--state", carol, "--index", "0"); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
		t.Fatalf("carol reading entry 0's notice: %v", err)
	}
	for _, idx := range []uint64{0, 99} {
		if _, err := (&ledgerhttp.Client{Base: base}).Notice(context.Background(), idx); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
			t.Fatalf("unsigned notice %d: %v", idx, err)
		}
	}
	receipt := run("ledger", "receipt", "--state", bob, "--money", money, "--notice", settlement)
	if m, err := ledger.DecodeQRMessage(mustB64(t, receipt)); err != nil {
		t.Fatal(err)
	} else if rc := m.(*ledger.Receipt); rc.Amount != 2500 || rc.Payer != "alice" {
		t.Fatalf("receipt %+v", rc)
	}
	cp := filepath.Join(dir, "auditor.json")
	if out := run("ledger", "audit", "--server", base, "--checkpoint", cp); !strings.Contains(out, "first audit") {
		t.Fatalf("audit: %s", out)
	}
	notice = run("ledger", "request", "--state", carol, "--amount", "100", "--purpose", "tea")
	run("ledger", "submit", "--state", carol, "--money", run("ledger", "pay", "--state", bob, "--notice", notice))
	if out := run("ledger", "audit", "--server", base, "--checkpoint", cp); !strings.Contains(out, "log of 2 entries extends the audited one of 1") {
		t.Fatalf("audit: %s", out)
	}
	if out := run("ledger", "check", "--server", base, "--admin-token", tok); !strings.Contains(out, "2 entries, evidence chain whole") {
		t.Fatalf("check: %s", out)
	}
	if out := run("ledger", "check", "--deep", "--server", base, "--admin-token", tok); !strings.Contains(out, "2 entries deep-checked in") {
		t.Fatalf("deep check: %s", out)
	}
	if out := run("ledger", "close", "--server", base, "--admin-token", tok); !strings.Contains(out, "closed at 2 entries") {
		t.Fatalf("close: %s", out)
	}
	// Entry 0 lost from the book: recover restores it from the hot backup
	// and prints the restored money's purpose, which the book alone could
	// not find (alice paid nothing else for it).
	deleteEntry(t, sargs, 0)
	if out := run("ledger", "recover", "--server", base, "--admin-token", tok); !strings.Contains(out, `entry 0 restored: alice paid 2500 to bob for "bicycle repair" — from the hot backup (the book alone`) {
		t.Fatalf("recover: %s", out)
	}
}

// deleteEntry removes entry idx from the book of a running SQLite server
// (args from serverArgs), as a lost record would.
func deleteEntry(t *testing.T, args []string, idx uint64) {
	t.Helper()
	db, err := sqldb.OpenSQLite(filepath.Join(args[1], "trustbank.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := ledger.NewStore(context.Background(), db)
	if err == nil {
		err = store.DeleteEntry(context.Background(), idx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64Arg("x", s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An SM9 deployment: the bank issues the account keys (identity-based),
// and the same six steps work from the command line.
func TestLedgerCLISM9(t *testing.T) {
	sargs := append(serverArgs(t, dbtest.Target{}), "--ledger-scheme", "sm9")
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	dir := t.TempDir()
	alice, bob := filepath.Join(dir, "alice.json"), filepath.Join(dir, "bob.json")
	run := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
	if out := run("ledger", "init", "--state", alice, "--server", base, "--name", "alice", "--opening", "5000", "--admin-token", tok); !strings.Contains(out, "sm9") {
		t.Fatalf("init: %s", out)
	}
	run("ledger", "init", "--state", bob, "--server", base, "--name", "bob", "--admin-token", tok)
	notice := run("ledger", "request", "--state", bob, "--amount", "700", "--purpose", "sm9 lunch")
	money := run("ledger", "pay", "--state", alice, "--notice", notice)
	m, err := ledger.DecodeQRMessage(mustB64(t, money))
	if err != nil {
		t.Fatal(err)
	}
	if sig := m.(*ledger.Payment).Money.Sig4; len(sig) != 97 {
		t.Fatalf("not an SM9 signature: %d bytes", len(sig))
	}
	run("ledger", "submit", "--state", bob, "--money", money)
	if _, _, err := runCLI(t, "ledger", "notice", "--state", alice, "--index", "0", "--balance"); !errors.Is(err, ledger.ErrNoSM2Key) {
		t.Fatalf("balance notice in an SM9 deployment: %v", err)
	}
	// Alice signs the request with her SM9 key: the bank lets her in, and
	// then has no SM2 key to encrypt her balance to.
	h, err := openHolder(alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.BalanceNotice(context.Background(), 0); !errors.Is(err, ledger.ErrNoSM2Key) {
		t.Fatalf("balance notice over HTTP in an SM9 deployment: %v", err)
	}
	if _, err := (&ledgerhttp.Client{Base: base}).BalanceNotice(context.Background(), 0); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
		t.Fatalf("unsigned balance notice in an SM9 deployment: %v", err)
	}
	if out := run("ledger", "check", "--server", base, "--admin-token", tok); !strings.Contains(out, "1 entries, evidence chain whole") {
		t.Fatalf("check: %s", out)
	}
}

// ledger submit checks money against the payer's template, signed by the
// bank, before the bank sees it: a forged or mismatched template, and
// money without one, are refused and nothing is booked. The holders'
// books chain: an edited, removed or appended record is found when the
// state file is next opened.
func TestLedgerSubmitVerifiesEvidence(t *testing.T) {
	sargs := serverArgs(t, dbtest.Target{})
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	ctx := context.Background()
	dir := t.TempDir()
	alice, bob, carol := filepath.Join(dir, "alice.json"), filepath.Join(dir, "bob.json"), filepath.Join(dir, "carol.json")
	run := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
	run("ledger", "init", "--state", alice, "--server", base, "--name", "alice", "--opening", "10000", "--admin-token", tok)
	run("ledger", "init", "--state", bob, "--server", base, "--name", "bob", "--admin-token", tok)
	run("ledger", "init", "--state", carol, "--server", base, "--name", "carol", "--admin-token", tok)
	pay := run("ledger", "pay", "--state", alice, "--notice", run("ledger", "request", "--state", bob, "--amount", "900", "--purpose", "chair"))
	msg, err := ledger.DecodeQRMessage(mustB64(t, pay))
	if err != nil {
		t.Fatal(err)
	}
	p := msg.(*ledger.Payment)
	c := &ledgerhttp.Client{Base: base}
	carolT, err := c.Template(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	forged := *p
	forged.Template.Issued++ // the bank's signature 1 no longer covers it
	mismatched := ledger.Payment{Template: *carolT, Money: p.Money}
	enc := func(m interface{ MarshalBinary() ([]byte, error) }) string {
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b64(b)
	}
	for name, tc := range map[string]struct {
		money string
		want  error
	}{
		"forged-template":     {enc(&forged), ledger.ErrBadSignature},
		"mismatched-template": {enc(&mismatched), ledger.ErrBadSignature},
		"bare-money":          {enc(&p.Money), ledger.ErrMalformed},
	} {
		if _, _, err := runCLI(t, "ledger", "submit", "--state", bob, "--money", tc.money); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if info, err := c.Bank(ctx); err != nil || info.Size != 0 {
		t.Fatalf("after refused money the book has %d entries (%v)", info.Size, err)
	}
	settlement := run("ledger", "submit", "--state", bob, "--money", pay)
	run("ledger", "receipt", "--state", bob, "--money", pay, "--notice", settlement)

	// Bob's book: collection, payment, settlement, receipt, chained.
	var f ledgerFile
	if err := loadJSON(bob, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Book) != 4 {
		t.Fatalf("bob's book has %d records", len(f.Book))
	}
	edits := map[string]func(f *ledgerFile){
		"edited-message": func(f *ledgerFile) { f.Book[1].Message[40] ^= 1 },
		"edited-last":    func(f *ledgerFile) { f.Book[3].At++ },
		"removed":        func(f *ledgerFile) { f.Book = append(f.Book[:1], f.Book[2:]...) },
		"truncated":      func(f *ledgerFile) { f.Book = f.Book[:3] },
		"reordered":      func(f *ledgerFile) { f.Book[1], f.Book[2] = f.Book[2], f.Book[1] },
	}
	for name, edit := range edits {
		var g ledgerFile
		loadJSON(bob, &g)
		edit(&g)
		path := filepath.Join(dir, name+".json")
		if err := saveJSON(path, g); err != nil {
			t.Fatal(err)
		}
		if _, _, err := runCLI(t, "ledger", "notice", "--state", path, "--index", "0"); !errors.Is(err, errHolderBook) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, errOut, err := runCLI(t, "ledger", "notice", "--state", bob, "--index", "0"); err != nil || !strings.Contains(errOut, "alice paid 900 to bob") {
		t.Fatalf("bob's untouched book: %v %s", err, errOut)
	}
}
