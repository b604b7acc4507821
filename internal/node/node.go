// Package node assembles an all-in-one trustbank deployment from a data
// directory: the database (SQLite in the directory, or PostgreSQL by DSN),
// the long-term secrets, every role of the e-cash system, the ledger bank,
// the shield bank with its SM2 CA (shield.go), the tax e-invoice system
// whose invoice signer that CA certifies (einvoice.go), and the trust
// identity provider with an example cloud service (trust.go). `trustbank
// serve` and the demo run on it.
package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"trustbank/attest"
	"trustbank/ecash"
	"trustbank/einvoice"
	"trustbank/groupsig"
	"trustbank/groupsig/registry"
	"trustbank/internal/sqldb"
	"trustbank/ledger"
	"trustbank/shield/ca/cert"
)

// Config configures a node.
type Config struct {
	DataDir        string         // secrets and (without PostgresDSN) the SQLite database
	PostgresDSN    string         // use PostgreSQL instead of SQLite
	PostgresSchema string         // optional search_path schema (tests isolate themselves with it)
	Banks          []string       // member banks; default bank-a, bank-b
	Schedule       ecash.Schedule // default DefaultSchedule
	Golden         [][]byte       // golden PCR digests; empty: banks take no platform evidence
	RequireTPM     bool           // banks refuse withdrawals without platform evidence
	// EKCA holds the TPM manufacturer CAs (PEM) whose EK certificates the
	// user registry trusts for AIK enrolment; empty: <DataDir>/ek-ca.pem if
	// present, else no enrolment.
	EKCA           []byte
	Now            func() time.Time
	LedgerBank     string        // name of the ledger bank (default "bank-a")
	LedgerCurrency string        // its book's currency (default "CNY")
	LedgerScheme   ledger.Scheme // SM2 (default) or SM9, fixed at the book's first use
	// ShieldCRLURL is written into every certificate the shield CA issues
	// (default http://127.0.0.1:8080 + ShieldCRLPath).
	ShieldCRLURL string
	// ShieldPerClient bounds the unused login challenges one address, and
	// the unconfirmed orders one account, may hold (default
	// bank.DefaultPerClient).
	ShieldPerClient int
	// GenerateKey makes coin keys (default: fresh RSA keys from crypto/rand).
	GenerateKey func(bits int) (*rsa.PrivateKey, error)
	// TaxOnly opens only the tax e-invoice system and the CA that
	// certifies its signer (shield.go): no e-cash, no ledger.
	TaxOnly bool
	// TaxBureau is the organization of the invoice-signing certificate
	// (default DefaultTaxBureau); EinvoiceLink is how the tax system
	// reaches sellers' invoicing servers (default: HTTP).
	TaxBureau    cert.Organization
	EinvoiceLink einvoice.SellerLink
}

// DefaultSchedule: daily epochs from 2026-01-01, coins spendable for 30
// days and depositable for 60, keys one day ahead, denominations 1 to 2^20.
func DefaultSchedule() ecash.Schedule {
	s := ecash.Schedule{Genesis: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), EpochLength: 24 * time.Hour,
		SpendEpochs: 30, DepositEpochs: 60, Lookahead: 1}
	for d := ecash.Denom(0); d <= 20; d++ {
		s.Denoms = append(s.Denoms, d)
	}
	return s
}

// Node is a running deployment.
type Node struct {
	DB       *sqldb.DB
	Registry *registry.SQLStore
	Store    *ecash.SQLStore
	Module   *ecash.Module
	Users    *ecash.UserRegistry
	Enroll   *ecash.Enroller // nil: no EK CA, no AIK enrolment
	Banks    map[string]*ecash.Bank
	// Ledger is the evidence-chain bank (seed 001); its book is in DB, its
	// hot backup in <data>/ledger-backup.db.
	Ledger      *ledger.Bank
	LedgerStore *ledger.Store
	BackupDB    *sqldb.DB
	// Shield is the secure-element bank (seed 002) with its CA.
	Shield *Shield
	// Einvoice is the tax e-invoice system (seed 003), einvoice.go.
	Einvoice *Einvoice
	// Trust is the identity provider (seed 004) and an example service.
	Trust *Trust
	// AdminToken authorises operator endpoints (see secrets.json).
	AdminToken string
	cfg        Config
}

// Open opens (creating on first use) the deployment in cfg.DataDir.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("node: no data directory")
	}
	if len(cfg.Banks) == 0 {
		cfg.Banks = []string{"bank-a", "bank-b"}
	}
	if cfg.Schedule.EpochLength == 0 {
		cfg.Schedule = DefaultSchedule()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ShieldCRLURL == "" {
		cfg.ShieldCRLURL = "http://127.0.0.1:8080" + ShieldCRLPath
	}
	sec, err := loadOrCreateSecrets(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	var db *sqldb.DB
	if cfg.PostgresDSN != "" {
		db, err = sqldb.OpenPostgres(ctx, cfg.PostgresDSN, cfg.PostgresSchema)
	} else {
		db, err = sqldb.OpenSQLite(filepath.Join(cfg.DataDir, "trustbank.db"))
	}
	if err != nil {
		return nil, err
	}
	n := &Node{DB: db, cfg: cfg, Banks: map[string]*ecash.Bank{}, AdminToken: sec.AdminToken}
	if err := n.assemble(ctx, sec); err != nil {
		n.Close() // whatever was assembled, and the database
		return nil, err
	}
	return n, nil
}

func (n *Node) assemble(ctx context.Context, sec *secrets) error {
	if !n.cfg.TaxOnly {
		if err := n.assembleBanks(ctx, sec); err != nil {
			return err
		}
	}
	path := filepath.Join(n.cfg.DataDir, secretsFile)
	if err := n.openShield(ctx, sec, path); err != nil {
		return err
	}
	return n.openEinvoice(ctx, sec, path)
}

// assembleBanks opens the e-cash roles and the ledger bank.
func (n *Node) assembleBanks(ctx context.Context, sec *secrets) error {
	var err error
	if n.Registry, err = registry.NewSQLStore(ctx, n.DB); err != nil {
		return err
	}
	if n.Store, err = ecash.NewSQLStore(ctx, n.DB); err != nil {
		return err
	}
	bankIssuer, bankOpener, err := n.group(ctx, "ecash-banks", sec.BankGroupIssuer, sec.BankGroupOpener)
	if err != nil {
		return err
	}
	userIssuer, userOpener, err := n.group(ctx, "ecash-users", sec.UserGroupIssuer, sec.UserGroupOpener)
	if err != nil {
		return err
	}
	n.Users = ecash.NewUserRegistry(n.Store, userIssuer, userOpener, registry.NewPublicKeys(n.Registry, "ecash-users"))
	if err := n.openEnrollment(); err != nil {
		return err
	}
	mc := ecash.ModuleConfig{Schedule: n.cfg.Schedule, Identity: ed25519.PrivateKey(sec.ModuleIdentity), Now: n.cfg.Now,
		GenerateKey: n.cfg.GenerateKey, UserEpoch: func() uint64 { return userIssuer.PublicKey().Epoch }}
	copy(mc.MasterKey[:], sec.MasterKey)
	if n.Module, err = ecash.NewModule(ctx, mc, n.Store, bankIssuer, bankOpener); err != nil {
		return err
	}
	for _, id := range n.cfg.Banks {
		if err := n.addBank(ctx, id); err != nil {
			return err
		}
	}
	if err := n.openLedger(ctx, sec); err != nil {
		return err
	}
	return n.openTrust(ctx, sec)
}

// ekCAFile is the default trust file of TPM manufacturer CAs.
const ekCAFile = "ek-ca.pem"

// openEnrollment sets up AIK enrolment if the node trusts a TPM
// manufacturer (cfg.EKCA, or the data directory's ek-ca.pem).
func (n *Node) openEnrollment() error {
	ca := n.cfg.EKCA
	if len(ca) == 0 {
		b, err := os.ReadFile(filepath.Join(n.cfg.DataDir, ekCAFile))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("node: %w", err)
		}
		ca = b
	}
	e, err := attest.NewEndorser(ca, n.cfg.Now)
	if err != nil {
		return fmt.Errorf("node: EK CA: %w", err)
	}
	n.Enroll = ecash.NewEnroller(n.Users, e, ecash.EnrollConfig{Now: n.cfg.Now})
	return nil
}

func (n *Node) openLedger(ctx context.Context, sec *secrets) error {
	scheme := n.cfg.LedgerScheme
	if scheme == 0 {
		scheme = ledger.SM2
	}
	keys, err := sec.ledgerKeys(filepath.Join(n.cfg.DataDir, secretsFile), scheme)
	if err != nil {
		return fmt.Errorf("node: ledger keys: %w", err)
	}
	store, err := ledger.NewStore(ctx, n.DB)
	if err != nil {
		return err
	}
	n.LedgerStore = store
	if n.BackupDB, err = sqldb.OpenSQLite(filepath.Join(n.cfg.DataDir, "ledger-backup.db")); err != nil {
		return err
	}
	backup, err := ledger.NewBackup(ctx, n.BackupDB)
	if err != nil {
		return err
	}
	cfg := ledger.Config{Name: n.cfg.LedgerBank, Currency: n.cfg.LedgerCurrency, Now: n.cfg.Now,
		HeadFile: filepath.Join(n.cfg.DataDir, "ledger-head.note")}
	if cfg.Name == "" {
		cfg.Name = "bank-a"
	}
	n.Ledger, err = ledger.Open(ctx, cfg, keys, store, backup)
	return err
}

// group loads a group's issuer and opener, creating the group on first use.
func (n *Node) group(ctx context.Context, name string, ikb, okb []byte) (*registry.Issuer, *registry.Opener, error) {
	ik, err := groupsig.ParseIssuerKey(ikb)
	if err != nil {
		return nil, nil, fmt.Errorf("node: %s issuer key: %w", name, err)
	}
	ok, err := groupsig.ParseOpenerKey(okb)
	if err != nil {
		return nil, nil, fmt.Errorf("node: %s opener key: %w", name, err)
	}
	is, err := registry.CreateGroup(ctx, n.Registry, name, ik)
	if errors.Is(err, registry.ErrGroupExists) {
		is, err = registry.LoadIssuer(ctx, n.Registry, name, ik)
	}
	if err != nil {
		return nil, nil, err
	}
	op, err := registry.NewOpener(ctx, n.Registry, name, ok, ik)
	if err != nil {
		return nil, nil, err
	}
	return is, op, nil
}

func (n *Node) addBank(ctx context.Context, id string) error {
	mk, err := n.Module.RegisterBank(ctx, id) // idempotent: the same key on every start
	if err != nil {
		return err
	}
	rekey := func(ctx context.Context) (*groupsig.MemberKey, error) { return n.Module.RegisterBank(ctx, id) }
	cfg := ecash.BankConfig{ID: id, Member: mk, Rekey: rekey, GroupKey: n.Module.BankGroupKey, Module: n.Module,
		Users: n.Users, RequireTPM: n.cfg.RequireTPM, Now: n.cfg.Now}
	if len(n.cfg.Golden) > 0 {
		cfg.Attest = attest.NewVerifier(n.cfg.Golden...)
	}
	b, err := ecash.NewBank(cfg, n.Store)
	if err != nil {
		return err
	}
	n.Banks[id] = b
	return nil
}

// Close stops the stores and closes the database.
func (n *Node) Close() error {
	if n.Ledger != nil {
		n.Ledger.Close()
	}
	if n.Store != nil {
		n.Store.Close()
	}
	if n.Shield != nil {
		n.Shield.Store.Close()
	}
	if n.Einvoice != nil {
		n.Einvoice.Store.Close()
	}
	if n.Trust != nil && n.Trust.Store != nil {
		n.Trust.Store.Close()
	}
	if n.BackupDB != nil {
		n.BackupDB.Close()
	}
	return n.DB.Close()
}
