package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"trustbank/attest"
	"trustbank/attest/attesttest"
	"trustbank/ecash"
	"trustbank/groupsig"
	"trustbank/groupsig/registry"
	"trustbank/internal/node"
)

// cny formats minor units (fen) as yuan.
func cny(a ecash.Amount) string { return fmt.Sprintf("%d.%02d CNY", a/100, a%100) }

// ecashStory is the multi-bank e-cash story of seed 000 on a node: two
// banks, a user with a TPM, merchants at either bank, a double spend caught
// and traced, stolen coins that cannot be spent.
func (d *demo) ecashStory(ctx context.Context, n *node.Node, dev *attest.Device, ca *attesttest.CA) error {
	d.section("Multi-bank e-cash with TPM binding (seed 000): packages ecash, attest")
	ks := n.Module.KeySet()
	d.say("module GB", "published %d coin keys (RSA-2048, RFC 9474) for %d denominations, signed with its identity key",
		"merchants and wallets verify every coin with this one key set, whatever the number of banks", len(ks.Keys), len(ks.Schedule.Denoms))
	d.say("banks", "bank-a and bank-b joined the bank group (BBS04)", "a bank's requests to the module are signed anonymously within the bank group")

	mk, err := enrollLocal(ctx, n.Enroll, ca, dev, "alice")
	if err != nil {
		return err
	}
	d.say("alice", "enrolled with the user registry GU: identity and her TPM's attestation key (AIK), bound to the TPM's endorsement key by credential activation",
		"GU checked the EK certificate (here from a stand-in manufacturer CA: the simulator has none) and that this TPM holds the AIK; she holds a user-group key; GU can open her payment signatures, no one else can")
	_, aliceKey, _ := ed25519.GenerateKey(rand.Reader)
	_, shopKey, _ := ed25519.GenerateKey(rand.Reader)
	_, cafeKey, _ := ed25519.GenerateKey(rand.Reader)
	const opening = ecash.Amount(1_000_000)
	for _, a := range []struct {
		bank, id string
		key      ed25519.PrivateKey
		bal      ecash.Amount
	}{{"bank-a", "alice", aliceKey, opening}, {"bank-b", "shop", shopKey, 0}, {"bank-a", "cafe", cafeKey, 0}} {
		if err := n.Banks[a.bank].OpenAccount(ctx, a.id, a.id, a.key.Public().(ed25519.PublicKey), a.bal); err != nil {
			return err
		}
	}
	d.say("banks", "opened accounts: alice at bank-a (%s), merchant shop at bank-b, merchant cafe at bank-a", "", cny(opening))

	enc, _ := ks.MarshalBinary()
	checked, err := ecash.ParseKeySet(enc, n.Module.IdentityKey())
	if err != nil {
		return err
	}
	var seed [32]byte
	rand.Read(seed[:])
	w := ecash.NewWallet(seed, checked, mk, n.Users.Keys(ctx), dev)
	epoch := ks.Schedule.EpochAt(time.Now())
	p, err := w.Withdraw("alice", aliceKey, 30000, epoch)
	if err != nil {
		return err
	}
	resp, err := n.Banks["bank-a"].Withdraw(ctx, p.Request)
	if err != nil {
		return err
	}
	if err := w.Finish(p, resp); err != nil {
		return err
	}
	acct, _ := n.Banks["bank-a"].Account(ctx, "alice")
	d.say("alice", "withdrew %s as %d coins, each bound to a fresh TPM key under PolicyPCR; account now %s", "", cny(30000), len(w.Coins()), cny(acct.Balance))
	d.say("bank-a", "checked alice's signature and a TPM quote of the golden PCRs made over this very request", "the coins were withdrawn on alice's registered platform in its attested state")
	d.say("module GB", "verified bank-a's group signature and blind-signed %d coin messages", "the module never saw the coins it signed: withdrawal and payment cannot be linked", len(resp.BlindSigs))
	backup := w.Coins()

	shop := ecash.NewMerchant("bank-b", "shop", n.Module.KeySet, n.Users.Keys(ctx), nil)
	pay, err := d.pay(w, shop, 25600)
	if err != nil {
		return err
	}
	d.say("shop", "verified alice's payment of %s offline: %d coins, TPM coin-key signatures on its challenge, per coin a user-group signature proving the identity escrow the coin commits to", "one module key set and one user-group key suffice; shop learns neither the payer nor her bank", cny(25600), len(pay.Coins))
	q, _ := shop.DepositRequest(pay, shopKey)
	if _, err := n.Banks["bank-b"].Deposit(ctx, q); err != nil {
		return err
	}
	sacct, _ := n.Banks["bank-b"].Account(ctx, "shop")
	d.say("bank-b", "took shop's deposit: coins entered the module's shared spent registry; shop credited %s", "coins issued through bank-a are deposited at bank-b; the module's float pays bank-b", cny(sacct.Balance))

	// The accomplice: bob, with alice's phone (her TPM) and a copy of her
	// coins, tries to spend them in his own name.
	cafe := ecash.NewMerchant("bank-a", "cafe", n.Module.KeySet, n.Users.Keys(ctx), nil)
	if err := d.accomplice(ctx, n, checked, dev, backup, cafe); err != nil {
		return err
	}
	// The cheat: the same coins again, at another merchant and bank.
	cheat := ecash.NewWallet(seed, checked, mk, n.Users.Keys(ctx), dev)
	cheat.Add(backup...)
	pay2, err := d.pay(cheat, cafe, 25600)
	if err != nil {
		return err
	}
	q2, _ := cafe.DepositRequest(pay2, cafeKey)
	_, err = n.Banks["bank-a"].Deposit(ctx, q2)
	if !errors.Is(err, ecash.ErrDoubleSpend) {
		return fmt.Errorf("demo: double spend not caught: %v", err)
	}
	d.say("cafe", "accepted the same coins offline, then bank-a refused the deposit: %v", "double spending is caught across banks by the one shared registry, atomically", err)
	ev, err := n.Store.DoubleSpends(ctx)
	if err != nil || len(ev) == 0 {
		return fmt.Errorf("demo: no double-spend evidence: %v", err)
	}
	who, err := n.Users.Trace(ctx, ev[len(ev)-1])
	if err != nil {
		return err
	}
	d.say("GU", "opened the user signatures the coin carries in both transcripts: the withdrawer is %q", "both must prove the escrow the coin committed to at withdrawal, so they name the withdrawer whoever presented them", who)

	thief := ecash.NewWallet(seed, checked, mk, n.Users.Keys(ctx), nil)
	thief.Add(w.Coins()...)
	ch, _ := shop.Challenge(thief.Balance())
	if _, err := thief.Pay(ch); !errors.Is(err, ecash.ErrBinding) {
		return fmt.Errorf("demo: stolen coins were spendable: %v", err)
	}
	d.say("thief", "copied alice's remaining coins to a wallet without her TPM and tried to pay: %v", "a stolen coin is useless without its TPM in the attested state", ecash.ErrBinding)

	if err := d.changeAndExpiry(ctx, n, w, shop, shopKey); err != nil {
		return err
	}

	if err := d.revocation(ctx, n, w, shop, shopKey); err != nil {
		return err
	}

	bank, err := n.Module.IssuingBank(ctx, p.Request.ID)
	if err != nil {
		return err
	}
	d.say("module GB", "opened the bank-group signature in its issuance log: issued through %q", "only the module can tell which bank issued; coins do not say", bank)
	tot, err := n.Store.Totals(ctx)
	if err != nil {
		return err
	}
	if tot.Balances+tot.Float != opening {
		return fmt.Errorf("demo: money invariant broken: %+v", tot)
	}
	d.say("auditor", "balances %s + float %s = %s", "no money was lost or created", cny(tot.Balances), cny(tot.Float), cny(opening))
	return nil
}

// pay has w pay amount to m and m accept it.
func (d *demo) pay(w *ecash.Wallet, m *ecash.Merchant, amount ecash.Amount) (*ecash.Payment, error) {
	ch, err := m.Challenge(amount)
	if err != nil {
		return nil, err
	}
	p, err := w.Pay(ch)
	if err != nil {
		return nil, err
	}
	return p, m.Accept(p)
}

// changeAndExpiry: alice needs change for an amount her coins cannot make,
// swaps, pays; then a merchant whose clock is past the spend window
// refuses her last coin.
func (d *demo) changeAndExpiry(ctx context.Context, n *node.Node, w *ecash.Wallet, shop *ecash.Merchant, shopKey ed25519.PrivateKey) error {
	ch, _ := shop.Challenge(1000)
	if _, err := w.Pay(ch); !errors.Is(err, ecash.ErrNeedChange) {
		return fmt.Errorf("demo: expected to need change: %v", err)
	}
	ks := n.Module.KeySet()
	ps, err := w.Change(1000, ks.Schedule.EpochAt(time.Now()), time.Now())
	if err != nil {
		return err
	}
	resp, err := n.Module.Swap(ctx, ps.Request, n.Users.Keys(ctx))
	if err != nil {
		return err
	}
	if err := w.FinishSwap(ps, resp); err != nil {
		return err
	}
	d.say("alice", "could not make %s from her coins, so swapped %d of them at the module for %d fresh coins of the same value", "change without a bank account: inputs spent and outputs issued atomically, the float unchanged",
		cny(1000), len(ps.Request.Inputs.Coins), len(resp.BlindSigs))
	pay, err := d.pay(w, shop, 1000)
	if err != nil {
		return err
	}
	q, _ := shop.DepositRequest(pay, shopKey)
	if _, err := n.Banks["bank-b"].Deposit(ctx, q); err != nil {
		return err
	}
	d.say("shop", "took %s in the fresh coins and deposited them", "", cny(1000))

	until := ks.Schedule.SpendUntil(ks.Schedule.EpochAt(time.Now()))
	late := ecash.NewMerchant("bank-b", "shop", n.Module.KeySet, n.Users.Keys(ctx), func() time.Time { return until.Add(time.Hour) })
	coin := w.Coins()[0]
	ch, _ = late.Challenge(coin.Value())
	p, err := w.Pay(ch)
	if err != nil {
		return err
	}
	err = late.Accept(p)
	if !errors.Is(err, ecash.ErrExpired) {
		return fmt.Errorf("demo: expired coin accepted: %v", err)
	}
	w.Add(p.Coins...)
	d.say("shop", "an hour after the coins' spend window (ends %s) refused one: %v", "expired coins are refused; their epoch's spent registry is then dropped whole (Module.Prune), so it never grows without bound",
		until.UTC().Format("2006-01-02"), err)
	return nil
}

// accomplice: bob holds alice's TPM and a copy of her coins but must prove
// the identity escrow each coin commits to, which only alice can.
func (d *demo) accomplice(ctx context.Context, n *node.Node, ks *ecash.KeySet, dev *attest.Device, coins []ecash.Coin, cafe *ecash.Merchant) error {
	bobKey, err := n.Users.Register(ctx, "bob")
	if err != nil {
		return err
	}
	var seed [32]byte
	rand.Read(seed[:])
	bob := ecash.NewWallet(seed, ks, bobKey, n.Users.Keys(ctx), dev)
	bob.Add(coins...)
	ch, _ := cafe.Challenge(bob.Balance())
	if _, err := bob.Pay(ch); !errors.Is(err, groupsig.ErrEscrowMismatch) {
		return fmt.Errorf("demo: the accomplice paid with alice's coins: %v", err)
	}
	d.say("bob", "alice's accomplice, with her phone and a copy of her coins, tried to pay the cafe in his own name: %v", "every coin carries an escrow of its withdrawer's credential, sealed under the blind signature; only she can prove it, so a double spend always names her", groupsig.ErrEscrowMismatch)
	return nil
}

// revocation: GU revokes bob; the group moves on, the module makes coin
// keys for the new user epoch; bob's published key frames nobody and pays
// for nothing new; alice updates and pays on.
func (d *demo) revocation(ctx context.Context, n *node.Node, w *ecash.Wallet, shop *ecash.Merchant, shopKey ed25519.PrivateKey) error {
	rev, err := n.Users.Revoke(ctx, "bob")
	if err != nil {
		return err
	}
	if err := n.Module.EnsureKeys(ctx); err != nil {
		return err
	}
	d.say("GU", "revoked bob: user group now at epoch %d; the module made coin keys for it and signs with no older ones", "the revocation publishes bob's key, so coins may only escrow the current epoch", rev.Epoch)
	old, err := n.Users.Keys(ctx)(rev.Epoch - 1)
	if err != nil {
		return err
	}
	forged := &groupsig.MemberKey{Epoch: rev.Epoch - 1, A: rev.A, X: rev.X}
	sig, err := forged.Sign(rand.Reader, old, []byte("pay 10 CNY"))
	if err != nil {
		return err
	}
	if _, err := n.Users.Open(ctx, []byte("pay 10 CNY"), sig); !errors.Is(err, registry.ErrKeyPublished) {
		return fmt.Errorf("demo: a signature with a published key named someone: %v", err)
	}
	d.say("outsider", "signed with bob's published key at the old epoch; GU's opening: %v", "a published key frames nobody, and no new coin can escrow it", registry.ErrKeyPublished)
	if err := n.Users.CheckActive(ctx, "bob"); !errors.Is(err, ecash.ErrUserRevoked) {
		return fmt.Errorf("demo: a revoked user is still active: %v", err)
	}
	bobKey := &groupsig.MemberKey{Epoch: rev.Epoch - 1, A: rev.A, X: rev.X}
	if _, err := bobKey.Update(rev); !errors.Is(err, groupsig.ErrRevoked) {
		return fmt.Errorf("demo: a revoked key moved on: %v", err)
	}
	d.say("bob", "tried to move his key to the new epoch (%v); every bank refuses his withdrawals (%v)", "a revoked user can neither sign nor withdraw again", groupsig.ErrRevoked, ecash.ErrUserRevoked)
	w.UpdateKeys(n.Module.KeySet())
	if err := w.UpdateMember(rev); err != nil {
		return err
	}
	pay, err := d.pay(w, shop, w.Balance())
	if err != nil {
		return err
	}
	q, _ := shop.DepositRequest(pay, shopKey)
	if _, err := n.Banks["bank-b"].Deposit(ctx, q); err != nil {
		return err
	}
	d.say("alice", "applied the published update (her key moved to epoch %d) and spent her coins from before it: %s", "members who stay keep paying; coins withdrawn before a revocation keep their value", rev.Epoch, cny(pay.Value()))
	return nil
}
