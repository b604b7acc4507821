// Package einvoicetest starts the e-invoice parties in process for tests,
// benchmarks and demos: a tax system with its own CA and invoice signer,
// sellers, and buyers with synthetic faces, each on a fresh store.
package einvoicetest

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/einvoice"
	"trustbank/einvoice/biometric"
	"trustbank/einvoice/invoice"
	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/shield/ca"
	"trustbank/shield/ca/cert"
)

// TaxBureau is the organization the test invoice signer is certified for.
var TaxBureau = cert.Organization{Name: "国家税务总局 电子发票服务平台", TaxID: "11100000000013127D"}

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Options configure an Env.
type Options struct {
	// DB returns a fresh database for the system and for each seller;
	// nil: a fresh SQLite file each (see PostgresDB).
	DB func(testing.TB) dbtest.Target
	// Link is how the system reaches sellers; nil: in process
	// (Env.Sellers).
	Link einvoice.SellerLink
}

// SQLiteDB is a fresh SQLite database.
func SQLiteDB(t testing.TB) dbtest.Target { return dbtest.Target{Path: dbtest.SQLitePath(t)} }

// PostgresDB is a fresh schema in the test PostgreSQL database
// (dbtest.PostgresDSN: skipped without one, fatal under CI).
func PostgresDB(t testing.TB) dbtest.Target {
	dsn := dbtest.PostgresDSN(t)
	return dbtest.Target{DSN: dsn, Schema: dbtest.PostgresSchema(t, dsn)}
}

// Env is one tax system and the sellers it knows.
type Env struct {
	Clock   *Clock
	Root    *smx509.Certificate // invoices chain to it
	Master  *einvoice.MasterKey
	Key     *sm2.PrivateKey
	Signer  *invoice.Signer
	Store   *einvoice.SQLStore
	System  *einvoice.System
	Sellers einvoice.LocalSellers
	// Target is the system's database (reopen it to restart the system).
	Target dbtest.Target
	db     func(testing.TB) dbtest.Target
	link   einvoice.SellerLink
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Open opens a fresh database of tg (a new SQLite file if tg is zero),
// closed when the test ends.
func Open(t testing.TB, tg dbtest.Target) *sqldb.DB {
	if tg == (dbtest.Target{}) {
		tg = dbtest.Target{Path: dbtest.SQLitePath(t)}
	}
	db, err := tg.Open(context.Background())
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// NewStore returns an einvoice store on the database of tg (a fresh
// SQLite file if tg is zero).
func NewStore(t testing.TB, tg dbtest.Target) *einvoice.SQLStore {
	s, err := einvoice.NewSQLStore(context.Background(), Open(t, tg))
	must(t, err)
	t.Cleanup(s.Close)
	return s
}

// NewSigner makes a CA hierarchy (on its own SQLite store) and an invoice
// signer it certifies; it returns the signer and the root.
func NewSigner(t testing.TB, now time.Time) (*invoice.Signer, *smx509.Certificate) {
	h, err := ca.NewHierarchy("Trustbank Test", now.Add(-time.Hour))
	must(t, err)
	st, err := ca.NewSQLStore(context.Background(), Open(t, dbtest.Target{}))
	must(t, err)
	a, err := ca.New(ca.Config{Organization: "Trustbank Test", CRLURL: "http://ca.trustbank.test/issuing.crl",
		Now: func() time.Time { return now.Add(-time.Minute) }}, h.Root, h.Issuing, h.IssuingKey, st)
	must(t, err)
	s, err := invoice.IssueSigner(context.Background(), a, TaxBureau)
	must(t, err)
	return s, h.Root
}

// New starts a tax system at the current time.
func New(t testing.TB, opts Options) *Env {
	now := time.Now().Truncate(time.Second)
	e := &Env{Clock: NewClock(now), Master: einvoice.NewMasterKey(), Sellers: einvoice.LocalSellers{}, db: opts.DB, link: opts.Link}
	if e.db == nil {
		e.db = SQLiteDB
	}
	if e.link == nil {
		e.link = e.Sellers
	}
	e.Signer, e.Root = NewSigner(t, now)
	var err error
	e.Key, err = sm2.GenerateKey(crand.Reader)
	must(t, err)
	e.Target = e.db(t)
	e.Restart(t)
	return e
}

// Restart opens the system's database again and makes a new System on it
// with the same keys: what a restarted process would have.
func (e *Env) Restart(t testing.TB) {
	if e.Store != nil {
		e.Store.Close() // the old process's group commit stops
	}
	e.Store = NewStore(t, e.Target)
	var err error
	e.System, err = einvoice.NewSystem(einvoice.SystemConfig{Master: e.Master, Key: e.Key, Store: e.Store,
		Signer: e.Signer, Sellers: e.link, Now: e.Clock.Now})
	must(t, err)
}

// BuyerConfig is the app configuration for this system.
func (e *Env) BuyerConfig() einvoice.BuyerConfig {
	return einvoice.BuyerConfig{Root: e.Root, Now: e.Clock.Now}
}

// RegisterSeller registers seller n with the system in process and
// returns its sID and K_j.
func (e *Env) RegisterSeller(t testing.TB, n int, endpoint string) (einvoice.SID, [einvoice.KeyLen]byte) {
	sid := SID(t, n)
	req, pending, err := einvoice.NewSellerRegistration(e.System.PublicKey(), sid, endpoint, e.Clock.Now())
	must(t, err)
	resp, err := e.System.RegisterSeller(context.Background(), req)
	must(t, err)
	kj, err := pending.Finish(resp)
	must(t, err)
	return sid, kj
}

// NewSellerStore is a seller's store on a fresh database.
func (e *Env) NewSellerStore(t testing.TB) *einvoice.SQLStore { return NewStore(t, e.db(t)) }

// NewSeller registers a seller (n picks its sID) with the system, in
// process, gives it a fresh store, and adds it to e.Sellers under
// endpoint.
func (e *Env) NewSeller(t testing.TB, n int, name, endpoint string) *einvoice.Seller {
	sid, kj := e.RegisterSeller(t, n, endpoint)
	s, err := einvoice.NewSeller(einvoice.SellerConfig{SID: sid, Name: name, Key: kj, Store: NewStore(t, e.db(t)), Now: e.Clock.Now})
	must(t, err)
	e.Sellers[endpoint] = s
	return s
}

// Person is a buyer: an ID number, a face, and the app once registered.
type Person struct {
	EID  einvoice.EID
	Name string
	App  *einvoice.Buyer
	face *biometric.SyntheticFace
}

// NewPerson draws a person (n picks the eID and seeds the face).
func NewPerson(t testing.TB, n int, name string) *Person {
	face := biometric.NewSyntheticFace(rand.New(rand.NewPCG(uint64(n), 0x5eed)))
	return &Person{EID: EID(t, n), Name: name, face: face}
}

// LiveSigma is the noise of a test capture (biometric's noise model;
// smaller than its DefaultLiveSigma so tests never meet a false reject).
const LiveSigma = 0.3

// capture is a noisy capture of the person's face.
func (p *Person) capture(sigma float64) biometric.Template { return p.face.Capture(sigma) }

// Face is an ID-photo capture and a live capture of the person.
func (p *Person) Face() einvoice.Face {
	return einvoice.Face{IDPhoto: p.capture(LiveSigma), Live: p.capture(LiveSigma)}
}

// FaceOf is p's ID photo with another person's live face.
func (p *Person) FaceOf(other *Person) einvoice.Face {
	return einvoice.Face{IDPhoto: p.capture(LiveSigma), Live: other.capture(LiveSigma)}
}

// Register registers p with the system in process and keeps the app.
func (e *Env) Register(t testing.TB, p *Person) *einvoice.Buyer {
	req, pending, err := einvoice.NewBuyerRegistration(e.System.PublicKey(), p.EID, p.Face(), e.BuyerConfig())
	must(t, err)
	resp, err := e.System.RegisterBuyer(context.Background(), req)
	must(t, err)
	p.App, err = pending.Finish(resp, e.BuyerConfig())
	must(t, err)
	return p.App
}

// EID returns a valid resident ID number numbered n (0 ≤ n < 1000).
func EID(t testing.TB, n int) einvoice.EID {
	base := fmt.Sprintf("11010519900101%03d", n%1000)
	for _, c := range "0123456789X" {
		if e, err := einvoice.ParseEID(base + string(c)); err == nil {
			return e
		}
	}
	t.Fatalf("no check character for %s", base)
	return einvoice.EID{}
}

// SID returns a valid unified social credit code numbered n.
func SID(t testing.TB, n int) einvoice.SID {
	base := fmt.Sprintf("91110108MA%07d", n%10_000_000)
	for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		if s, err := einvoice.ParseSID(base + string(c)); err == nil {
			return s
		}
	}
	t.Fatalf("no check character for %s", base)
	return einvoice.SID{}
}

// Items is a sample two-line order: 12 pens at 3.50 CNY (13%) and 1.5
// hours of software maintenance at 666.67 CNY (6%).
func Items() []invoice.Item {
	return []invoice.Item{
		{Name: "*办公用品*签字笔", Unit: "支", Quantity: 12_000, UnitPrice: 350, TaxRate: 1300},
		{Name: "*信息技术服务*软件维护", Unit: "小时", Quantity: 1_500, UnitPrice: 66_667, TaxRate: 600},
	}
}

// Recorder is a SellerLink that passes messages to Link and keeps a copy
// of every message 2, 3 and 6 that went through (an eavesdropper on the
// system–seller link). Its hooks, when set, are an active attacker on
// that link: they may replace a message in flight.
type Recorder struct {
	Link einvoice.SellerLink

	OnVerifyRequest  func(*einvoice.VerifyRequest) *einvoice.VerifyRequest
	OnVerifyResponse func(*einvoice.VerifyResponse) *einvoice.VerifyResponse
	OnNotice         func(*einvoice.Notice) *einvoice.Notice

	mu        sync.Mutex
	Verifies  []*einvoice.VerifyRequest
	Responses []*einvoice.VerifyResponse
	Notices   []*einvoice.Notice
}

// Verify implements einvoice.SellerLink.
func (r *Recorder) Verify(ctx context.Context, endpoint string, m *einvoice.VerifyRequest) (*einvoice.VerifyResponse, error) {
	r.mu.Lock()
	r.Verifies = append(r.Verifies, m)
	onReq, onResp := r.OnVerifyRequest, r.OnVerifyResponse
	r.mu.Unlock()
	if onReq != nil {
		m = onReq(m)
	}
	resp, err := r.Link.Verify(ctx, endpoint, m)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.Responses = append(r.Responses, resp)
	r.mu.Unlock()
	if onResp != nil {
		resp = onResp(resp)
	}
	return resp, nil
}

// Notify implements einvoice.SellerLink.
func (r *Recorder) Notify(ctx context.Context, endpoint string, m *einvoice.Notice) error {
	r.mu.Lock()
	r.Notices = append(r.Notices, m)
	on := r.OnNotice
	r.mu.Unlock()
	if on != nil {
		m = on(m)
	}
	return r.Link.Notify(ctx, endpoint, m)
}

// Hook sets the recorder's hooks under its lock (nil clears).
func (r *Recorder) Hook(req func(*einvoice.VerifyRequest) *einvoice.VerifyRequest,
	resp func(*einvoice.VerifyResponse) *einvoice.VerifyResponse, notice func(*einvoice.Notice) *einvoice.Notice) {
	r.mu.Lock()
	r.OnVerifyRequest, r.OnVerifyResponse, r.OnNotice = req, resp, notice
	r.mu.Unlock()
}

// Last returns the last message 2, 3 and 6 recorded (nil if none).
func (r *Recorder) Last() (*einvoice.VerifyRequest, *einvoice.VerifyResponse, *einvoice.Notice) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var v *einvoice.VerifyRequest
	var resp *einvoice.VerifyResponse
	var n *einvoice.Notice
	if len(r.Verifies) > 0 {
		v = r.Verifies[len(r.Verifies)-1]
	}
	if len(r.Responses) > 0 {
		resp = r.Responses[len(r.Responses)-1]
	}
	if len(r.Notices) > 0 {
		n = r.Notices[len(r.Notices)-1]
	}
	return v, resp, n
}
