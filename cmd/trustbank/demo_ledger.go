package main

import (
	"context"
	"fmt"
	"time"

	"trustbank/internal/node"
	"trustbank/ledger"
)

// ledgerStory is the evidence-chain ledger of seed 001 on the node's
// ledger bank: templates, the six steps with QR codes, a thief and a
// replay refused, a record deleted from the book, located by the chain,
// reconstructed from the balances and lsum, and restored from the hot
// backup; an auditor's consistency check.
func (d *demo) ledgerStory(ctx context.Context, n *node.Node) error {
	d.section("Evidence-chain ledger with digital account money (seed 001): package ledger")
	bank := n.Ledger
	bv := bank.Verifier()
	accts := map[string]*ledger.Account{}
	keys := map[string]*ledger.SM2Signer{}
	for _, a := range []struct {
		name    string
		opening uint64
	}{{"alice", 500_000}, {"bob", 100_000}, {"carol", 100_000}} {
		s, err := ledger.GenerateSM2()
		if err != nil {
			return err
		}
		t, err := bank.OpenAccount(ctx, "ledger-"+a.name, s.PublicKey(), a.opening)
		if err != nil {
			return err
		}
		accts[a.name], keys[a.name] = ledger.NewAccount(t, s), s
	}
	tb, _ := accts["alice"].Template.MarshalBinary()
	d.say(bank.Name(), "issued templates (QR1, %d bytes) to alice, bob and carol: bank, time, currency, account and key, each field signed (SM2/SM3)",
		"anyone can check offline that an account belongs to this bank", len(tb))

	now := time.Now()
	coll, err := accts["bob"].Collect(12_000, "bicycle repair", now)
	if err != nil {
		return err
	}
	d.say("bob", "asked alice for %s with a collection notice (step 1), signed, carrying his template", "", cny2(12_000))
	m, err := accts["alice"].Pay(coll, bv, nil, now)
	if err != nil {
		return err
	}
	mb, _ := m.MarshalBinary()
	img, err := ledger.QRPNG(mb, 0)
	if err != nil {
		return err
	}
	back, err := ledger.QRDecodePNG(img)
	if err != nil {
		return err
	}
	d.say("alice", "checked bob's notice and wrote digital money (QR2, %d bytes; the paper's CPK: ~300): five fields, each signed by her key, payee bob",
		fmt.Sprintf("the money went through a QR code (%d-byte PNG) and came back byte for byte: %v", len(img), string(back) == string(mb)), len(mb))

	thief := &ledger.Submission{Money: *m}
	thief.Sig, _ = accts["carol"].Signer.Sign(ledger.SubmitMessage(m.Digest()))
	if _, err := bank.Submit(ctx, thief); err != nil {
		d.say("carol", "found a copy of the money and submitted it", fmt.Sprintf("refused: %v — money is worth something only to its payee", err))
	} else {
		return fmt.Errorf("demo: the thief's submission was booked")
	}
	sub, _ := accts["bob"].Submit(m)
	st, err := bank.Submit(ctx, sub)
	if err != nil {
		return err
	}
	if err := st.Verify(bv); err != nil {
		return err
	}
	d.say("bob", "submitted the money (step 3); the bank verified every field, booked entry %d (step 4) and sent the settlement notice (QR3, step 5)",
		fmt.Sprintf("the notice's inclusion proof verifies against the bank-signed checkpoint of %d entries", st.Checkpoint.Size), st.Entry.Index)
	if _, err := bank.Submit(ctx, sub); err != nil {
		d.say("bob", "submitted the same money again", fmt.Sprintf("refused: %v", err))
	}
	bn, err := bank.BalanceNotice(ctx, st.Entry.Index)
	if err != nil {
		return err
	}
	bal, err := ledger.OpenBalance(bn, keys["alice"].Key())
	if err != nil {
		return err
	}
	d.say(bank.Name(), "sent alice her balance notice (QR4, step 6): her new balance encrypted to her key", fmt.Sprintf("alice decrypted it: %s; the book stores balances SM4-encrypted", cny2(bal)))
	rc, err := accts["bob"].Receipt(m, st, now)
	if err != nil {
		return err
	}
	if err := ledger.Trace(&ledger.Evidence{Collection: coll, Payer: accts["alice"].Template, Money: m, Settlement: st, Balance: bn, Receipt: rc}, bv, nil); err != nil {
		return err
	}
	d.say("bob", "gave alice a receipt (QR5) naming the money and the settlement notice",
		"the three books (bank, payer, payee) link into one evidence chain: every step checks")

	// More business, then a record goes missing.
	names := []string{"alice", "bob", "carol"}
	purposes := []string{"rent", "groceries", "books"}
	for i := range 9 {
		payer, payee := accts[names[i%3]], names[(i+1)%3]
		m, err := payer.Money("ledger-"+payee, uint64(1000+100*i), purposes[i%3], now.Add(time.Duration(i+1)*time.Millisecond))
		if err != nil {
			return err
		}
		s, _ := accts[payee].Submit(m)
		if _, err := bank.Submit(ctx, s); err != nil {
			return err
		}
	}
	before, _ := bank.Totals()
	cp, err := bank.Checkpoint(ctx, 0)
	if err != nil {
		return err
	}
	k := st.Entry.Index + 5
	if err := n.LedgerStore.DeleteEntry(ctx, k); err != nil {
		return err
	}
	d.say("attacker", "deleted entry %d from the bank's book (the paper's 丢失的账单)", "", k)
	rep, err := bank.Check(ctx)
	if err != nil {
		return err
	}
	d.say(bank.Name(), "checked the evidence chain: %s", "the exact position of the lost record is named; booking stops until it is recovered", rep)
	clue, err := bank.Reconstruct(ctx, k)
	if err != nil {
		return err
	}
	d.say(bank.Name(), "reconstructed entry %d from the book alone: %s paid %s to %s for %q (confirmed against lsum: %v)",
		"amount from the balance jumps, lsum from the neighbours' chain codes, purpose and time by enumeration", k, clue.Payer, cny2(clue.Amount), clue.Payee, clue.Purpose, clue.Confirmed)
	got, rep, err := bank.Recover(ctx)
	if err != nil {
		return err
	}
	d.say(bank.Name(), "restored %d entry from the hot backup (served by index only) after checking its signatures, both chains and its Merkle leaf: %s",
		"", len(got), rep)
	after, _ := bank.Totals()
	latest, err := bank.Checkpoint(ctx, 0)
	if err != nil {
		return err
	}
	pr, err := bank.Consistency(ctx, cp.Size, latest.Size)
	if err != nil {
		return err
	}
	if err := ledger.VerifyConsistency(bv, cp, latest, pr); err != nil {
		return err
	}
	d.say("auditor", "checked that the log of %d entries is consistent with the checkpoint it saw before the loss", "the bank did not rewrite its history", latest.Size)
	if before != after {
		return fmt.Errorf("demo: ledger balances %d before the loss, %d after recovery", before, after)
	}
	bals, open := bank.Totals()
	d.say(bank.Name(), "sum of balances %s = sum of opening balances %s", "no money was lost or created in the ledger", cny2(bals), cny2(open))
	return nil
}

func cny2(v uint64) string { return fmt.Sprintf("%d.%02d CNY", v/100, v%100) }
