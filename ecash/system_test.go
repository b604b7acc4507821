package ecash

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"trustbank/groupsig"
	"trustbank/groupsig/registry"
	"trustbank/internal/sqldb"
	"trustbank/internal/testkeys"
)

var ctx = context.Background()

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var testSchedule = Schedule{
	Genesis:       time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	EpochLength:   24 * time.Hour,
	SpendEpochs:   1,
	DepositEpochs: 2,
	Lookahead:     1,
	Denoms:        []Denom{0, 2, 4, 6, 8}, // 1, 4, 16, 64, 256
}

// party is an account holder: identity, account id and key.
type party struct {
	id, account, bank string
	key               ed25519.PrivateKey
}

func newParty(id string) party {
	_, sk, _ := ed25519.GenerateKey(rand.Reader)
	return party{id: id, account: id + "-acct", key: sk}
}

// system is a whole e-cash deployment in one process on one database:
// the module with two banks, the user registry, a user and two merchants.
type system struct {
	t      testing.TB
	clock  *clock
	store  *SQLStore
	module *Module
	users  *UserRegistry
	banks  map[string]*Bank
	alice  party
	shop   party // banks at B
	cafe   party // banks at A
	member *groupsig.MemberKey
	total  Amount
}

const opening = Amount(10_000)

func newSystem(t testing.TB, db *sqldb.DB) *system {
	t.Helper()
	s := &system{t: t, clock: &clock{t: testSchedule.Genesis.Add(36 * time.Hour)}, banks: map[string]*Bank{}}
	var err error
	s.store, err = NewSQLStore(ctx, db)
	must(t, err)
	reg, err := registry.NewSQLStore(ctx, db)
	must(t, err)
	bankIssuer, bankOpener := newGroup(t, reg, "banks")
	userIssuer, userOpener := newGroup(t, reg, "users")
	s.users = NewUserRegistry(s.store, userIssuer, userOpener, registry.NewPublicKeys(reg, "users"))

	_, id, _ := ed25519.GenerateKey(rand.Reader)
	var master [32]byte
	rand.Read(master[:])
	s.module, err = NewModule(ctx, ModuleConfig{Schedule: testSchedule, Identity: id, MasterKey: master,
		Now: s.clock.Now, GenerateKey: testkeys.RSA, UserEpoch: func() uint64 { return userIssuer.PublicKey().Epoch }},
		s.store, bankIssuer, bankOpener)
	must(t, err)
	for _, name := range []string{"bank-a", "bank-b", "bank-c"} {
		mk, err := s.module.RegisterBank(ctx, name)
		must(t, err)
		rekey := func(ctx context.Context) (*groupsig.MemberKey, error) { return s.module.RegisterBank(ctx, name) }
		s.banks[name], err = NewBank(BankConfig{ID: name, Member: mk, Rekey: rekey, GroupKey: s.module.BankGroupKey,
			Module: s.module, Users: s.users, Now: s.clock.Now}, s.store)
		must(t, err)
	}
	s.alice, s.shop, s.cafe = newParty("alice"), newParty("shop"), newParty("cafe")
	s.alice.bank, s.shop.bank, s.cafe.bank = "bank-a", "bank-b", "bank-a"
	s.open("bank-a", s.alice, opening)
	s.open("bank-b", s.shop, 0)
	s.open("bank-a", s.cafe, 0)
	s.member, err = s.users.Register(ctx, "alice")
	must(t, err)
	return s
}

func newGroup(t testing.TB, store registry.Store, name string) (*registry.Issuer, *registry.Opener) {
	_, ik, ok, err := groupsig.Setup(rand.Reader)
	must(t, err)
	is, err := registry.CreateGroup(ctx, store, name, ik)
	must(t, err)
	op, err := registry.NewOpener(ctx, store, name, ok, ik)
	must(t, err)
	return is, op
}

func (s *system) open(bank string, p party, balance Amount) {
	must(s.t, s.banks[bank].OpenAccount(ctx, p.account, p.id, p.key.Public().(ed25519.PublicKey), balance))
	s.total += balance
}

// wallet returns a wallet for alice, checking the module's key set as a
// wallet would (signature under the pinned module identity).
func (s *system) wallet(device Device) *Wallet {
	enc, _ := s.module.KeySet().MarshalBinary()
	ks, err := ParseKeySet(enc, s.module.IdentityKey())
	must(s.t, err)
	var seed [32]byte
	rand.Read(seed[:])
	return NewWallet(seed, ks, s.member, s.users.Keys(ctx), device)
}

// twin returns a copy of w as another device of the same user would hold
// it: the same seed and user key (so it can prove the coins' escrows), no
// coins, and w's coin counter.
func (s *system) twin(w *Wallet, device Device) *Wallet {
	t := NewWallet(w.seed, w.keys, s.member, s.users.Keys(ctx), device)
	t.next = w.next
	return t
}

func (s *system) merchant(p party) *Merchant {
	return NewMerchant(p.bank, p.account, s.module.KeySet, s.users.Keys(ctx), s.clock.Now)
}

func (s *system) epoch() Epoch { return testSchedule.EpochAt(s.clock.Now()) }

// withdraw takes amount from alice's account at bank-a into w.
func (s *system) withdraw(w *Wallet, amount Amount) {
	s.t.Helper()
	p, err := w.Withdraw(s.alice.account, s.alice.key, amount, s.epoch())
	must(s.t, err)
	resp, err := s.banks["bank-a"].Withdraw(ctx, p.Request)
	must(s.t, err)
	must(s.t, w.Finish(p, resp))
}

// pay has w pay amount to merchant m and returns the accepted payment.
func (s *system) pay(w *Wallet, m *Merchant, amount Amount) *Payment {
	s.t.Helper()
	ch, err := m.Challenge(amount)
	must(s.t, err)
	p, err := w.Pay(ch)
	must(s.t, err)
	must(s.t, m.Accept(p))
	return p
}

func (s *system) deposit(bank string, m *Merchant, who party, p *Payment) (DepositReceipt, error) {
	q, err := m.DepositRequest(p, who.key)
	must(s.t, err)
	return s.banks[bank].Deposit(ctx, q)
}

// checkInvariant: money is neither lost nor created.
func (s *system) checkInvariant() {
	s.t.Helper()
	tot, err := s.store.Totals(ctx)
	must(s.t, err)
	if tot.Balances+tot.Float != s.total || tot.PaidIn != s.total {
		s.t.Fatalf("invariant broken: balances %d + float %d != %d (store says %d paid in)", tot.Balances, tot.Float, s.total, tot.PaidIn)
	}
	if tot.Positions != -int64(tot.Float) {
		s.t.Fatalf("clearing positions %d do not offset the float %d", tot.Positions, tot.Float)
	}
}

func (s *system) balance(bank string, p party) Amount {
	a, err := s.banks[bank].Account(ctx, p.account)
	must(s.t, err)
	return a.Balance
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
