package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"trustbank/attest"
	"trustbank/ecash"
	"trustbank/ecash/ecashhttp"
	"trustbank/groupsig"
	"trustbank/internal/atomicfile"
)

// walletFile is a wallet's persistent state (JSON, mode 0600).
type walletFile struct {
	Server     string   `json:"server"`
	User       string   `json:"user"`
	Bank       string   `json:"bank"`
	Account    string   `json:"account"`
	AccountKey []byte   `json:"account_key"`
	ModuleKey  []byte   `json:"module_key"` // pinned at init
	Seed       []byte   `json:"seed"`
	Next       uint64   `json:"next"`
	Members    [][]byte `json:"member_keys"` // user-group keys, one per user epoch the coins escrow, newest last
	Coins      [][]byte `json:"coins"`
	// TPM binds the wallet's coins to a TPM (swtpm unix://… or tcp://…, or
	// /dev/tpmrm0); KeyBlobs are the coin keys, wrapped by that TPM.
	TPM      string   `json:"tpm,omitempty"`
	KeyBlobs [][]byte `json:"key_blobs,omitempty"`
}

// merchantFile is a merchant's persistent state.
type merchantFile struct {
	Server     string   `json:"server"`
	ID         string   `json:"id"`
	Bank       string   `json:"bank"`
	Account    string   `json:"account"`
	AccountKey []byte   `json:"account_key"`
	ModuleKey  []byte   `json:"module_key"`
	Pending    [][]byte `json:"pending"` // open challenges
	Unsent     [][]byte `json:"unsent"`  // accepted payments' deposit requests not yet acknowledged
}

func runWallet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommands(ctx, "wallet", args, stdout, stderr, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"init": walletInit, "withdraw": walletWithdraw, "balance": walletBalance, "pay": walletPay,
		"restore": walletRestore,
	})
}

// runMerchant: init, challenge AMOUNT, accept --payment B64 (verifies
// offline, then deposits online), flush (retries unacknowledged deposits),
// serve (the same over HTTP+JSON).
func runMerchant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommands(ctx, "merchant", args, stdout, stderr, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"init": merchantInit, "challenge": merchantChallenge, "accept": merchantAccept, "flush": merchantFlush,
		"serve": merchantServe,
	})
}

func subcommands(ctx context.Context, name string, args []string, stdout, stderr io.Writer, cmds map[string]func(context.Context, []string, io.Writer, io.Writer) error) error {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	known := strings.Join(names, "|")
	if len(args) == 0 {
		return fmt.Errorf("%w: %s needs a subcommand: %s %s", errUsage, name, name, known)
	}
	fn, ok := cmds[args[0]]
	if !ok {
		return fmt.Errorf("%w: unknown %s subcommand %q (known: %s)", errUsage, name, args[0], known)
	}
	return fn(ctx, args[1:], stdout, stderr)
}

func loadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// saveJSON writes v atomically and durably.
func saveJSON(path string, v any) error { return atomicfile.WriteJSON(path, v) }

func walletInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("wallet init", stderr)
	state := fs.String("state", "wallet.json", "wallet state file")
	f := walletFile{}
	fs.StringVar(&f.Server, "server", "http://127.0.0.1:8080", "trustbank server")
	fs.StringVar(&f.User, "user", "", "your identity at the user registry")
	fs.StringVar(&f.Bank, "bank", "bank-a", "your bank")
	fs.StringVar(&f.Account, "account", "", "your account id (opened now)")
	balance := fs.Uint64("balance", 0, "cash paid in at the counter when opening the account, in minor units")
	token := fs.String("admin-token", os.Getenv("TRUSTBANK_ADMIN_TOKEN"), "the bank operator's admin token (opening the account and registering the user are operator steps)")
	fs.StringVar(&f.TPM, "tpm", "", "bind coins to this TPM: unix:///path or tcp://host:port (swtpm), or /dev/tpmrm0")
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.User == "" || f.Account == "" {
		return fmt.Errorf("%w: --user and --account are required", errUsage)
	}
	if _, err := os.Stat(*state); err == nil {
		return fmt.Errorf("%s exists; not overwriting a wallet", *state)
	}
	c := &ecashhttp.Client{Base: f.Server, AdminToken: *token}
	_, modKey, err := c.KeySet(ctx, nil) // trust on first use; pinned from now on
	if err != nil {
		return err
	}
	mk, err := registerUser(ctx, c, f.User, f.TPM)
	if err != nil {
		return err
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	if err := c.OpenAccount(ctx, f.Bank, f.Account, f.User, key.Public().(ed25519.PublicKey), ecash.Amount(*balance)); err != nil {
		return err
	}
	f.AccountKey, f.ModuleKey, f.Seed = key, modKey, make([]byte, 32)
	rand.Read(f.Seed)
	enc, _ := mk.MarshalBinary()
	f.Members = [][]byte{enc}
	if err := saveJSON(*state, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wallet for %s at %s (account %s) saved to %s; module key pinned %x…\n", f.User, f.Bank, f.Account, *state, modKey[:8])
	return nil
}

// registerUser registers user at GU: with a TPM, by enrolling its AIK
// (the TPM's EK certificate from NV, then credential activation).
func registerUser(ctx context.Context, c *ecashhttp.Client, user, tpm string) (*groupsig.MemberKey, error) {
	if tpm == "" {
		return c.RegisterUser(ctx, user)
	}
	dev, err := openDevice(tpm)
	if err != nil {
		return nil, err
	}
	defer dev.Close()
	cert, err := dev.EKCertificate()
	if err != nil {
		return nil, err
	}
	ch, err := c.BeginEnrollment(ctx, &ecash.EnrollRequest{Identity: user, EKCert: cert, AIK: dev.AIK()})
	if err != nil {
		return nil, err
	}
	secret, err := dev.ActivateCredential(ch.Credential)
	if err != nil {
		return nil, err
	}
	return c.FinishEnrollment(ctx, &ecash.EnrollAnswer{ID: ch.ID, Secret: secret})
}

// openDevice opens a wallet's TPM. The embedded simulator is refused: it
// starts blank in every process, so coins bound to it would be lost.
func openDevice(path string) (*attest.Device, error) {
	if path == "simulator" {
		return nil, fmt.Errorf("%w: the embedded TPM simulator does not persist between runs; use swtpm (unix://…) or /dev/tpmrm0", errUsage)
	}
	return attest.OpenPath(path)
}

// cliWallet is an opened wallet: its file, the wallet, its server, the
// key set and, for a TPM-bound wallet, the device (close it when done).
type cliWallet struct {
	f       *walletFile
	w       *ecash.Wallet
	c       *ecashhttp.Client
	ks      *ecash.KeySet
	dev     *attest.Device
	revoked bool // the registry revoked this user: old coins only
}

func (cw *cliWallet) close() {
	if cw.dev != nil {
		cw.dev.Close()
	}
}

// openWallet loads the state file, the server's current keys and, for a
// bound wallet, the TPM with the coin keys reloaded from their blobs.
func openWallet(ctx context.Context, path string) (*cliWallet, error) {
	cw := &cliWallet{f: &walletFile{}}
	if err := loadJSON(path, cw.f); err != nil {
		return nil, err
	}
	cw.c = &ecashhttp.Client{Base: cw.f.Server}
	var err error
	if cw.ks, _, err = cw.c.KeySet(ctx, cw.f.ModuleKey); err != nil {
		return nil, err
	}
	var device ecash.Device
	if cw.f.TPM != "" {
		if cw.dev, err = openDevice(cw.f.TPM); err != nil {
			return nil, err
		}
		for i, b := range cw.f.KeyBlobs {
			if _, err := cw.dev.ImportKey(b); err != nil {
				cw.close()
				return nil, fmt.Errorf("coin key %d does not load on %s: %w", i, cw.f.TPM, err)
			}
		}
		device = cw.dev
	}
	st := ecash.WalletState{Next: cw.f.Next, Members: cw.f.Members, Coins: cw.f.Coins}
	copy(st.Seed[:], cw.f.Seed)
	if cw.w, err = ecash.LoadWallet(st, cw.ks, cw.c.UserKeys(ctx), device); err != nil {
		cw.close()
		return nil, err
	}
	if err := cw.catchUp(ctx); err != nil {
		cw.close()
		return nil, err
	}
	return cw, nil
}

// catchUp applies the user group's published revocation updates to the
// wallet's key. A revoked user keeps the old key: the coins withdrawn
// before stay spendable, new withdrawals are refused.
func (cw *cliWallet) catchUp(ctx context.Context) error {
	revs, err := cw.c.Updates(ctx, cw.w.Member().Epoch)
	if err != nil {
		return err
	}
	for _, rev := range revs {
		err := cw.w.UpdateMember(rev)
		if errors.Is(err, groupsig.ErrRevoked) {
			cw.revoked = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("applying the user group's update to epoch %d: %w", rev.Epoch, err)
		}
	}
	return nil
}

// change swaps coins at the module so that the wallet holds amount exactly.
func (cw *cliWallet) change(ctx context.Context, path string, amount ecash.Amount) error {
	now := time.Now()
	ps, err := cw.w.Change(amount, cw.ks.Schedule.EpochAt(now), now)
	if err != nil {
		return err
	}
	if err := cw.save(path); err != nil { // the counter moved; the inputs are committed to the swap
		return err
	}
	resp, err := cw.c.Swap(ctx, ps.Request)
	if err != nil {
		return err
	}
	if err := cw.w.FinishSwap(ps, resp); err != nil {
		return err
	}
	return cw.save(path)
}

// save writes the wallet back, with the key blobs of the bound coins held.
func (cw *cliWallet) save(path string) error {
	st := cw.w.State()
	cw.f.Next, cw.f.Coins, cw.f.Members, cw.f.KeyBlobs = st.Next, st.Coins, st.Members, nil
	if cw.dev != nil {
		for _, c := range cw.w.Coins() {
			if !c.Message.Bound {
				continue
			}
			blob, err := cw.dev.ExportKey(c.Key)
			if err != nil {
				return err
			}
			cw.f.KeyBlobs = append(cw.f.KeyBlobs, blob)
		}
	}
	return saveJSON(path, cw.f)
}

// base64Arg decodes the base64 value of flag --name.
func base64Arg(name, v string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%w: --%s must be non-empty base64", errUsage, name)
	}
	return b, nil
}

func amountArg(fs interface{ Arg(int) string }) (ecash.Amount, error) {
	v, err := strconv.ParseUint(fs.Arg(0), 10, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%w: want a positive amount in minor units, got %q", errUsage, fs.Arg(0))
	}
	return ecash.Amount(v), nil
}

func walletWithdraw(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("wallet withdraw", stderr)
	state := fs.String("state", "wallet.json", "wallet state file")
	if err := parse(fs, args); err != nil {
		return err
	}
	amount, err := amountArg(fs)
	if err != nil {
		return err
	}
	cw, err := openWallet(ctx, *state)
	if err != nil {
		return err
	}
	defer cw.close()
	if cw.revoked {
		return fmt.Errorf("%w: %s was removed from the user group; the coins held still pay", ecash.ErrUserRevoked, cw.f.User)
	}
	f, w := cw.f, cw.w
	p, err := w.Withdraw(f.Account, ed25519.PrivateKey(f.AccountKey), amount, cw.ks.Schedule.EpochAt(time.Now()))
	if err != nil {
		return err
	}
	// Save the advanced coin counter first: a crash after the bank answers
	// must not reuse these coin secrets.
	if err := cw.save(*state); err != nil {
		return err
	}
	resp, err := cw.c.Withdraw(ctx, f.Bank, p.Request)
	if err != nil {
		return err
	}
	if err := w.Finish(p, resp); err != nil {
		return err
	}
	if err := cw.save(*state); err != nil {
		return err
	}
	bound := ""
	if cw.dev != nil {
		bound = ", bound to the TPM"
	}
	fmt.Fprintf(stdout, "withdrew %d in %d coins%s; wallet holds %d\n", amount, len(resp.BlindSigs), bound, w.Balance())
	return nil
}

// walletRestore rebuilds the coin list from the seed alone, asking the
// server for the blind signatures it issued and for the spent-registry
// buckets its coins fall in (never naming a serial).
func walletRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("wallet restore", stderr)
	state := fs.String("state", "wallet.json", "wallet state file (its seed and keys are kept, its coins rebuilt)")
	gap := fs.Int("gap", 20, "stop after this many coin indexes in a row without a coin")
	if err := parse(fs, args); err != nil {
		return err
	}
	cw, err := openWallet(ctx, *state)
	if err != nil {
		return err
	}
	defer cw.close()
	old := cw.w
	st := old.State()
	st.Coins, st.Next = nil, 0
	w, err := ecash.LoadWallet(st, cw.ks, cw.c.UserKeys(ctx), nil)
	if err != nil {
		return err
	}
	n, err := w.Restore(ctx, cw.c, *gap)
	if err != nil {
		return err
	}
	cw.w = w
	if err := cw.save(*state); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %d unspent coins worth %d (the file held %d worth %d)\n", n, w.Balance(), len(old.Coins()), old.Balance())
	return nil
}

func walletBalance(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("wallet balance", stderr)
	state := fs.String("state", "wallet.json", "wallet state file")
	if err := parse(fs, args); err != nil {
		return err
	}
	cw, err := openWallet(ctx, *state)
	if err != nil {
		return err
	}
	defer cw.close()
	a, err := cw.c.Account(ctx, cw.f.Bank, cw.f.Account, ed25519.PrivateKey(cw.f.AccountKey))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wallet %d in %d coins; account %s at %s: %d\n", cw.w.Balance(), len(cw.w.Coins()), cw.f.Account, cw.f.Bank, a.Balance)
	return nil
}

func walletPay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("wallet pay", stderr)
	state := fs.String("state", "wallet.json", "wallet state file")
	chArg := fs.String("challenge", "", "the merchant's challenge (base64)")
	if err := parse(fs, args); err != nil {
		return err
	}
	raw, err := base64Arg("challenge", *chArg)
	if err != nil {
		return err
	}
	ch, err := ecash.ParseChallenge(raw)
	if err != nil {
		return err
	}
	cw, err := openWallet(ctx, *state)
	if err != nil {
		return err
	}
	defer cw.close()
	p, err := cw.w.Pay(ch)
	if errors.Is(err, ecash.ErrNeedChange) { // swap coins for change at the module, then pay
		if err = cw.change(ctx, *state, ch.Amount); err == nil {
			p, err = cw.w.Pay(ch)
		}
	}
	if err != nil {
		return err
	}
	enc, _ := p.MarshalBinary()
	if err := cw.save(*state); err != nil {
		return err
	}
	fmt.Fprintln(stdout, base64.StdEncoding.EncodeToString(enc))
	return nil
}

func merchantInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merchant init", stderr)
	state := fs.String("state", "merchant.json", "merchant state file")
	f := merchantFile{}
	fs.StringVar(&f.Server, "server", "http://127.0.0.1:8080", "trustbank server")
	fs.StringVar(&f.ID, "id", "", "merchant id (payments name it)")
	fs.StringVar(&f.Bank, "bank", "bank-b", "the merchant's bank")
	fs.StringVar(&f.Account, "account", "", "the merchant's account id (opened now)")
	token := fs.String("admin-token", os.Getenv("TRUSTBANK_ADMIN_TOKEN"), "the bank operator's admin token (opening the account is an operator step)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.ID == "" || f.Account == "" {
		return fmt.Errorf("%w: --id and --account are required", errUsage)
	}
	c := &ecashhttp.Client{Base: f.Server, AdminToken: *token}
	_, modKey, err := c.KeySet(ctx, nil)
	if err != nil {
		return err
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	if err := c.OpenAccount(ctx, f.Bank, f.Account, f.ID, key.Public().(ed25519.PublicKey), 0); err != nil {
		return err
	}
	f.AccountKey, f.ModuleKey = key, modKey
	if err := saveJSON(*state, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merchant %s at %s (account %s) saved to %s\n", f.ID, f.Bank, f.Account, *state)
	return nil
}

// openMerchant loads the state file, the server's keys and the open challenges.
func openMerchant(ctx context.Context, path string) (*merchantFile, *ecash.Merchant, *ecashhttp.Client, error) {
	var f merchantFile
	if err := loadJSON(path, &f); err != nil {
		return nil, nil, nil, err
	}
	c := &ecashhttp.Client{Base: f.Server}
	ks, _, err := c.KeySet(ctx, f.ModuleKey)
	if err != nil {
		return nil, nil, nil, err
	}
	m := ecash.NewMerchant(f.Bank, f.Account, func() *ecash.KeySet { return ks }, c.UserKeys(ctx), nil)
	var open []ecash.Challenge
	for _, b := range f.Pending {
		if ch, err := ecash.ParseChallenge(b); err == nil {
			open = append(open, *ch)
		}
	}
	m.Reopen(open)
	return &f, m, c, nil
}

func saveMerchant(path string, f *merchantFile, m *ecash.Merchant) error {
	f.Pending = f.Pending[:0]
	for _, ch := range m.Pending() {
		f.Pending = append(f.Pending, ch.Encode())
	}
	return saveJSON(path, f)
}

func merchantChallenge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merchant challenge", stderr)
	state := fs.String("state", "merchant.json", "merchant state file")
	if err := parse(fs, args); err != nil {
		return err
	}
	amount, err := amountArg(fs)
	if err != nil {
		return err
	}
	f, m, _, err := openMerchant(ctx, *state)
	if err != nil {
		return err
	}
	ch, err := m.Challenge(amount)
	if err != nil {
		return err
	}
	if err := saveMerchant(*state, f, m); err != nil {
		return err
	}
	fmt.Fprintln(stdout, base64.StdEncoding.EncodeToString(ch.Encode()))
	return nil
}

func merchantAccept(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merchant accept", stderr)
	state := fs.String("state", "merchant.json", "merchant state file")
	payArg := fs.String("payment", "", "the wallet's payment (base64)")
	if err := parse(fs, args); err != nil {
		return err
	}
	raw, err := base64Arg("payment", *payArg)
	if err != nil {
		return err
	}
	var p ecash.Payment
	if err := p.UnmarshalBinary(raw); err != nil {
		return err
	}
	f, m, c, err := openMerchant(ctx, *state)
	if err != nil {
		return err
	}
	if err := m.Accept(&p); err != nil {
		return err
	}
	q, err := m.DepositRequest(&p, ed25519.PrivateKey(f.AccountKey))
	if err != nil {
		return err
	}
	enc, _ := q.MarshalBinary()
	f.Unsent = append(f.Unsent, enc)
	if err := saveMerchant(*state, f, m); err != nil { // challenge closed, deposit kept for retries
		return err
	}
	fmt.Fprintf(stdout, "accepted %d in %d coins (payer and issuing bank unknown to us)\n", p.Value(), len(p.Coins))
	return flush(ctx, *state, f, m, c, stdout)
}

// flush sends every unacknowledged deposit (idempotent by request id) and
// forgets those the bank acknowledged.
func flush(ctx context.Context, path string, f *merchantFile, m *ecash.Merchant, c *ecashhttp.Client, stdout io.Writer) error {
	var left [][]byte
	var firstErr error
	for _, b := range f.Unsent {
		var q ecash.DepositRequest
		if err := q.UnmarshalBinary(b); err != nil {
			return err
		}
		r, err := c.Deposit(ctx, f.Bank, &q)
		switch {
		case err == nil:
			fmt.Fprintf(stdout, "deposited %d at %s\n", r.Amount, r.Bank)
		case errors.Is(err, ecash.ErrDoubleSpend), errors.Is(err, ecash.ErrExpired):
			fmt.Fprintf(stdout, "deposit refused for good: %v\n", err) // keeping it would not help
		default:
			left = append(left, b)
			firstErr = errors.Join(firstErr, err)
		}
	}
	f.Unsent = left
	return errors.Join(firstErr, saveMerchant(path, f, m))
}

func merchantFlush(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merchant flush", stderr)
	state := fs.String("state", "merchant.json", "merchant state file")
	if err := parse(fs, args); err != nil {
		return err
	}
	f, m, c, err := openMerchant(ctx, *state)
	if err != nil {
		return err
	}
	return flush(ctx, *state, f, m, c, stdout)
}
