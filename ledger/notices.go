package ledger

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
)

// inclusion is the inclusion proof of entry idx in the tree of size.
func (b *Bank) inclusion(ctx context.Context, idx, size uint64) ([][]byte, error) {
	nodes, err := proof.Inclusion(idx, size)
	return b.proofHashes(ctx, nodes, err)
}

// proofHashes reads the stored nodes a proof needs and folds them into
// the proof's hashes.
func (b *Bank) proofHashes(ctx context.Context, nodes proof.Nodes, err error) ([][]byte, error) {
	if err != nil {
		return nil, err
	}
	hashes, missing := b.nodes.get(nodes.IDs)
	if len(missing) > 0 {
		ids := make([]compact.NodeID, len(missing))
		for i, m := range missing {
			ids[i] = nodes.IDs[m]
		}
		stored, err := b.store.nodeHashes(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i, m := range missing {
			hashes[m] = stored[i]
		}
	}
	return nodes.Rehash(hashes, TreeHasher.HashChildren)
}

// Consistency is the consistency proof between tree sizes older and newer.
func (b *Bank) Consistency(ctx context.Context, older, newer uint64) ([][]byte, error) {
	nodes, err := proof.Consistency(older, newer)
	return b.proofHashes(ctx, nodes, err)
}

// Checkpoint returns the latest checkpoint (size 0) or the one of size.
func (b *Bank) Checkpoint(ctx context.Context, size uint64) (*Checkpoint, error) {
	return b.store.checkpoint(ctx, size)
}

// Notice rebuilds the settlement notice (QR3) of entry idx against the
// latest checkpoint.
func (b *Bank) Notice(ctx context.Context, idx uint64) (*Settlement, error) {
	e, _, err := b.store.Entry(ctx, idx)
	if err != nil {
		return nil, err
	}
	cp, err := b.store.checkpoint(ctx, 0)
	if err != nil {
		return nil, err
	}
	pr, err := b.inclusion(ctx, idx, cp.Size)
	if err != nil {
		return nil, err
	}
	return &Settlement{Entry: *e, Checkpoint: *cp, Proof: pr}, nil
}

// BalanceNotice is QR4 for entry idx (step 6): the payer's balance after
// it, SM2-encrypted to the payer's key and signed by the bank with the
// entry's hash. SM2 deployments only.
func (b *Bank) BalanceNotice(ctx context.Context, idx uint64) (*Settlement, error) {
	n, err := b.Notice(ctx, idx)
	if err != nil {
		return nil, err
	}
	payer, err := b.account(n.Entry.Payer)
	if err != nil {
		return nil, err
	}
	if payer.tmpl.Scheme != SM2 {
		return nil, fmt.Errorf("%w: %s is an %v account", ErrNoSM2Key, payer.tmpl.Account, payer.tmpl.Scheme)
	}
	bal, err := b.entryBalance(ctx, &n.Entry, n.Entry.Payer, nil)
	if err != nil {
		return nil, err
	}
	pub, err := sm2.NewPublicKey(payer.tmpl.PublicKey)
	if err != nil {
		return nil, err
	}
	var pt [8]byte
	putU64(pt[:], bal)
	ct, err := sm2.Encrypt(rand.Reader, pub, pt[:], nil)
	if err != nil {
		return nil, err
	}
	sig, err := b.signer.Sign(balanceNoticeMsg(n.Entry.Hash(), ct))
	if err != nil {
		return nil, err
	}
	n.Balance, n.BalanceSig = ct, sig
	return n, nil
}

// Parties returns the verifiers of entry idx's payer and payee: the two
// account holders its notices (QR3, QR4) are for. A server answers a
// notice request signed by one of them, or by its operator, and no one
// else (package ledgerhttp).
func (b *Bank) Parties(ctx context.Context, idx uint64) ([]Verifier, error) {
	e, _, err := b.store.Entry(ctx, idx)
	if err != nil {
		return nil, err
	}
	out := make([]Verifier, 0, 2)
	for _, name := range []string{e.Payer, e.Payee} {
		a, err := b.account(name)
		if err != nil {
			return nil, err
		}
		out = append(out, a.verifier)
	}
	return out, nil
}
