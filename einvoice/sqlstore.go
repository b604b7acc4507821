package einvoice

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/einvoice/invoice"
	"trustbank/internal/sqldb"
)

//go:embed migrations
var migrations embed.FS

// SQLStore is the system's Store and a seller's SellerStore on SQLite or
// PostgreSQL (one schema holds both; a seller's rows are keyed by its
// sID). Every write goes through group commit (sqldb.Batcher): concurrent
// sessions share one transaction and one durable commit, each in its own
// savepoint, and none is answered before that commit.
type SQLStore struct {
	db     *sqldb.DB
	batch  *sqldb.Batcher
	prep   *sqldb.Prepared
	chains struct { // signers' chains by hash (einv_chains)
		sync.Mutex
		parsed map[string][]*smx509.Certificate // read or written, and committed
		last   lastChain
	}
	sellers struct { // sellers read lately, by tag (Seller)
		sync.Mutex
		m   map[string]cachedSeller
		gen uint64 // registrations through this store
	}
	acks struct { // the seller's acknowledgements not committed yet
		sync.Mutex
		numbers   []string        // not taken by a flushAcks yet
		scheduled bool            // a flushAcks will take them
		pending   map[string]bool // every one not committed yet
		// committing is held to drop committed ones from pending, and
		// read-held by a read that shows pending ones, so the read sees
		// each in the database or in pending.
		committing sync.RWMutex
	}
}

var (
	_ Store       = (*SQLStore)(nil)
	_ SellerStore = (*SQLStore)(nil)
)

// NewSQLStore applies the einvoice migrations to db and returns the store.
func NewSQLStore(ctx context.Context, db *sqldb.DB) (*SQLStore, error) {
	if err := sqldb.MigrateEmbedded(ctx, db, "einvoice", migrations); err != nil {
		return nil, err
	}
	s := &SQLStore{db: db, batch: sqldb.NewBatcher(db, 256), prep: sqldb.NewPrepared(db)}
	s.chains.parsed = map[string][]*smx509.Certificate{}
	return s, nil
}

// Close stops group commit and closes prepared statements; it does not
// close the database.
func (s *SQLStore) Close() {
	s.flushAcks(context.Background()) // best effort: ResendNotices covers a loss
	s.batch.Close()
	s.prep.Close()
}

func (s *SQLStore) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	return s.prep.Exec(ctx, tx, q, args...)
}

func (s *SQLStore) row(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	st, err := s.prep.Stmt(ctx, tx, q)
	if err != nil {
		if tx != nil {
			return tx.QueryRowContext(ctx, s.db.Rebind(q), args...)
		}
		return s.db.QueryRowContext(ctx, s.db.Rebind(q), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// forUpdate locks the row read on PostgreSQL (SQLite transactions hold
// the write lock from their start).
func (s *SQLStore) forUpdate() string {
	if s.db.Dialect == sqldb.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func notFound(err error, sentinel error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return sentinel
	}
	return err
}

// see inserts a replay-cache entry in tx; ErrReplay if it is there.
func (s *SQLStore) see(ctx context.Context, tx *sql.Tx, seen Seen) error {
	res, err := s.exec(ctx, tx, `INSERT INTO einv_seen (sent, scope, tag) VALUES (?, ?, ?)
		ON CONFLICT (sent, scope, tag) DO NOTHING`, seen.At.Unix(), seen.Scope, seen.Tag)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(fmt.Errorf("%w (%s)", ErrReplay, seen.Scope), err)
	}
	return nil
}

// RegisterBuyer implements Store.
func (s *SQLStore) RegisterBuyer(ctx context.Context, b BuyerRecord, seen Seen) error {
	return s.batch.Do(ctx, func(tx *sql.Tx) error {
		if err := s.see(ctx, tx, seen); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `INSERT INTO einv_buyers (tag, current_id, pending_id) VALUES (?, ?, NULL)
			ON CONFLICT (tag) DO UPDATE SET current_id = excluded.current_id, pending_id = NULL`, b.Tag, b.Current)
		return err
	})
}

// Buyer implements Store.
func (s *SQLStore) Buyer(ctx context.Context, tag []byte) (*BuyerRecord, error) {
	return s.buyer(ctx, nil, tag, "")
}

func (s *SQLStore) buyer(ctx context.Context, tx *sql.Tx, tag []byte, lock string) (*BuyerRecord, error) {
	b := BuyerRecord{Tag: tag}
	err := s.row(ctx, tx, `SELECT current_id, pending_id FROM einv_buyers WHERE tag = ?`+lock, tag).Scan(&b.Current, &b.Pending)
	if err != nil {
		return nil, notFound(err, ErrNotFound)
	}
	return &b, nil
}

// RegisterSeller implements Store.
func (s *SQLStore) RegisterSeller(ctx context.Context, r SellerRecord, seen Seen) error {
	err := s.batch.Do(ctx, func(tx *sql.Tx) error {
		if err := s.see(ctx, tx, seen); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `INSERT INTO einv_sellers (tag, sid, endpoint) VALUES (?, ?, ?)
			ON CONFLICT (tag) DO UPDATE SET endpoint = excluded.endpoint`, r.Tag, r.SID.String(), r.Endpoint)
		return err
	})
	s.sellers.Lock() // a read under way may have the old record: it must not keep it
	clear(s.sellers.m)
	s.sellers.gen++
	s.sellers.Unlock()
	return err
}

// sellerTTL is how long Seller answers from memory: a seller that
// re-registers through another process on the same database (PostgreSQL)
// is reached at its old endpoint for at most that long; re-registering
// through this store takes effect at once.
const sellerTTL = 2 * time.Second

type cachedSeller struct {
	r    SellerRecord
	read time.Time
}

// Seller implements Store; it reads each seller at most once per
// sellerTTL (every session needs its seller twice).
func (s *SQLStore) Seller(ctx context.Context, tag []byte) (*SellerRecord, error) {
	s.sellers.Lock()
	c, ok := s.sellers.m[string(tag)]
	gen := s.sellers.gen
	s.sellers.Unlock()
	if ok && time.Since(c.read) < sellerTTL {
		r := c.r
		return &r, nil
	}
	read := time.Now()
	r := SellerRecord{Tag: bytes.Clone(tag)}
	var sid string
	if err := s.row(ctx, nil, `SELECT sid, endpoint FROM einv_sellers WHERE tag = ?`, tag).Scan(&sid, &r.Endpoint); err != nil {
		return nil, notFound(err, ErrNotFound)
	}
	copy(r.SID[:], sid)
	s.sellers.Lock()
	if s.sellers.m == nil || len(s.sellers.m) >= maxCachedSellers {
		s.sellers.m = map[string]cachedSeller{}
	}
	if gen == s.sellers.gen { // no registration since the read began
		s.sellers.m[string(tag)] = cachedSeller{r: r, read: read}
	}
	s.sellers.Unlock()
	out := r
	return &out, nil
}

// maxCachedSellers bounds the sellers kept in memory (emptied when full).
const maxCachedSellers = 4096

// invoiceCols are an invoice's columns but its document; docCols the
// document's: the canonical encoding, the signature and the chain's hash
// (migration 0002), or the JSON of an invoice stored before (signed).
const (
	invoiceCols = `number, seller_sid, order_no, buyer_tag, state, created`
	docCols     = `doc, sig, chain, signed`
)

func scanInvoice(row *sql.Row, doc ...any) (*IssuedInvoice, error) {
	var inv IssuedInvoice
	var sid string
	var created int64
	if err := row.Scan(append([]any{&inv.Number, &sid, &inv.OrderNo, &inv.BuyerTag, &inv.State, &created}, doc...)...); err != nil {
		return nil, notFound(err, ErrNotFound)
	}
	copy(inv.SellerSID[:], sid)
	inv.Created = time.Unix(created, 0)
	return &inv, nil
}

// storedDoc is an invoice's document as the store keeps it.
type storedDoc struct{ doc, sig, chain, signed []byte }

func (d *storedDoc) dest() []any { return []any{&d.doc, &d.sig, &d.chain, &d.signed} }

// invoiceWithDoc reads an invoice with its document.
func (s *SQLStore) invoiceWithDoc(ctx context.Context, tx *sql.Tx, where string, args ...any) (*IssuedInvoice, error) {
	var d storedDoc
	inv, err := scanInvoice(s.row(ctx, tx, `SELECT `+invoiceCols+`, `+docCols+` FROM einv_invoices WHERE `+where, args...), d.dest()...)
	if err != nil {
		return nil, err
	}
	if inv.Signed, err = s.document(ctx, tx, &d); err != nil {
		return nil, fmt.Errorf("einvoice: stored invoice %s: %w", inv.Number, err)
	}
	return inv, nil
}

// document rebuilds a stored document.
func (s *SQLStore) document(ctx context.Context, tx *sql.Tx, d *storedDoc) (*invoice.Signed, error) {
	if d.doc == nil {
		return invoice.ParseJSON(d.signed)
	}
	chain, err := s.chain(ctx, tx, d.chain)
	if err != nil {
		return nil, err
	}
	return invoice.FromParts(d.doc, d.sig, slices.Clone(chain)) // the cache's slice stays the cache's
}

// chain returns the chain stored under hash, parsed (once per store).
func (s *SQLStore) chain(ctx context.Context, tx *sql.Tx, hash []byte) ([]*smx509.Certificate, error) {
	s.chains.Lock()
	c, ok := s.chains.parsed[string(hash)]
	s.chains.Unlock()
	if ok {
		return c, nil
	}
	var der []byte
	if err := s.row(ctx, tx, `SELECT certs FROM einv_chains WHERE hash = ?`, hash).Scan(&der); err != nil {
		return nil, fmt.Errorf("chain: %w", notFound(err, ErrNotFound))
	}
	if !bytes.Equal(chainHash(der), hash) {
		return nil, errors.New("chain does not match its hash")
	}
	c, err := invoice.ParseChainDER(der)
	if err != nil {
		return nil, err
	}
	s.knowChain(hash, c)
	return c, nil
}

func (s *SQLStore) knowChain(hash []byte, c []*smx509.Certificate) {
	s.chains.Lock()
	s.chains.parsed[string(hash)] = c
	s.chains.Unlock()
}

// chainOf returns a chain's encoding, its hash, and whether it is
// stored; the encoding and hash of the signer's chain (the same
// certificates every time) are remembered.
func (s *SQLStore) chainOf(chain []*smx509.Certificate) (der, hash []byte, known bool) {
	s.chains.Lock()
	last := s.chains.last
	s.chains.Unlock()
	if !slices.Equal(last.certs, chain) { // the same certificates (pointers), in order
		der = (&invoice.Signed{Chain: chain}).ChainDER()
		last = lastChain{certs: slices.Clone(chain), der: der, hash: chainHash(der)}
	}
	s.chains.Lock()
	s.chains.last = last
	_, known = s.chains.parsed[string(last.hash)]
	s.chains.Unlock()
	return last.der, last.hash, known
}

// lastChain is the chain an issuance stored last.
type lastChain struct {
	certs     []*smx509.Certificate
	der, hash []byte
}

// chainHash names a stored chain: SM3 of its encoding.
func chainHash(der []byte) []byte {
	h := sm3.Sum(der)
	return h[:]
}

// InvoiceFor implements Store.
func (s *SQLStore) InvoiceFor(ctx context.Context, seller SID, orderNo string) (*IssuedInvoice, error) {
	s.acks.committing.RLock()
	defer s.acks.committing.RUnlock()
	inv, err := s.invoiceWithDoc(ctx, nil, `seller_sid = ? AND order_no = ?`, seller.String(), orderNo)
	if err != nil {
		return nil, err
	}
	return s.acked(inv), nil
}

// BuyerAndInvoice implements Store: one SELECT.
func (s *SQLStore) BuyerAndInvoice(ctx context.Context, tag []byte, seller SID, orderNo string) (*BuyerRecord, *IssuedInvoice, error) {
	s.acks.committing.RLock()
	defer s.acks.committing.RUnlock()
	b := BuyerRecord{Tag: tag}
	var number, sid, order sql.NullString
	var state, created sql.NullInt64
	var buyerTag []byte
	var d storedDoc
	err := s.row(ctx, nil, `SELECT b.current_id, b.pending_id, i.number, i.seller_sid, i.order_no, i.buyer_tag, i.state, i.created,
		i.doc, i.sig, i.chain, i.signed FROM einv_buyers b LEFT JOIN einv_invoices i ON i.seller_sid = ? AND i.order_no = ?
		WHERE b.tag = ?`, seller.String(), orderNo, tag).Scan(append([]any{&b.Current, &b.Pending, &number, &sid, &order, &buyerTag, &state, &created},
		d.dest()...)...)
	if err != nil {
		return nil, nil, notFound(err, ErrNotFound)
	}
	if !number.Valid {
		return &b, nil, nil
	}
	inv := &IssuedInvoice{Number: number.String, OrderNo: order.String, BuyerTag: buyerTag, State: InvoiceState(state.Int64),
		Created: time.Unix(created.Int64, 0)}
	copy(inv.SellerSID[:], sid.String)
	if inv.Signed, err = s.document(ctx, nil, &d); err != nil {
		return nil, nil, fmt.Errorf("einvoice: stored invoice %s: %w", inv.Number, err)
	}
	return &b, s.acked(inv), nil
}

// Issue implements Store. The invoice's document is stored compactly
// (docCols): its encoding and signature, and its chain once per signer.
func (s *SQLStore) Issue(ctx context.Context, is *Issuance) (*IssuedInvoice, error) {
	doc, sig, err := is.Invoice.Signed.Parts()
	if err != nil {
		return nil, err
	}
	chainDER, hash, known := s.chainOf(is.Invoice.Signed.Chain)
	var out *IssuedInvoice
	err = s.batch.Do(ctx, func(tx *sql.Tx) error {
		if err := s.see(ctx, tx, is.Seen); err != nil {
			return err
		}
		if err := s.moveIdentity(ctx, tx, is); err != nil {
			return err
		}
		if !known {
			if _, err := s.exec(ctx, tx, `INSERT INTO einv_chains (hash, certs) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING`, hash, chainDER); err != nil {
				return err
			}
		}
		inv, err := s.insertInvoice(ctx, tx, &is.Invoice, &storedDoc{doc: doc, sig: sig, chain: hash, signed: []byte{}})
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `INSERT INTO einv_sessions (sid, number, confirm_mac, created) VALUES (?, ?, ?, ?)`,
			is.Session.ID[:], inv.Number, is.Session.ConfirmMAC[:], is.Invoice.Created.Unix())
		out = inv
		return err
	})
	if err == nil && !known {
		s.knowChain(hash, is.Invoice.Signed.Chain)
	}
	return out, err
}

// moveIdentity applies the refresh rule (BuyerRecord.Refresh): to
// is.Buyer, the record the request was checked against, if it is still
// the stored one (one statement), else to the stored one.
func (s *SQLStore) moveIdentity(ctx context.Context, tx *sql.Tx, is *Issuance) error {
	if b := is.refreshed(); b != nil {
		same := `pending_id IS ?`
		if s.db.Dialect == sqldb.Postgres {
			same = `pending_id IS NOT DISTINCT FROM ?`
		}
		res, err := s.exec(ctx, tx, `UPDATE einv_buyers SET current_id = ?, pending_id = ? WHERE tag = ? AND current_id = ? AND `+same,
			b.Current, b.Pending, is.BuyerTag, is.Buyer.Current, is.Buyer.Pending)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
	}
	return s.moveStoredIdentity(ctx, tx, is)
}

// refreshed is is.Buyer after the refresh rule, or nil if is.Buyer is
// unknown or refuses is.UsedID (the stored record decides then).
func (is *Issuance) refreshed() *BuyerRecord {
	if is.Buyer == nil || !bytes.Equal(is.Buyer.Tag, is.BuyerTag) {
		return nil
	}
	b := *is.Buyer
	if !b.Refresh(is.UsedID, is.NextID) {
		return nil
	}
	return &b
}

// moveStoredIdentity applies the refresh rule to the stored record.
func (s *SQLStore) moveStoredIdentity(ctx context.Context, tx *sql.Tx, is *Issuance) error {
	b, err := s.buyer(ctx, tx, is.BuyerTag, s.forUpdate())
	if errors.Is(err, ErrNotFound) {
		return ErrUnknownIdentity
	}
	if err != nil {
		return err
	}
	if !b.Refresh(is.UsedID, is.NextID) {
		return ErrUnknownIdentity
	}
	_, err = s.exec(ctx, tx, `UPDATE einv_buyers SET current_id = ?, pending_id = ? WHERE tag = ?`, b.Current, b.Pending, is.BuyerTag)
	return err
}

// insertInvoice inserts inv unless its order has one; it returns the
// order's invoice: inv if the insert took place (one statement), else the
// one stored.
func (s *SQLStore) insertInvoice(ctx context.Context, tx *sql.Tx, inv *IssuedInvoice, d *storedDoc) (*IssuedInvoice, error) {
	res, err := s.exec(ctx, tx, `INSERT INTO einv_invoices (`+invoiceCols+`, `+docCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (seller_sid, order_no) DO NOTHING`, inv.Number, inv.SellerSID.String(), inv.OrderNo,
		inv.BuyerTag, StateIssued, inv.Created.Unix(), d.doc, d.sig, d.chain, d.signed)
	if s.db.IsUniqueViolation(err) { // the order's conflict does nothing: the number's is left
		return nil, fmt.Errorf("%w: %s: %v", errNumberTaken, inv.Number, err)
	}
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		got := *inv
		got.State = StateIssued
		return &got, err
	}
	got, err := s.invoiceWithDoc(ctx, tx, `seller_sid = ? AND order_no = ?`, inv.SellerSID.String(), inv.OrderNo)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(got.BuyerTag, inv.BuyerTag) {
		return nil, fmt.Errorf("%w: for another buyer", ErrAlreadyInvoiced)
	}
	if got.Number != inv.Number {
		return nil, fmt.Errorf("%w: invoice %s was issued for the order meanwhile; ask again", ErrAlreadyInvoiced, got.Number)
	}
	return got, nil
}

// Session implements Store. A session is confirmed when its invoice is
// (one write per confirmation: the invoice's state).
func (s *SQLStore) Session(ctx context.Context, id [SessionLen]byte) (*SessionRecord, error) {
	r := SessionRecord{ID: id}
	var mac []byte
	var state InvoiceState
	err := s.row(ctx, nil, `SELECT s.number, s.confirm_mac, i.state FROM einv_sessions s JOIN einv_invoices i ON i.number = s.number
		WHERE s.sid = ?`, id[:]).Scan(&r.Number, &mac, &state)
	if err != nil {
		return nil, notFound(err, ErrNotFound)
	}
	copy(r.ConfirmMAC[:], mac)
	r.Confirmed = state >= StateConfirmed
	return &r, nil
}

// Confirm implements Store. In the commit, one read checks R_i against
// the session (in constant time) and one write moves the invoice from
// StateIssued to StateConfirmed (InvoiceState.Next); an invoice confirmed
// or notified already stays as it is.
func (s *SQLStore) Confirm(ctx context.Context, id [SessionLen]byte, r [MACLen]byte) (*IssuedInvoice, error) {
	var out *IssuedInvoice
	err := s.batch.Do(ctx, func(tx *sql.Tx) error {
		var mac []byte
		inv, err := scanInvoice(s.row(ctx, tx, `SELECT `+sessionInvoiceCols+`, s.confirm_mac FROM einv_sessions s
			JOIN einv_invoices i ON i.number = s.number WHERE s.sid = ?`, id[:]), &mac)
		switch {
		case errors.Is(err, ErrNotFound):
			return ErrUnknownSession
		case err != nil:
			return err
		case !macEqual(mac, r[:]):
			return fmt.Errorf("%w: R_i", ErrAuth)
		}
		prev := inv.State
		if inv.State, err = prev.Next(StateConfirmed); err != nil || inv.State == prev {
			out = inv
			return err
		}
		_, err = s.exec(ctx, tx, `UPDATE einv_invoices SET state = ? WHERE number = ? AND state = ?`, inv.State, inv.Number, prev)
		out = inv
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.acked(out), nil
}

// sessionInvoiceCols are invoiceCols of i.
const sessionInvoiceCols = `i.number, i.seller_sid, i.order_no, i.buyer_tag, i.state, i.created`

// MarkNotified implements Store: the acknowledgement joins the next group
// commit, and MarkNotified does not wait for it (the notice is
// at-least-once: an acknowledgement a crash loses only makes
// ResendNotices send the notice again). One write, not waited for,
// records every acknowledgement pending when it runs, so the session's
// last step costs the commit loop one UPDATE and the session no commit.
func (s *SQLStore) MarkNotified(ctx context.Context, number string) error {
	s.acks.Lock()
	if s.acks.pending == nil {
		s.acks.pending = map[string]bool{}
	}
	if !s.acks.pending[number] {
		s.acks.pending[number] = true
		s.acks.numbers = append(s.acks.numbers, number)
	}
	start := !s.acks.scheduled
	s.acks.scheduled = true
	s.acks.Unlock()
	if start {
		go s.flushAcks(context.WithoutCancel(ctx))
	}
	return nil
}

// flushAcks writes the pending acknowledgements (an invoice not confirmed
// is left as it is: Next refuses the skip) in one group-committed write,
// and waits for it. If the commit fails they are pending again.
func (s *SQLStore) flushAcks(ctx context.Context) error {
	var numbers []string
	taken := false
	err := s.batch.Do(ctx, func(tx *sql.Tx) error {
		if !taken { // a rerun (see sqldb.Batcher) writes the same ones
			s.acks.Lock()
			numbers, s.acks.numbers, s.acks.scheduled = s.acks.numbers, nil, false
			s.acks.Unlock()
			taken = true
		}
		for rest := numbers; len(rest) > 0; {
			k := ackChunk(len(rest))
			args := []any{StateNotified, StateConfirmed}
			for _, n := range rest[:k] {
				args = append(args, n)
			}
			if _, err := s.exec(ctx, tx, `UPDATE einv_invoices SET state = ? WHERE state = ? AND number IN (?`+strings.Repeat(", ?", k-1)+`)`,
				args...); err != nil {
				return err
			}
			rest = rest[k:]
		}
		return nil
	})
	if err != nil {
		s.acks.Lock()
		s.acks.numbers = append(numbers, s.acks.numbers...)
		s.acks.Unlock()
		return err
	}
	s.acks.committing.Lock()
	s.acks.Lock()
	for _, n := range numbers {
		delete(s.acks.pending, n)
	}
	s.acks.Unlock()
	s.acks.committing.Unlock()
	return nil
}

// ackChunk is how many of n acknowledgements one UPDATE records: 32, 8
// or 1 (three statement texts to prepare, and few statements).
func ackChunk(n int) int {
	for _, k := range []int{32, 8} {
		if n >= k {
			return k
		}
	}
	return 1
}

// acked shows an acknowledgement not committed yet in inv's state.
func (s *SQLStore) acked(inv *IssuedInvoice) *IssuedInvoice {
	s.acks.Lock()
	defer s.acks.Unlock()
	if inv.State == StateConfirmed && s.acks.pending[inv.Number] {
		inv.State = StateNotified
	}
	return inv
}

// Unnotified implements Store.
func (s *SQLStore) Unnotified(ctx context.Context) ([]IssuedInvoice, error) {
	if err := s.flushAcks(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT number, seller_sid, order_no FROM einv_invoices WHERE state = 2 ORDER BY number`)) // StateConfirmed: the partial index's condition
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []IssuedInvoice
	for rows.Next() {
		inv := IssuedInvoice{State: StateConfirmed}
		var sid string
		if err := rows.Scan(&inv.Number, &sid, &inv.OrderNo); err != nil {
			return nil, err
		}
		copy(inv.SellerSID[:], sid)
		out = append(out, inv)
	}
	return out, rows.Err()
}

// Prune implements Store and SellerStore.
func (s *SQLStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM einv_seen WHERE sent < ?`), before.Unix())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// AddOrder implements SellerStore.
func (s *SQLStore) AddOrder(ctx context.Context, seller SID, d Deal) error {
	if err := d.Validate(); err != nil {
		return err
	}
	return s.batch.Do(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `INSERT INTO einv_orders (seller_sid, order_no, deal) VALUES (?, ?, ?)
			ON CONFLICT (seller_sid, order_no) DO NOTHING`, seller.String(), d.OrderNo, d.encode())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(fmt.Errorf("%w: order number %q is taken", ErrAlreadyInvoiced, d.OrderNo), err)
		}
		return nil
	})
}

// Order implements SellerStore.
func (s *SQLStore) Order(ctx context.Context, seller SID, orderNo string) (*OrderRecord, error) {
	return s.order(ctx, nil, seller, orderNo)
}

func (s *SQLStore) order(ctx context.Context, tx *sql.Tx, seller SID, orderNo string) (*OrderRecord, error) {
	var enc []byte
	var inv sql.NullString
	err := s.row(ctx, tx, `SELECT deal, invoice_no FROM einv_orders WHERE seller_sid = ? AND order_no = ?`+s.forUpdate(),
		seller.String(), orderNo).Scan(&enc, &inv)
	if err != nil {
		return nil, notFound(err, ErrUnknownOrder)
	}
	d, err := decodeDeal(enc)
	if err != nil {
		return nil, fmt.Errorf("einvoice: stored order %q: %w", orderNo, err)
	}
	return &OrderRecord{Deal: *d, InvoiceNo: inv.String}, nil
}

// See implements SellerStore.
func (s *SQLStore) See(ctx context.Context, seen Seen) error {
	return s.batch.Do(ctx, func(tx *sql.Tx) error { return s.see(ctx, tx, seen) })
}

// SeeOrder implements SellerStore: one commit, no read after it.
func (s *SQLStore) SeeOrder(ctx context.Context, seen Seen, seller SID, orderNo string) (*OrderRecord, error) {
	var o *OrderRecord
	var oerr error
	err := s.batch.Do(ctx, func(tx *sql.Tx) error {
		if err := s.see(ctx, tx, seen); err != nil {
			return err
		}
		o, oerr = s.order(ctx, tx, seller, orderNo) // an answer, not a failure of the commit
		return nil
	})
	return o, errors.Join(err, oerr)
}

// MarkInvoiced implements SellerStore.
func (s *SQLStore) MarkInvoiced(ctx context.Context, seller SID, orderNo, invoiceNo string, seen Seen) error {
	return s.batch.Do(ctx, func(tx *sql.Tx) error {
		if err := s.see(ctx, tx, seen); err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, `UPDATE einv_orders SET invoice_no = ? WHERE seller_sid = ? AND order_no = ? AND invoice_no IS NULL`,
			invoiceNo, seller.String(), orderNo)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		o, err := s.order(ctx, tx, seller, orderNo) // no such order, or invoiced already
		switch {
		case err != nil:
			return err
		case o.InvoiceNo != invoiceNo:
			return fmt.Errorf("%w: order %q has invoice %s", ErrAlreadyInvoiced, orderNo, o.InvoiceNo)
		}
		return nil
	})
}

// Stats counts the rows of each table (registered buyers and sellers,
// replay-cache entries, invoices by state, sessions, orders and invoiced
// orders): what an operator watches, and what tests compare to show a
// refused request changed nothing.
func (s *SQLStore) Stats(ctx context.Context) (map[string]int64, error) {
	if err := s.flushAcks(ctx); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for name, q := range map[string]string{
		"buyers":             `SELECT count(*) FROM einv_buyers`,
		"buyers_pending":     `SELECT count(*) FROM einv_buyers WHERE pending_id IS NOT NULL`,
		"sellers":            `SELECT count(*) FROM einv_sellers`,
		"replay":             `SELECT count(*) FROM einv_seen`,
		"invoices":           `SELECT count(*) FROM einv_invoices`,
		"invoices_confirmed": `SELECT count(*) FROM einv_invoices WHERE state >= 2`,
		"invoices_notified":  `SELECT count(*) FROM einv_invoices WHERE state = 3`,
		"sessions":           `SELECT count(*) FROM einv_sessions`,
		"orders":             `SELECT count(*) FROM einv_orders`,
		"orders_invoiced":    `SELECT count(*) FROM einv_orders WHERE invoice_no IS NOT NULL`,
	} {
		var n int64
		if err := s.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, nil
}
