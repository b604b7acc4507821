package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"trustbank/internal/bench"
	"trustbank/shield/bank"
	"trustbank/shield/card"
	"trustbank/shield/card/pcsc"
	"trustbank/shield/middleware"
	"trustbank/shield/middleware/middlewaretest"
)

// shieldBench is the film-shield system in one process: the bank server
// on SQLite, the CA, shieldClients virtual cards behind the middleware
// (in process), each enrolled to its own account, and, when pcscd with
// vpcd is there, one more card behind PC/SC.
type shieldBench struct {
	ctx      context.Context
	s        *middlewaretest.System
	clients  chan *shieldClient // idle clients; an op takes one and gives it back
	pcscDev  *bank.Device
	mu       sync.Mutex
	lat      map[string][]time.Duration // per case
	closers  []func()
	pcscNote string
}

// shieldClient is one customer's phone: a card, its device and a session.
type shieldClient struct {
	id  string
	dev *bank.Device
	ses *bank.Session
}

// shieldClients is how many customers have requests in flight at once in
// the parallel cases (a server's load: one request's crypto overlaps
// another's commit, and commits are shared), as in bench ecash. On two
// cores with SQLite on disk, 16 in flight reach efficiency 0.44/0.44
// (login/transaction), 32 reach 0.46/0.52, 64 reach 0.54/0.52: the
// logins that wait for one fsync compute together and leave the disk
// idle meanwhile, so it takes about two batches in flight to overlap
// them. The bound is the same crypto on as many goroutines.
const shieldClients = 64

const (
	shieldAlice = "6222020200112233445"
	shieldBob   = "6222020200998877665"
	shieldCarol = "6222020200556677889"
	shieldVPCD  = "Virtual PCD 00 00"
)

func newShieldBench(ctx context.Context) (*shieldBench, error) {
	dir, err := os.MkdirTemp("", "trustbank-bench-shield-")
	if err != nil {
		return nil, err
	}
	b := &shieldBench{ctx: ctx, closers: []func(){func() { os.RemoveAll(dir) }}}
	if b.s, err = middlewaretest.New(ctx, dir); err != nil {
		return nil, b.fail(err)
	}
	b.closers = append(b.closers, b.s.Close)
	for _, id := range []string{shieldBob, shieldCarol} {
		if err := b.s.Customer(ctx, id, 1<<40); err != nil {
			return nil, b.fail(err)
		}
	}
	b.lat = map[string][]time.Duration{}
	b.clients = make(chan *shieldClient, shieldClients)
	for i := range shieldClients {
		c, err := b.client(fmt.Sprintf("%s%02d", shieldAlice[:len(shieldAlice)-2], i))
		if err != nil {
			return nil, b.fail(err)
		}
		b.clients <- c
	}
	return b, b.fail(b.startPCSC())
}

// client opens an account id, enrolls a fresh card for it and logs in.
func (b *shieldBench) client(id string) (*shieldClient, error) {
	if err := b.s.Customer(b.ctx, id, 1<<40); err != nil {
		return nil, err
	}
	c, err := middlewaretest.NewCard(b.s.H.Root)
	if err != nil {
		return nil, err
	}
	cl := &shieldClient{id: id}
	if cl.dev, err = b.device(c.Card, c.Sandbox, id); err != nil {
		return nil, err
	}
	cl.ses, err = b.s.Login(b.ctx, cl.dev, id)
	return cl, err
}

// device opens the middleware over t, verifies the PIN and enrolls id.
func (b *shieldBench) device(t card.Transport, sb *middleware.Sandbox, id string) (*bank.Device, error) {
	mw, err := b.s.Middleware(t, sb)
	if err != nil {
		return nil, err
	}
	b.closers = append(b.closers, func() { mw.Close() })
	if err := mw.VerifyPIN([]byte(middlewaretest.PIN)); err != nil {
		return nil, err
	}
	d := b.s.Device(mw)
	return d, b.s.Enroll(b.ctx, d, id)
}

// startPCSC serves a second card through vpcd and enrolls carol over
// PC/SC; without pcscd and vpcd it is an error under CI, a note elsewhere.
func (b *shieldBench) startPCSC() error {
	rs, _ := pcsc.Readers()
	if !slices.Contains(rs, shieldVPCD) {
		if ci := os.Getenv("CI"); ci != "" && !strings.EqualFold(ci, "false") && ci != "0" {
			return fmt.Errorf("bench shield: pcscd with vpcd (reader %q) is not available; CI must provide it", shieldVPCD)
		}
		b.pcscNote = "not measured: pcscd with vsmartcard-vpcd is not available"
		return nil
	}
	c, err := middlewaretest.NewCard(b.s.H.Root)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(b.ctx)
	served := make(chan error, 1)
	go func() { served <- card.ServeVPCD(sctx, "127.0.0.1:35963", c.Card) }()
	b.closers = append(b.closers, func() { cancel(); <-served })
	r, err := pcsc.Connect(shieldVPCD, 15*time.Second)
	if err != nil {
		return err
	}
	b.closers = append(b.closers, func() { r.Close() })
	b.pcscDev, err = b.device(r, c.Sandbox, shieldCarol)
	return err
}

func (b *shieldBench) fail(err error) error {
	if err != nil {
		b.close()
	}
	return err
}

func (b *shieldBench) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
	b.closers = nil
}

// timed runs op with an idle client and records its latency under name.
func (b *shieldBench) timed(name string, op func(*shieldClient) error) func() error {
	return func() error {
		c := <-b.clients
		defer func() { b.clients <- c }()
		start := time.Now()
		err := op(c)
		d := time.Since(start)
		b.mu.Lock()
		b.lat[name] = append(b.lat[name], d)
		b.mu.Unlock()
		return err
	}
}

func (b *shieldBench) login(c *shieldClient) error {
	_, err := b.s.Login(b.ctx, c.dev, c.id)
	return err
}

func (b *shieldBench) transaction(c *shieldClient) error {
	_, err := b.s.Pay(b.ctx, c.dev, c.ses, bank.Payment{Account: c.id, Payee: shieldBob, PayeeName: "Bob", Amount: 1})
	return err
}

func (b *shieldBench) loginPCSC(*shieldClient) error {
	_, err := b.s.Login(b.ctx, b.pcscDev, shieldCarol)
	return err
}

// pkBound is the public-key crypto of one round trip done bare: signs
// SM2 signatures, verifies verifications, and crypts SM2 encryptions
// with as many decryptions.
func pkBound(signs, verifies, crypts int) (func() error, error) {
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	msg := make([]byte, 200)
	sig, err := sm2.SignASN1(rand.Reader, k, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		return nil, err
	}
	return func() error {
		for range signs {
			if _, err := sm2.SignASN1(rand.Reader, k, msg, sm2.DefaultSM2SignerOpts); err != nil {
				return err
			}
		}
		for range verifies {
			if !sm2.VerifyASN1WithSM2(&k.PublicKey, nil, msg, sig) {
				return errors.New("bench shield: bound signature does not verify")
			}
		}
		for range crypts {
			ct, err := sm2.EncryptASN1(rand.Reader, &k.PublicKey, msg)
			if err != nil {
				return err
			}
			if _, err := sm2.Decrypt(k, ct); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// Round trips and their public-key crypto:
//
//	login        server signs the challenge, device verifies it, card signs,
//	             server verifies the chain (leaf, issuing CA) and the signature
//	transaction  server verifies the chain, signs and encrypts the order;
//	             card decrypts, device verifies, card signs; server verifies
//	             the chain and the signature
const (
	loginBound = "2 SM2 signs + 4 SM2 verifies (server sign, device verify, card sign, server chain 2 + signature)"
	txBound    = "2 SM2 signs + 6 SM2 verifies + 1 SM2 encryption and decryption"
)

func shieldCases(ctx context.Context, d time.Duration, rounds int) ([]bench.Case, func(), error) {
	b, err := newShieldBench(ctx)
	if err != nil {
		return nil, nil, err
	}
	lb, err1 := pkBound(2, 4, 0)
	tb, err2 := pkBound(2, 6, 1)
	if err := errors.Join(err1, err2); err != nil {
		b.close()
		return nil, nil, err
	}
	// "login" and "transaction" have shieldClients customers in flight,
	// against the same crypto on as many goroutines; "-serial" is one
	// request at a time (the latency a single customer sees).
	per, n := shieldClients*parallelBatch, shieldClients
	cases := []bench.Case{
		{Name: "login", Op: parallel(n, b.timed("login", b.login)), Bound: fmt.Sprintf("%s, %d in parallel", loginBound, n),
			BoundOp: parallel(n, lb), PerCall: per},
		{Name: "transaction", Op: parallel(n, b.timed("transaction", b.transaction)), Bound: fmt.Sprintf("%s, %d in parallel", txBound, n),
			BoundOp: parallel(n, tb), PerCall: per},
		{Name: "login-serial", Op: b.timed("login_serial", b.login), Bound: loginBound, BoundOp: lb},
		{Name: "transaction-serial", Op: b.timed("transaction_serial", b.transaction), Bound: txBound, BoundOp: tb},
	}
	if b.pcscDev != nil {
		cases = append(cases, bench.Case{Name: "login-pcsc", Op: b.timed("login_pcsc", b.loginPCSC),
			Bound: loginBound + ", card over PC/SC (vpcd)", BoundOp: lb})
	}
	shieldActive = b
	return cases, b.close, nil
}

// shieldActive is the running shield bench, for its latency notes.
var shieldActive *shieldBench

func shieldNotes() map[string]string {
	b := shieldActive
	n := map[string]string{"storage": "sqlite (WAL, synchronous=FULL), bank and CA", "transport": "in process (card.Card), SM4 secure messaging"}
	p := func(l []time.Duration, q float64) string {
		if len(l) == 0 {
			return "n/a"
		}
		s := slices.Clone(l)
		slices.Sort(s)
		return s[min(len(s)-1, int(q*float64(len(s))))].String()
	}
	for name, l := range b.lat {
		n[name+"_p50"], n[name+"_p99"], n[name+"_samples"] = p(l, 0.50), p(l, 0.99), fmt.Sprint(len(l))
	}
	if b.pcscDev == nil {
		n["login_pcsc"] = b.pcscNote
	}
	n["clients"] = fmt.Sprint(shieldClients)
	return n
}
