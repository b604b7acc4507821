package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/cloudflare/circl/blindsign/blindrsa"

	"trustbank/attest"
	"trustbank/ecash"
	"trustbank/groupsig"
	"trustbank/internal/bench"
	"trustbank/internal/node"
)

// ecashBench is a deployment on SQLite (durable settings, as served) with a
// TPM-bound wallet, and pools of ready requests: each measured operation
// consumes one, since every withdrawal and deposit must be new.
type ecashBench struct {
	ctx      context.Context
	n        *node.Node
	dev      *attest.Device
	w        *ecash.Wallet
	m        *ecash.Merchant
	alice    ed25519.PrivateKey
	shop     ed25519.PrivateKey
	epoch    ecash.Epoch
	withdraw []*ecash.WithdrawRequest // prepared requests; ops consume them
	deposit  []*ecash.DepositRequest
	nw, nd   atomic.Int64
	cleanup  func()
}

func newEcashBench(ctx context.Context) (*ecashBench, error) {
	dir, err := os.MkdirTemp("", "trustbank-bench-")
	if err != nil {
		return nil, err
	}
	b := &ecashBench{ctx: ctx, cleanup: func() { os.RemoveAll(dir) }}
	sched := node.DefaultSchedule()
	sched.Denoms, sched.Lookahead = sched.Denoms[:7], 0
	if b.dev, err = attest.OpenPath("simulator"); err != nil {
		return nil, err
	}
	golden, err := b.dev.PCRDigest()
	if err != nil {
		return nil, err
	}
	ca, err := standInManufacturer()
	if err != nil {
		return nil, err
	}
	cfg := node.Config{DataDir: dir, Schedule: sched, Golden: [][]byte{golden}, RequireTPM: true, EKCA: ca.PEM()}
	if benchPG != "" {
		cfg.PostgresDSN, cfg.PostgresSchema = benchPG, "bench_"+randHex(6)
		b.cleanup = func() { dropSchema(benchPG, cfg.PostgresSchema); os.RemoveAll(dir) }
	}
	b.n, err = node.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	_, b.alice, _ = ed25519.GenerateKey(rand.Reader)
	_, b.shop, _ = ed25519.GenerateKey(rand.Reader)
	bankA, bankB := b.n.Banks["bank-a"], b.n.Banks["bank-b"]
	if err := bankA.OpenAccount(ctx, "alice", "alice", b.alice.Public().(ed25519.PublicKey), 1<<50); err != nil {
		return nil, err
	}
	if err := bankB.OpenAccount(ctx, "shop", "shop", b.shop.Public().(ed25519.PublicKey), 0); err != nil {
		return nil, err
	}
	mk, err := enrollLocal(ctx, b.n.Enroll, ca, b.dev, "alice")
	if err != nil {
		return nil, err
	}
	var seed [32]byte
	rand.Read(seed[:])
	b.w = ecash.NewWallet(seed, b.n.Module.KeySet(), mk, b.n.Users.Keys(ctx), b.dev)
	b.m = ecash.NewMerchant("bank-b", "shop", b.n.Module.KeySet, b.n.Users.Keys(ctx), nil)
	b.epoch = sched.EpochAt(time.Now())
	return b, errors.Join(b.prepareWithdrawals(1), b.prepareDeposits(1))
}

// prepareWithdrawals makes n fresh one-coin withdrawal requests.
func (b *ecashBench) prepareWithdrawals(n int) error {
	b.withdraw = b.withdraw[:0]
	b.nw.Store(0)
	for range n {
		p, err := b.w.Withdraw("alice", b.alice, 1, b.epoch)
		if err != nil {
			return err
		}
		b.withdraw = append(b.withdraw, p.Request)
	}
	return nil
}

// prepareDeposits makes n fresh one-coin payments, wrapped as deposits.
func (b *ecashBench) prepareDeposits(n int) error {
	b.deposit = b.deposit[:0]
	b.nd.Store(0)
	for len(b.deposit) < n {
		p, err := b.w.Withdraw("alice", b.alice, 127, b.epoch) // coins of 1, 2, 4, …, 64
		if err != nil {
			return err
		}
		resp, err := b.n.Banks["bank-a"].Withdraw(b.ctx, p.Request)
		if err != nil {
			return err
		}
		if err := b.w.Finish(p, resp); err != nil {
			return err
		}
		for v := ecash.Amount(1); v <= 64; v *= 2 { // one payment per coin
			if err := b.payOne(v); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *ecashBench) payOne(v ecash.Amount) error {
	ch, err := b.m.Challenge(v)
	if err != nil {
		return err
	}
	pay, err := b.w.Pay(ch)
	if err != nil {
		return err
	}
	q, err := b.m.DepositRequest(pay, b.shop)
	if err != nil {
		return err
	}
	b.deposit = append(b.deposit, q)
	return nil
}

func (b *ecashBench) close() {
	b.n.Close()
	b.dev.Close()
	b.cleanup()
}

func (b *ecashBench) withdrawOp() error {
	i := b.nw.Add(1) - 1
	if int(i) >= len(b.withdraw) {
		return fmt.Errorf("bench: more withdrawals than prepared")
	}
	_, err := b.n.Banks["bank-a"].Withdraw(b.ctx, b.withdraw[i])
	return err
}

func (b *ecashBench) depositOp() error {
	i := b.nd.Add(1) - 1
	if int(i) >= len(b.deposit) {
		return fmt.Errorf("bench: more deposits than prepared")
	}
	_, err := b.n.Banks["bank-b"].Deposit(b.ctx, b.deposit[i])
	return err
}

// withdrawBound is the bare crypto of one withdrawal: the account
// signature and the platform quote checked, the bank's group signature made
// and checked, and the coin blind-signed.
func (b *ecashBench) withdrawBound() (func() error, error) {
	q := b.withdraw[0]
	acct := b.alice.Public().(ed25519.PublicKey)
	d := q.SignedDigest()
	verifier := attest.NewVerifier(mustGolden(b.dev))
	aik, nonce := b.dev.AIK(), q.QuoteNonce()
	bankKey, _ := b.n.Module.RegisterBank(b.ctx, "bank-a")
	gpk := b.n.Module.BankGroupKey()
	sk, blinded, err := blindSigner()
	if err != nil {
		return nil, err
	}
	return func() error {
		if !ed25519.Verify(acct, d[:], q.Sig) {
			return fmt.Errorf("bench: account signature")
		}
		if err := verifier.VerifyQuote(aik, q.Evidence, nonce); err != nil {
			return err
		}
		gs, err := bankKey.Sign(rand.Reader, gpk, d[:])
		if err != nil {
			return err
		}
		if err := gpk.Verify(d[:], gs); err != nil {
			return err
		}
		_, err = sk.BlindSign(blinded)
		return err
	}, nil
}

// depositBound is the bare crypto of one deposit: the payment decoded, the
// merchant's signature, the coin's RSA signature, the coin key's ECDSA
// signature and the user's group signature, all verified. It cycles
// through 256 distinct deposits, as the measured path sees distinct ones
// (one input over and over would flatter the bound with warm caches).
func (b *ecashBench) depositBound() (func() error, error) {
	if err := b.prepareDeposits(256); err != nil {
		return nil, err
	}
	qs := slices.Clone(b.deposit)
	shop := b.shop.Public().(ed25519.PublicKey)
	ks := b.n.Module.KeySet()
	upk := b.n.Users.CurrentKey()
	users := func(uint64) (*groupsig.PublicKey, error) { return upk, nil }
	var next atomic.Int64
	return func() error {
		q := qs[int(next.Add(1))%len(qs)]
		var p ecash.Payment
		if err := p.UnmarshalBinary(q.Payment); err != nil {
			return err
		}
		d := q.SignedDigest()
		if !ed25519.Verify(shop, d[:], q.Sig) {
			return fmt.Errorf("bench: merchant signature")
		}
		return ecash.VerifyPayment(&p, ks, users, time.Now(), ecash.DepositWindow)
	}, nil
}

func mustGolden(d *attest.Device) []byte {
	g, _ := d.PCRDigest()
	return g
}

// blindSigner returns an RSA-2048 blind signer and a message blinded for
// it: the same work as the module's signing, with a key of its own.
func blindSigner() (blindrsa.Signer, []byte, error) {
	sk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return blindrsa.Signer{}, nil, err
	}
	c, err := blindrsa.NewClient(blindrsa.SHA384PSSDeterministic, &sk.PublicKey)
	if err != nil {
		return blindrsa.Signer{}, nil, err
	}
	m := sha256.Sum256([]byte("bench coin"))
	blinded, _, err := c.Blind(rand.Reader, m[:])
	return blindrsa.NewSigner(sk), blinded, err
}

// benchSpent and benchPG are the --spent and --pg flags.
var (
	benchSpent int
	benchPG    string
)

// preload fills the current epoch's spent registry with n random serials.
func (b *ecashBench) preload(n int) error {
	serials := make([][ecash.SerialSize]byte, n)
	for i := range serials {
		rand.Read(serials[i][:])
	}
	var from [ecash.RequestIDSize]byte
	return b.n.Store.ImportSpent(b.ctx, b.epoch, serials, from)
}

// clients is the number of concurrent requests in the -c cases.
const clients = 32

func ecashCases(ctx context.Context, d time.Duration, rounds int) ([]bench.Case, func(), error) {
	b, err := newEcashBench(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := b.preload(benchSpent); err != nil {
		b.close()
		return nil, nil, err
	}
	wb, err := b.withdrawBound()
	if err != nil {
		b.close()
		return nil, nil, err
	}
	db, err := b.depositBound()
	if err != nil {
		b.close()
		return nil, nil, err
	}
	const wbound = "account sig + quote verify + bank group sign+verify + RSA-2048 blind sign"
	const dbound = "payment decode + merchant sig + coin RSA verify + coin-key ECDSA verify + user group-sig verify"
	// "withdraw" and "deposit" are throughput with clients requests in
	// flight (a server's load: one request's crypto overlaps another's
	// commit, and commits are shared); "-serial" is one request at a time
	// (the latency a single client sees).
	per := clients * parallelBatch
	wp := func(calls int) error { return b.prepareWithdrawals(calls * per) }
	dp := func(calls int) error { return b.prepareDeposits(calls * per) }
	return []bench.Case{
		{Name: "withdraw", Op: parallel(clients, b.withdrawOp), Bound: fmt.Sprintf("%s, %d in parallel", wbound, clients),
			BoundOp: parallel(clients, wb), PerCall: per, Prepare: wp},
		{Name: "deposit", Op: parallel(clients, b.depositOp), Bound: fmt.Sprintf("%s, %d in parallel", dbound, clients),
			BoundOp: parallel(clients, db), PerCall: per, Prepare: dp},
		{Name: "withdraw-serial", Op: b.withdrawOp, Bound: wbound, BoundOp: wb, Prepare: b.prepareWithdrawals},
		{Name: "deposit-serial", Op: b.depositOp, Bound: dbound, BoundOp: db, Prepare: b.prepareDeposits},
	}, b.close, nil
}
