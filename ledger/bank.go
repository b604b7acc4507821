package ledger

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/transparency-dev/merkle/compact"

	"trustbank/internal/money"
)

// ErrBookBroken: the book failed its evidence-chain check when the bank
// opened (or booking failed half-way); it books nothing until Recover.
var ErrBookBroken = errors.New("ledger: book is broken; run check and recover")

// Config is a bank's deployment.
type Config struct {
	Name     string
	Currency string        // ISO 4217 code of the book, e.g. "CNY"
	MaxAge   time.Duration // money older than this is refused (default 30 days)
	MaxSkew  time.Duration // money from further in the future is refused (default 5 minutes)
	MaxBatch int           // entries per group commit (default 512)
	Now      func() time.Time
	// HeadFile keeps the latest signed checkpoint outside the database, to
	// find a rolled-back database at open (head.go); empty: none.
	HeadFile string
}

func (c *Config) defaults() error {
	if err := checkName("bank", c.Name); err != nil {
		return err
	}
	if c.Currency == "" {
		c.Currency = "CNY"
	}
	if err := checkCurrency(c.Currency); err != nil {
		return err
	}
	if c.MaxAge == 0 {
		c.MaxAge = 30 * 24 * time.Hour
	}
	if c.MaxSkew == 0 {
		c.MaxSkew = 5 * time.Minute
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 512
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// MaxAmount bounds the amount of any money booked, MaxBalance every
// balance (opening balances included): 2^53 − 1, see package
// trustbank/internal/money. The openings of a book add up to at most
// money.MaxSupply (2^62), so Totals cannot overflow.
const (
	MaxAmount  = money.MaxAmount
	MaxBalance = money.MaxBalance
)

type account struct {
	tmpl     *Template
	verifier Verifier
	opening  uint64
	balance  uint64 // committed (read under stateMu, written by the committer)
	seq      uint64 // sequenced, including the batch in commit (the loop's, under seqMu)
}

// Bank keeps a book: accounts, the entries, the evidence chains and the
// Merkle log, and a hot backup.
type Bank struct {
	cfg      Config
	keys     *Keys
	signer   Signer
	verifier Verifier
	store    *Store
	backup   *Backup

	mu       sync.RWMutex // guards accounts (the map; balances belong to the loop) and paidIn
	accounts map[string]*account
	paidIn   uint64 // sum of opening balances, ≤ money.MaxSupply

	inflightMu sync.Mutex
	inflight   map[string]bool // money ids between their replay check and their commit
	seen       *seenSet        // moneys booked by this process

	verify    chan struct{} // admission to signature verification (GOMAXPROCS)
	batchKeys chan batchKey // made ahead by keyMaker
	queue     chan *submitted
	stop      chan struct{}
	commits   chan *pendingCommit // from the loop to the committer
	done      chan struct{}

	seqMu   sync.Mutex // the loop's view, and account seq balances
	seq     seqState
	gen     atomic.Uint64 // generation of the view (see seqState)
	pending atomic.Int64  // batches sequenced and not yet committed or failed

	// Committed state.
	stateMu sync.RWMutex
	broken  error
	split   *SplitViewError // the book is behind its own head file: never books
	// changed: the entries the last failed deep check found changed, which
	// Recover restores from the hot backup; changedAll is false when that
	// check dropped faults past MaxFaults (Recover then repairs what it
	// knows and leaves the book stopped for another deep check).
	changed    []uint64
	changedAll bool
	next       uint64
	cp         *Checkpoint

	nodes *nodeCache // Merkle nodes for new entries' proofs
	head  *headFile  // the latest checkpoint, outside the database

	backupQ       chan *batchWrite // committed batches for the backup writer
	backupDone    chan struct{}
	backupPending atomic.Int64 // batches committed and not yet in the backup
	backupErr     atomic.Pointer[error]
}

type submitted struct {
	money   *Money
	encoded []byte
	digest  Digest
	res     chan submitResult
}

type submitResult struct {
	entry *Entry
	cp    *Checkpoint
	err   error
}

var rangeFactory = compact.RangeFactory{Hash: TreeHasher.HashChildren}

// Open opens the bank's book in store, with backup as the hot backup, and
// checks the evidence chain: a broken book opens, but books nothing until
// it is recovered (Check reports where, Recover repairs).
func Open(ctx context.Context, cfg Config, keys *Keys, store *Store, backup *Backup) (*Bank, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	b := &Bank{cfg: cfg, keys: keys, store: store, backup: backup,
		accounts: map[string]*account{}, inflight: map[string]bool{}, nodes: newNodeCache(),
		verify: make(chan struct{}, runtime.GOMAXPROCS(0)), batchKeys: make(chan batchKey, 4),
		queue: make(chan *submitted, 4*cfg.MaxBatch), stop: make(chan struct{}),
		commits: make(chan *pendingCommit), done: make(chan struct{}),
		backupQ: make(chan *batchWrite, 1024), backupDone: make(chan struct{})}
	var err error
	if keys.SM9 != nil {
		b.signer, err = keys.SM9.UserKey(cfg.Name)
	} else if keys.Sign != nil {
		b.signer = keys.Sign
	} else {
		err = errors.New("ledger: bank has no signing key")
	}
	if err != nil {
		return nil, err
	}
	if b.verifier, err = BankVerifier(keys.Scheme(), cfg.Name, keys.PublicKey()); err != nil {
		return nil, err
	}
	b.seen = newSeenSet(cfg.Now().Add(cfg.MaxSkew).UnixMilli())
	if err := b.load(ctx); err != nil {
		return nil, err
	}
	if b.split == nil {
		b.head = startHead(cfg.HeadFile, b.CheckpointNote)
		b.head.offer(b.cp)
	}
	go b.keyMaker()
	go b.loop()
	go b.committer()
	if b.backup != nil {
		go b.backupWriter()
	} else {
		close(b.backupDone)
	}
	return b, nil
}

// load reads accounts and the book's head, replays balances, and checks the chain.
func (b *Bank) load(ctx context.Context) error {
	rows, err := b.store.accounts(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		var t Template
		if err := t.UnmarshalBinary(r.template); err != nil {
			return fmt.Errorf("ledger: stored template of %s: %w", r.name, err)
		}
		v, err := AccountVerifier(&t, b.keys.PublicKey())
		if err != nil {
			return err
		}
		if b.paidIn, err = money.AddSupply(b.paidIn, r.opening); err != nil {
			return fmt.Errorf("ledger: stored opening of %s: %w", r.name, err)
		}
		b.accounts[r.name] = &account{tmpl: &t, verifier: v, opening: r.opening, balance: r.opening, seq: r.opening}
	}
	rep, err := b.check(ctx)
	if err != nil {
		return err
	}
	b.next = rep.Size
	b.seq = seqState{next: rep.Size, ecode: rep.lastEcode, prev: rep.lastHash}
	if !rep.OK() {
		b.broken = fmt.Errorf("%w: %s", ErrBookBroken, rep)
	}
	if b.seq.nextBatch, err = b.store.nextBatch(ctx); err != nil {
		return err
	}
	if b.next > 0 {
		cp, err := b.store.checkpoint(ctx, 0)
		if err != nil {
			return err
		}
		if cp.Size != b.next && rep.OK() {
			return fmt.Errorf("ledger: latest checkpoint has size %d, book has %d entries", cp.Size, b.next)
		}
		b.cp = cp
	}
	if err := b.checkHead(ctx); err != nil {
		return err
	}
	if err := b.migrateHead(ctx); err != nil {
		return err
	}
	ids := compact.RangeNodes(0, b.next, nil)
	hashes, err := b.store.nodeHashes(ctx, ids)
	if err != nil {
		return fmt.Errorf("ledger: Merkle log: %w", err)
	}
	if b.seq.rng, err = rangeFactory.NewRange(0, b.next, hashes); err != nil {
		return err
	}
	if b.broken != nil {
		return nil
	}
	if b.backup != nil {
		if _, err := b.backup.catchUp(ctx, b.store, b.next); err != nil {
			return fmt.Errorf("ledger: hot backup catch-up: %w", err)
		}
	}
	bals, err := b.bookBalances(ctx, b.next)
	if err != nil {
		return err
	}
	setBalances(bals)
	return nil
}

// Close stops booking after the batch in progress. It does not close the stores.
func (b *Bank) Close() {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	<-b.done
}

// Name is the bank's name.
func (b *Bank) Name() string { return b.cfg.Name }

// Currency is the book's currency.
func (b *Bank) Currency() string { return b.cfg.Currency }

// Scheme is the deployment's signature scheme.
func (b *Bank) Scheme() Scheme { return b.keys.Scheme() }

// PublicKey is the bank's public key (SM2 key or SM9 master public key).
func (b *Bank) PublicKey() []byte { return b.keys.PublicKey() }

// Verifier checks the bank's signatures.
func (b *Bank) Verifier() Verifier { return b.verifier }

// OpenAccount opens an SM2 account with public key pub and an opening
// balance (cash paid in), and returns its template (QR1).
func (b *Bank) OpenAccount(ctx context.Context, name string, pub []byte, opening uint64) (*Template, error) {
	if b.Scheme() != SM2 {
		return nil, fmt.Errorf("ledger: this bank uses %v: use OpenSM9Account", b.Scheme())
	}
	if _, err := NewSM2Verifier(pub, nil); err != nil {
		return nil, err
	}
	return b.openAccount(ctx, name, pub, opening)
}

// OpenSM9Account opens an account in an SM9 deployment and returns its
// template and its signing key, issued by the bank as key generation centre.
func (b *Bank) OpenSM9Account(ctx context.Context, name string, opening uint64) (*Template, *SM9Signer, error) {
	if b.Scheme() != SM9 {
		return nil, nil, fmt.Errorf("ledger: this bank uses %v: use OpenAccount", b.Scheme())
	}
	key, err := b.keys.SM9.UserKey(name)
	if err != nil {
		return nil, nil, err
	}
	t, err := b.openAccount(ctx, name, nil, opening)
	return t, key, err
}

func (b *Bank) openAccount(ctx context.Context, name string, pub []byte, opening uint64) (*Template, error) {
	if err := money.CheckBalance(opening); err != nil {
		return nil, fmt.Errorf("ledger: opening %s: %w", name, err)
	}
	t := &Template{Bank: b.cfg.Name, Issued: b.cfg.Now().UnixMilli(), Currency: b.cfg.Currency,
		Account: name, Scheme: b.Scheme(), PublicKey: pub}
	if err := checkName("account", name); err != nil {
		return nil, err
	}
	for i, m := range t.fields() {
		sig, err := b.signer.Sign(m)
		if err != nil {
			return nil, err
		}
		switch i {
		case 0:
			t.Sig1 = sig
		case 1:
			t.Sig2 = sig
		case 2:
			t.Sig3 = sig
		}
	}
	enc, err := t.MarshalBinary()
	if err != nil {
		return nil, err
	}
	v, err := AccountVerifier(t, b.keys.PublicKey())
	if err != nil {
		return nil, err
	}
	// The loop reads accounts under b.mu: hold it across the insert so a
	// new account's balance is never seen half-made.
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.accounts[name]; ok {
		return nil, fmt.Errorf("%w: %s", ErrAccountExists, name)
	}
	paidIn, err := money.AddSupply(b.paidIn, opening)
	if err != nil {
		return nil, fmt.Errorf("ledger: opening %s: %w", name, err)
	}
	if err := b.store.insertAccount(ctx, name, enc, opening, t.Issued); err != nil {
		return nil, err
	}
	b.paidIn = paidIn
	b.accounts[name] = &account{tmpl: t, verifier: v, opening: opening, balance: opening, seq: opening}
	return t, nil
}

// Template returns the template of account name.
func (b *Bank) Template(name string) (*Template, error) {
	a, err := b.account(name)
	if err != nil {
		return nil, err
	}
	return a.tmpl, nil
}

func (b *Bank) account(name string) (*account, error) {
	b.mu.RLock()
	a, ok := b.accounts[name]
	b.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownAccount, name)
	}
	return a, nil
}

// Submit books money submitted by its payee (step 3 → 4) and returns the
// settlement notice (QR3, step 5). It returns only after the entry is
// durable in the book; the hot backup takes it after that (see the
// package documentation).
func (b *Bank) Submit(ctx context.Context, s *Submission) (*Settlement, error) {
	if err := b.brokenErr(); err != nil {
		return nil, err
	}
	m := &s.Money
	enc, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if m.Currency != b.cfg.Currency {
		return nil, fmt.Errorf("%w: %s, the book is in %s", ErrCurrency, m.Currency, b.cfg.Currency)
	}
	if err := money.CheckAmount(m.Amount); err != nil {
		return nil, fmt.Errorf("ledger: money of %s at %d: %w", m.Payer, m.Time, err)
	}
	now := b.cfg.Now()
	t := time.UnixMilli(m.Time)
	if t.After(now.Add(b.cfg.MaxSkew)) || t.Before(now.Add(-b.cfg.MaxAge)) {
		return nil, fmt.Errorf("%w: made at %s", ErrExpired, t.UTC().Format(time.RFC3339))
	}
	payer, err := b.account(m.Payer)
	if err != nil {
		return nil, err
	}
	payee, err := b.account(m.Payee)
	if err != nil {
		return nil, err
	}
	d := sm3.Sum(enc)
	id := string(m.id())
	b.inflightMu.Lock()
	if b.inflight[id] {
		b.inflightMu.Unlock()
		return nil, fmt.Errorf("%w: %s at %d is being booked", ErrReplayed, m.Payer, m.Time)
	}
	b.inflight[id] = true
	b.inflightMu.Unlock()
	defer func() {
		b.inflightMu.Lock()
		delete(b.inflight, id)
		b.inflightMu.Unlock()
	}()
	if !b.seen.covers(m.Time) || b.seen.has(m.id()) {
		idx, booked, err := b.store.moneyBooked(ctx, m.Payer, m.Time)
		if err != nil {
			return nil, err
		}
		if booked {
			// Refused, as the paper says; the index lets a payee whose first
			// answer was lost fetch its settlement notice (Notice).
			return nil, b.replayed(ctx, m, idx)
		}
	}
	if err := b.verifySubmission(ctx, s, d, payer, payee); err != nil {
		return nil, err
	}
	p := &submitted{money: m, encoded: enc, digest: d, res: make(chan submitResult, 1)}
	select {
	case b.queue <- p:
	case <-b.stop:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var r submitResult
	select {
	case r = <-p.res: // the loop answers all it takes
	case <-b.done:
		// Closed: the loop answered p before it stopped, or never took it
		// (queued after the loop's last drain).
		select {
		case r = <-p.res:
		default:
			return nil, ErrClosed
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	pr, err := b.inclusion(ctx, r.entry.Index, r.cp.Size)
	if err != nil {
		return nil, fmt.Errorf("ledger: booked as entry %d, but its inclusion proof could not be read (fetch the notice again): %w", r.entry.Index, err)
	}
	return &Settlement{Entry: *r.entry, Checkpoint: *r.cp, Proof: pr}, nil
}

// replayed is the refusal of money booked as entry idx; it says so if
// that entry's row is lost from the book (its money stays booked: the
// replay check reads ledger_moneys, never the entry).
func (b *Bank) replayed(ctx context.Context, m *Money, idx uint64) error {
	present, err := b.store.entryPresent(ctx, idx)
	if err == nil && !present {
		return fmt.Errorf("%w: %s at %d, as entry %d, which is lost from the book (run check and recover)", ErrReplayed, m.Payer, m.Time, idx)
	}
	return fmt.Errorf("%w: %s at %d, as entry %d", ErrReplayed, m.Payer, m.Time, idx)
}

// verifySubmission checks the payee's submission signature and the money's
// five field signatures, at most GOMAXPROCS at a time.
func (b *Bank) verifySubmission(ctx context.Context, s *Submission, d Digest, payer, payee *account) error {
	select {
	case b.verify <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-b.verify }()
	if !payee.verifier.Verify(submitMsg(d), s.Sig) {
		return fmt.Errorf("%w: not signed by %s", ErrNotPayee, s.Money.Payee)
	}
	return s.Money.Verify(payer.verifier)
}

// Size is the number of entries in the book.
func (b *Bank) Size() uint64 {
	b.stateMu.RLock()
	defer b.stateMu.RUnlock()
	return b.next
}

func putU64(b []byte, v uint64) {
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}
