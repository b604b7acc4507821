package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/transparency-dev/merkle/compact"
)

// Failure names the check a stored entry failed in a deep check.
type Failure uint8

const (
	FailMissing    Failure = iota + 1 // no entry is stored at the index
	FailDecode                        // the stored entry or money does not decode
	FailIndex                         // the row of index n holds another entry (a moved or swapped row)
	FailRow                           // the row's payer, payee or money-time columns differ from what it holds
	FailMoney                         // the entry does not book the stored money (digest, payer, payee, amount, lsum)
	FailLSum                          // the money's lsum is not the linear sum of its fields
	FailPayerSig                      // a payer field signature (sig3..sig7) does not verify, or the payer has no trusted template
	FailSign9                         // the bank's signature over the balances does not verify
	FailSign8                         // the bank's signature over the evidence-chain code does not verify
	FailEcode                         // ecode_n ≠ ecode_{n−1} ⊕ lsum_n
	FailHashChain                     // prev_n ≠ SM3(stored entry n−1): entry n−1 or n was changed
	FailMerkleLeaf                    // the stored Merkle leaf is not the leaf hash of the stored entry
	FailChainIndex                    // the chain index record differs from the entry, or is missing
	FailCheckpoint                    // the latest checkpoint: missing, signature, or root ≠ the stored entries' (Index = its size)
)

var failureNames = map[Failure]string{
	FailMissing: "missing", FailDecode: "decode", FailIndex: "index", FailRow: "row", FailMoney: "money",
	FailLSum: "lsum", FailPayerSig: "payer-signature", FailSign9: "sign9", FailSign8: "sign8", FailEcode: "ecode",
	FailHashChain: "hash-chain", FailMerkleLeaf: "merkle-leaf", FailChainIndex: "chain-index", FailCheckpoint: "checkpoint",
}

func (f Failure) String() string {
	if s, ok := failureNames[f]; ok {
		return s
	}
	return fmt.Sprintf("failure(%d)", uint8(f))
}

// Fault is one failed check of one stored entry.
type Fault struct {
	Index   uint64
	Failure Failure
	Detail  string
}

func (f Fault) String() string {
	if f.Failure == FailCheckpoint {
		return fmt.Sprintf("checkpoint of size %d: %s", f.Index, f.Detail)
	}
	return fmt.Sprintf("entry %d: %s (%s)", f.Index, f.Failure, f.Detail)
}

// MaxFaults bounds the faults a deep check keeps; past it, it only counts.
const MaxFaults = 10_000

// DeepReport is the result of a deep check: every fault, by index.
type DeepReport struct {
	Size       uint64      // entries checked: those of Checkpoint
	Checkpoint *Checkpoint // the latest checkpoint, whose root was recomputed (nil if none could be read)
	Faults     []Fault     // in index order
	Dropped    int         // faults past MaxFaults, counted only
	Took       time.Duration
}

// OK reports whether every entry passed every check.
func (r *DeepReport) OK() bool { return len(r.Faults) == 0 && r.Dropped == 0 }

// Changed lists the entries the report finds changed in the book — every
// entry with a fault but a hash-chain link (which blames entry n−1 or n;
// whichever was changed fails its own checks too) or the checkpoint — in
// index order. Recover restores them from the hot backup.
func (r *DeepReport) Changed() []uint64 {
	var out []uint64
	for _, f := range r.Faults {
		if f.Failure == FailHashChain || f.Failure == FailCheckpoint {
			continue
		}
		if n := len(out); n == 0 || out[n-1] != f.Index {
			out = append(out, f.Index)
		}
	}
	return out
}

// Failed lists the checks entry idx failed.
func (r *DeepReport) Failed(idx uint64) []Failure {
	var out []Failure
	for _, f := range r.Faults {
		if f.Index == idx {
			out = append(out, f.Failure)
		}
	}
	return out
}

func (r *DeepReport) String() string {
	if r.OK() {
		return fmt.Sprintf("%d entries deep-checked, every entry whole", r.Size)
	}
	parts := make([]string, 0, len(r.Faults))
	for _, f := range r.Faults[:min(len(r.Faults), 20)] {
		parts = append(parts, f.String())
	}
	if more := len(r.Faults) + r.Dropped - len(parts); more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	return fmt.Sprintf("%d entries deep-checked, %d faults: %s", r.Size, len(r.Faults)+r.Dropped, strings.Join(parts, "; "))
}

// DeepOptions tune a deep check; zero values take the defaults.
type DeepOptions struct {
	Workers int // index ranges checked at once (default GOMAXPROCS)
	Batch   int // entries read per query (default 512): memory is Workers × Batch entries
}

// CheckDeep re-reads every entry of the book and checks it whole: see
// CheckStoreDeep. A book that fails stops booking until Recover, as a
// failed Check does.
func (b *Bank) CheckDeep(ctx context.Context) (*DeepReport, error) {
	rep, err := CheckStoreDeep(ctx, b.store, b.verifier, b.keys.PublicKey(), DeepOptions{})
	if err == nil && !rep.OK() {
		b.stateMu.Lock()
		if b.broken == nil {
			b.broken = fmt.Errorf("%w: deep check: %s", ErrBookBroken, rep)
		}
		b.changed = rep.Changed()
		b.changedAll = rep.Dropped == 0
		b.stateMu.Unlock()
	}
	return rep, err
}

// CheckStoreDeep is the deep check of a book (an auditor holding a copy
// needs only the bank's verifier, and for SM9 its master public key):
// every stored entry of the latest checkpoint is re-read and re-hashed
// against the SM3 hash chain, its Merkle leaf and the chain index; lsum
// is recomputed from the stored money and the XOR chain from the lsums;
// sign8, sign9 and the payer's five field signatures are verified; and the
// Merkle root of all the entries is recomputed against the checkpoint's
// signed root. Workers check index ranges in parallel, reading Batch
// entries per query; the ranges' seams are joined after.
func CheckStoreDeep(ctx context.Context, store *Store, bank Verifier, master []byte, opt DeepOptions) (*DeepReport, error) {
	t0 := time.Now()
	rep := &DeepReport{}
	if err := deepHead(ctx, store, bank, rep); err != nil {
		return nil, fmt.Errorf("ledger: deep check: %w", err)
	}
	keys, err := trustedPayers(ctx, store, bank, master)
	if err != nil {
		return nil, fmt.Errorf("ledger: deep check: %w", err)
	}
	segs := deepSegments(rep.Size, opt)
	done := make(chan error, len(segs))
	for _, sg := range segs {
		go func() { done <- sg.run(ctx, store, keys, max(opt.Batch, 1)) }()
	}
	for range segs {
		err = errors.Join(err, <-done)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: deep check: %w", err)
	}
	rep.join(segs)
	rep.Took = time.Since(t0)
	return rep, nil
}

// deepHead reads the latest checkpoint (the size to check) and verifies
// its signature.
func deepHead(ctx context.Context, store *Store, bank Verifier, rep *DeepReport) error {
	cp, err := store.checkpoint(ctx, 0)
	if err == nil {
		rep.Size, rep.Checkpoint = cp.Size, cp
		if err := cp.Verify(bank); err != nil {
			rep.fault(Fault{cp.Size, FailCheckpoint, "signature does not verify"})
		}
		return nil
	}
	if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrMalformed) {
		return err
	}
	_, top, err2 := store.entryCount(ctx)
	if err2 != nil {
		return err2
	}
	rep.Size = top
	if top > 0 || errors.Is(err, ErrMalformed) {
		rep.fault(Fault{top, FailCheckpoint, fmt.Sprintf("no readable checkpoint: %v", err)})
	}
	return nil
}

// payerKeys are the bank's verifier, the account verifiers of templates
// that verify under it, and why the others are not trusted.
type payerKeys struct {
	bank      Verifier
	verifiers map[string]Verifier
	bad       map[string]string
}

func trustedPayers(ctx context.Context, store *Store, bank Verifier, master []byte) (*payerKeys, error) {
	rows, err := store.accounts(ctx)
	if err != nil {
		return nil, err
	}
	k := &payerKeys{bank: bank, verifiers: map[string]Verifier{}, bad: map[string]string{}}
	for _, r := range rows {
		var t Template
		err := t.UnmarshalBinary(r.template)
		if err == nil {
			err = t.Verify(bank)
		}
		var v Verifier
		if err == nil {
			v, err = AccountVerifier(&t, master)
		}
		if err == nil && t.Account != r.name {
			err = fmt.Errorf("template names %q", t.Account)
		}
		if err != nil {
			k.bad[r.name] = err.Error()
			continue
		}
		k.verifiers[r.name] = v
	}
	return k, nil
}

func deepSegments(size uint64, opt DeepOptions) []*deepSeg {
	workers := uint64(max(opt.Workers, 1))
	if opt.Workers == 0 {
		workers = uint64(runtime.GOMAXPROCS(0))
	}
	workers = max(min(workers, size), 1)
	var segs []*deepSeg
	for i := range workers {
		from, to := size/workers*i, size/workers*(i+1)
		if i == workers-1 {
			to = size
		}
		if from < to || size == 0 && i == 0 {
			segs = append(segs, &deepSeg{from: from, to: to})
		}
	}
	return segs
}

// join puts the segments' faults in index order, checks the chains across
// their seams and the Merkle root of all of them.
func (r *DeepReport) join(segs []*deepSeg) {
	prev := link{ok: true, decoded: true} // before entry 0: zero hash, zero code
	var whole *compact.Range
	for i, sg := range segs {
		r.Faults = append(r.Faults, sg.faults...)
		r.Dropped += sg.dropped
		if sg.first.ok && prev.ok {
			for _, f := range linkFaults(prev, sg.first) {
				r.fault(f)
			}
		}
		prev = sg.last
		switch {
		case sg.rng == nil:
			whole = nil
		case i == 0:
			whole = sg.rng
		case whole != nil:
			if err := whole.AppendRange(sg.rng, nil); err != nil {
				whole = nil
			}
		}
	}
	slices.SortStableFunc(r.Faults, func(a, b Fault) int {
		switch {
		case a.Index < b.Index:
			return -1
		case a.Index > b.Index:
			return 1
		}
		return int(a.Failure) - int(b.Failure)
	})
	if len(r.Faults) > MaxFaults {
		r.Dropped += len(r.Faults) - MaxFaults
		r.Faults = r.Faults[:MaxFaults]
	}
	r.checkRoot(whole)
}

func (r *DeepReport) checkRoot(whole *compact.Range) {
	if r.Checkpoint == nil || r.Size == 0 {
		return
	}
	if whole == nil {
		r.fault(Fault{r.Size, FailCheckpoint, "root not recomputed: entries are missing"})
		return
	}
	root, err := whole.GetRootHash(nil)
	if err != nil || !bytes.Equal(root, r.Checkpoint.Root[:]) {
		r.fault(Fault{r.Size, FailCheckpoint, "signed root ≠ the Merkle root of the stored entries"})
	}
}

func (r *DeepReport) fault(f Fault) {
	if len(r.Faults) >= MaxFaults {
		r.Dropped++
		return
	}
	r.Faults = append(r.Faults, f)
}

// link is what the chain checks of the next entry need of an entry, and
// what the checks of the entry itself need of the one before.
type link struct {
	ok          bool // the entry is present
	decoded     bool // and decodes (ecode, prev, lsum are set)
	idx         uint64
	hash        Digest // SM3 of the stored encoding
	ecode, lsum Digest
	prev        Digest
}

// linkFaults checks entry cur against the entry before it.
func linkFaults(prev, cur link) []Fault {
	if !cur.decoded {
		return nil
	}
	var out []Fault
	if cur.prev != prev.hash {
		out = append(out, Fault{cur.idx, FailHashChain, "prev ≠ SM3 of the stored entry before"})
	}
	if prev.decoded && xorDigest(prev.ecode, cur.lsum) != cur.ecode {
		out = append(out, Fault{cur.idx, FailEcode, "ecode ≠ ecode(n−1) ⊕ lsum(n)"})
	}
	return out
}

// deepSeg checks the entries of [from, to).
type deepSeg struct {
	from, to    uint64
	faults      []Fault
	dropped     int
	first, last link
	rng         *compact.Range // Merkle leaves of [from, to); nil once one is missing
}

func (sg *deepSeg) fault(idx uint64, f Failure, format string, args ...any) {
	if len(sg.faults) >= MaxFaults {
		sg.dropped++
		return
	}
	sg.faults = append(sg.faults, Fault{idx, f, fmt.Sprintf(format, args...)})
}

func (sg *deepSeg) run(ctx context.Context, store *Store, keys *payerKeys, batch int) error {
	sg.rng = rangeFactory.NewEmptyRange(sg.from)
	var last link
	for at := sg.from; at < sg.to; at += uint64(batch) {
		end := min(sg.to, at+uint64(batch))
		rows, err := store.entryRows(ctx, at, end)
		if err != nil {
			return err
		}
		leaves, err := store.leafHashes(ctx, at, end)
		if err != nil {
			return err
		}
		chain, err := store.chainRecords(ctx, at, end)
		if err != nil {
			return err
		}
		expect := at
		for _, r := range rows {
			for ; expect < r.idx; expect++ {
				sg.missing(expect)
				last = link{}
			}
			l := sg.entry(&r, leaves[r.idx-at], chain[r.idx-at], keys)
			if last.ok {
				for _, f := range linkFaults(last, l) {
					sg.fault(f.Index, f.Failure, "%s", f.Detail)
				}
			} else if r.idx == sg.from {
				sg.first = l
			}
			last, expect = l, r.idx+1
		}
		for ; expect < end; expect++ {
			sg.missing(expect)
			last = link{}
		}
	}
	sg.last = last
	return nil
}

func (sg *deepSeg) missing(idx uint64) {
	sg.fault(idx, FailMissing, "no entry stored")
	sg.rng = nil
}

// entry checks one stored row on its own and returns its link.
func (sg *deepSeg) entry(r *storedRow, leaf, rec []byte, keys *payerKeys) link {
	l := link{ok: true, idx: r.idx, hash: sm3.Sum(r.entry)}
	leafHash := TreeHasher.HashLeaf(r.entry)
	if sg.rng != nil {
		if err := sg.rng.Append(leafHash, nil); err != nil {
			sg.rng = nil
		}
	}
	if !bytes.Equal(leaf, leafHash) {
		sg.fault(r.idx, FailMerkleLeaf, "stored leaf ≠ leaf hash of the stored entry")
	}
	var e Entry
	if err := e.UnmarshalBinary(r.entry); err != nil {
		sg.fault(r.idx, FailDecode, "entry: %v", err)
		return l
	}
	l.decoded, l.ecode, l.lsum, l.prev = true, e.Ecode, e.LSum, e.Prev
	if e.Index != r.idx {
		sg.fault(r.idx, FailIndex, "the row holds entry %d", e.Index)
	}
	if rec == nil {
		sg.fault(r.idx, FailChainIndex, "no chain record")
	} else if !bytes.Equal(rec, chainRecordOf(&e, l.hash)) {
		sg.fault(r.idx, FailChainIndex, "chain record differs from the stored entry")
	}
	if !keys.bank.Verify(sign9Msg(e.Index, e.Batch, e.Money, e.PayerBalance, e.PayeeBalance), e.Sig9) {
		sg.fault(r.idx, FailSign9, "balances or their signature changed")
	}
	if !keys.bank.Verify(sign8Msg(e.Index, e.Ecode), e.Sig8) {
		sg.fault(r.idx, FailSign8, "evidence-chain code or its signature changed")
	}
	sg.money(r, &e, keys)
	return l
}

// money checks the stored money of entry e: that e books it, its lsum and
// the payer's field signatures.
func (sg *deepSeg) money(r *storedRow, e *Entry, keys *payerKeys) {
	var m Money
	if err := m.UnmarshalBinary(r.money); err != nil {
		sg.fault(r.idx, FailDecode, "money: %v", err)
		return
	}
	if diff := moneyDiff(e, &m); diff != "" {
		sg.fault(r.idx, FailMoney, "entry and money differ in %s", diff)
	}
	if r.payer != e.Payer || r.payee != e.Payee || r.mtime != m.Time {
		sg.fault(r.idx, FailRow, "columns (%s, %s, %d) ≠ the entry's (%s, %s, %d)", r.payer, r.payee, r.mtime, e.Payer, e.Payee, m.Time)
	}
	if m.LinearSum() != m.LSum {
		sg.fault(r.idx, FailLSum, "lsum is not the linear sum of the money's fields")
	}
	v, ok := keys.verifiers[m.Payer]
	if !ok {
		why, known := keys.bad[m.Payer]
		if !known {
			why = "no such account"
		}
		sg.fault(r.idx, FailPayerSig, "payer %s not trusted: %s", m.Payer, why)
		return
	}
	var bad []string
	sigs := m.sigs()
	for i, f := range m.fields() {
		if !v.Verify(f, sigs[i]) {
			bad = append(bad, fmt.Sprintf("sig%d (%s)", i+3, moneyFieldNames[i]))
		}
	}
	if len(bad) > 0 {
		sg.fault(r.idx, FailPayerSig, "%s", strings.Join(bad, ", "))
	}
}

var moneyFieldNames = [5]string{"account and time", "amount and currency", "purpose", "payee", "lsum"}

func moneyDiff(e *Entry, m *Money) string {
	var d []string
	if e.Money != m.Digest() {
		d = append(d, "digest")
	}
	if e.Payer != m.Payer {
		d = append(d, "payer")
	}
	if e.Payee != m.Payee {
		d = append(d, "payee")
	}
	if e.Amount != m.Amount {
		d = append(d, fmt.Sprintf("amount (%d ≠ %d)", e.Amount, m.Amount))
	}
	if e.LSum != m.LSum {
		d = append(d, "lsum")
	}
	return strings.Join(d, ", ")
}
