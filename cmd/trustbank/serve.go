package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"trustbank/ecash"
	"trustbank/ecash/ecashhttp"
	"trustbank/einvoice/einvoicehttp"
	"trustbank/internal/httpapi"
	"trustbank/internal/node"
	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
	"trustbank/shield/bank"
	"trustbank/shield/bank/bankhttp"
	"trustbank/trust/trusthttp"
)

// Where serve mounts the trust identity provider and its example service
// (the paths of package trusthttp follow).
const (
	TrustIDPPrefix     = "/trust/idp"
	TrustServicePrefix = "/trust/svc"
)

// serveConfig is what `trustbank serve` runs.
type serveConfig struct {
	HTTP      httpapi.ServerConfig
	Node      node.Config
	MaxDenom  uint
	Lookahead uint
	Maintain  time.Duration
	Ledger    ledgerSchedule
	// Roles are what this process serves: "bank" (e-cash, ledger and
	// shield banks) and "tax" (the tax e-invoice system); a seller's
	// invoicing server runs with `trustbank seller serve`.
	Roles map[string]bool
}

// parseRoles reads --roles.
func parseRoles(s string) (map[string]bool, error) {
	roles := map[string]bool{}
	for _, r := range strings.Split(s, ",") {
		if r != "bank" && r != "tax" {
			return nil, fmt.Errorf("%w: --roles: unknown role %q (bank, tax; a seller runs with `trustbank seller serve`)", errUsage, r)
		}
		roles[r] = true
	}
	return roles, nil
}

// Validate checks the configuration and fills in the schedule.
func (c *serveConfig) Validate() error {
	if c.Node.DataDir == "" {
		return fmt.Errorf("%w: --data is required", errUsage)
	}
	if err := c.HTTP.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if c.MaxDenom > uint(ecash.MaxDenom) {
		return fmt.Errorf("%w: --max-denom at most %d", errUsage, ecash.MaxDenom)
	}
	if err := c.Ledger.validate(); err != nil {
		return err
	}
	s := node.DefaultSchedule()
	s.Denoms = s.Denoms[:0]
	for d := ecash.Denom(0); d <= ecash.Denom(c.MaxDenom); d++ {
		s.Denoms = append(s.Denoms, d)
	}
	s.Lookahead = uint32(c.Lookahead)
	c.Node.Schedule = s
	return nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	cfg := serveConfig{HTTP: httpapi.DefaultServerConfig("127.0.0.1:8080")}
	var banks, golden string
	roles := fs.String("roles", "bank,tax", "what to serve: bank (e-cash, ledger, shield banks), tax (the tax e-invoice system), or both")
	cfg.HTTP.AddFlags(fs)
	fs.StringVar(&cfg.Node.DataDir, "data", "trustbank-data", "data directory (secrets, SQLite database)")
	fs.StringVar(&cfg.Node.PostgresDSN, "pg", "", "PostgreSQL DSN (instead of SQLite)")
	fs.StringVar(&banks, "banks", "bank-a,bank-b", "comma-separated member banks")
	fs.StringVar(&golden, "golden", "", "comma-separated hex golden PCR digests; banks then check platform quotes")
	fs.BoolVar(&cfg.Node.RequireTPM, "require-tpm", false, "refuse withdrawals without platform evidence (needs --golden)")
	ekCA := fs.String("ek-ca", "", "PEM file of the TPM manufacturer CAs whose EK certificates AIK enrolment trusts (default: ek-ca.pem in the data directory, if any)")
	fs.UintVar(&cfg.MaxDenom, "max-denom", 20, "largest denomination exponent (coins of 1 to 2^N minor units)")
	fs.UintVar(&cfg.Lookahead, "lookahead", 1, "epochs of coin keys published ahead")
	fs.StringVar(&cfg.Node.ShieldCRLURL, "shield-crl-url", "", "CRL distribution point written into the shield CA's certificates (default http://127.0.0.1:8080"+node.ShieldCRLPath+")")
	fs.IntVar(&cfg.Node.ShieldPerClient, "shield-per-client", bank.DefaultPerClient, "unused shield login challenges one address, and unconfirmed orders one account, may hold (more: 429 rate_limited)")
	fs.StringVar(&cfg.Node.LedgerBank, "ledger-bank", "bank-a", "name of the evidence-chain ledger bank")
	fs.StringVar(&cfg.Node.LedgerCurrency, "ledger-currency", "CNY", "currency of the ledger's book")
	scheme := fs.String("ledger-scheme", "sm2", "the ledger's signatures: sm2, or sm9 (identity-based; the bank issues account keys); fixed at the book's first use")
	fs.DurationVar(&cfg.Maintain, "maintain", time.Minute, "interval of key rotation and spent-registry pruning")
	fs.DurationVar(&cfg.Ledger.CheckEvery, "check-every", 10*time.Minute, "interval of the ledger's fast check (the chain index); 0: none")
	fs.StringVar(&cfg.Ledger.CloseAt, "close-at", "00:00", "daily ledger close, HH:MM UTC: a deep check of every entry, then a signed closing checkpoint if whole; empty: none")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.Node.Banks = strings.Split(banks, ",")
	var err error
	if cfg.Roles, err = parseRoles(*roles); err != nil {
		return err
	}
	cfg.Node.TaxOnly = !cfg.Roles["bank"]
	if cfg.Node.LedgerScheme, err = ledger.ParseScheme(*scheme); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	for _, g := range strings.Split(golden, ",") {
		if g == "" {
			continue
		}
		b, err := hex.DecodeString(g)
		if err != nil || len(b) != 32 {
			return fmt.Errorf("%w: --golden: %q is not a 32-byte hex digest", errUsage, g)
		}
		cfg.Node.Golden = append(cfg.Node.Golden, b)
	}
	if *ekCA != "" {
		if cfg.Node.EKCA, err = os.ReadFile(*ekCA); err != nil {
			return fmt.Errorf("%w: --ek-ca: %v", errUsage, err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	return serve(ctx, cfg, stdout)
}

// serve runs the server until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, cfg serveConfig, stdout io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stdout, nil))
	n, err := node.Open(ctx, cfg.Node)
	if err != nil {
		return err
	}
	defer n.Close()
	ln, err := httpapi.Listen(cfg.HTTP)
	if err != nil {
		return err
	}
	mux := httpapi.NewMux()
	if cfg.Roles["tax"] {
		mux.Handle("/einvoice/", einvoicehttp.NewSystemHandler(n.Einvoice.System, n.AdminToken, log))
		fmt.Fprintf(stdout, "trustbank: tax e-invoice system; invoices verify against %s\n", filepath.Join(cfg.Node.DataDir, node.EinvoiceRootFile))
	}
	fmt.Fprintf(stdout, "trustbank: operator endpoints need the admin_token in %s\n", filepath.Join(cfg.Node.DataDir, "secrets.json"))
	if !cfg.Roles["bank"] {
		fmt.Fprintf(stdout, "trustbank: listening on http://%s\n", ln.Addr())
		log.Info("serving", "addr", ln.Addr().String(), "roles", "tax", "postgres", cfg.Node.PostgresDSN != "")
		go pruneEinvoice(ctx, n, cfg.Maintain, log)
		return httpapi.Serve(ctx, cfg.HTTP, ln, mux)
	}
	mux.Handle("/ledger/", ledgerhttp.NewHandler(n.Ledger, n.AdminToken, log))
	mux.Handle("/shield/", bankhttp.NewHandler(bankhttp.Deps{Server: n.Shield.Server, Authority: n.Shield.Authority,
		Cert: n.Shield.Cert, Log: log, AdminToken: n.AdminToken}))
	mux.Handle(TrustIDPPrefix+"/", http.StripPrefix(TrustIDPPrefix, trusthttp.NewProviderHandler(trusthttp.ProviderDeps{
		Provider: n.Trust.Provider, Log: log, AdminToken: n.AdminToken})))
	mux.Handle(TrustServicePrefix+"/", http.StripPrefix(TrustServicePrefix, trusthttp.NewServiceHandler(trusthttp.ServiceDeps{
		Service: n.Trust.Service, Log: log, AdminToken: n.AdminToken})))
	mux.Handle("/", ecashhttp.NewHandler(ecashhttp.Deps{Module: n.Module, Users: n.Users, Enroll: n.Enroll, Banks: n.Banks, Store: n.Store,
		Log: log, AdminToken: n.AdminToken}))
	// The address line is for people and for tests that listen on :0.
	fmt.Fprintf(stdout, "trustbank: listening on http://%s\n", ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "banks", cfg.Node.Banks, "postgres", cfg.Node.PostgresDSN != "",
		"ledger_bank", n.Ledger.Name(), "ledger_entries", n.Ledger.Size(), "limits", cfg.HTTP)
	if err := n.Ledger.BackupError(); err != nil {
		log.Error("ledger hot backup", "err", err)
	}
	if rep, err := n.Ledger.Check(ctx); err == nil && !rep.OK() {
		log.Error("ledger book is broken: booking refused until recovered (POST /ledger/v1/recover)", "check", rep.String())
	}
	if cfg.Roles["tax"] {
		go pruneEinvoice(ctx, n, cfg.Maintain, log)
	}
	go maintain(ctx, n, cfg.Maintain, log)
	go runLedgerSchedule(ctx, n.Ledger, cfg.Ledger, log)
	return httpapi.Serve(ctx, cfg.HTTP, ln, mux)
}

// pruneEinvoice drops the tax system's replay-cache entries past their
// window and resends notices sellers have not acknowledged.
func pruneEinvoice(ctx context.Context, n *node.Node, every time.Duration, log *slog.Logger) {
	periodically(ctx, every, func() {
		if _, err := n.Einvoice.System.Prune(ctx); err != nil {
			log.Error("e-invoice replay-cache pruning", "err", err)
		}
		if _, err := n.Einvoice.System.ResendNotices(ctx); err != nil {
			log.Error("e-invoice notices", "err", err)
		}
	})
}

// maintain rotates coin keys and prunes expired spent-coin partitions.
func maintain(ctx context.Context, n *node.Node, every time.Duration, log *slog.Logger) {
	periodically(ctx, every, func() {
		if err := n.Module.EnsureKeys(ctx); err != nil {
			log.Error("key rotation", "err", err)
		}
		if dropped, err := n.Module.Prune(ctx); err != nil {
			log.Error("pruning", "err", err)
		} else if len(dropped) > 0 {
			log.Info("pruned spent-coin partitions", "epochs", dropped)
		}
	})
}

// periodically runs job every period until ctx ends (the first run one
// period from now).
func periodically(ctx context.Context, every time.Duration, job func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		job()
	}
}
