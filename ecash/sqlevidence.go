package ecash

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Double-spending evidence is kept once per (serial, transcript digest):
// the second deposit of a coin is evidence the first time it is refused;
// the same refused deposit sent again (a retry, or someone replaying it)
// finds the evidence already kept, writes nothing, and is answered with
// the same *DoubleSpendError, evidence id included. A unique index
// (migration 0003) backs this up against concurrent replays.

// recordDoubleSpend keeps the second transcript next to the first deposit.
func (s *SQLStore) recordDoubleSpend(ctx context.Context, d Deposit, c SpentCoin) error {
	e := &DoubleSpendError{Serial: c.Serial, Epoch: c.Epoch}
	var first []byte
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT deposit_id FROM `+spentTable(c.Epoch)+` WHERE serial = ?`), c.Serial[:]).Scan(&first); err != nil {
		return fmt.Errorf("ecash: store: double spend of %x but no first deposit: %w", c.Serial[:6], err)
	}
	copy(e.FirstDeposit[:], first)
	var err error
	if e.EvidenceID, err = s.keepEvidence(ctx, d, c, first); err != nil {
		return errors.Join(e, fmt.Errorf("ecash: store: recording evidence: %w", err))
	}
	return e
}

// keepEvidence returns the id of the evidence of coin c in transcript
// d.Payment, inserting it only if it is not kept yet.
func (s *SQLStore) keepEvidence(ctx context.Context, d Deposit, c SpentCoin, first []byte) (int64, error) {
	digest := sha256.Sum256(d.Payment)
	if id, err := s.evidenceID(ctx, c.Serial[:], digest[:]); !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO ecash_double_spends
		(epoch, serial, first_deposit, second_payment, second_bank, at, transcript_digest) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (serial, transcript_digest) DO NOTHING RETURNING id`),
		int64(c.Epoch), c.Serial[:], first, d.Payment, d.Bank, d.At.UnixNano(), digest[:]).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) { // a concurrent replay kept it first
		return s.evidenceID(ctx, c.Serial[:], digest[:])
	}
	return id, err
}

func (s *SQLStore) evidenceID(ctx context.Context, serial, digest []byte) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id FROM ecash_double_spends WHERE serial = ? AND transcript_digest = ?`),
		serial, digest).Scan(&id)
	return id, err
}

// digestEvidence fills in the transcript digest of evidence kept before
// migration 0003 (SQL has no SHA-256 on SQLite), keeping the first of any
// rows that repeat a (serial, transcript): the replays issue 9 found. It
// runs when the store opens and has nothing to do after its first run.
func (s *SQLStore) digestEvidence(ctx context.Context) error {
	var legacy bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ecash_double_spends WHERE transcript_digest IS NULL)`).Scan(&legacy); err != nil || !legacy {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, serial, second_payment FROM ecash_double_spends WHERE transcript_digest IS NULL ORDER BY id`)
		if err != nil {
			return err
		}
		type legacy struct {
			id             int64
			serial, digest []byte
		}
		var unkeyed []legacy
		for rows.Next() {
			var l legacy
			var payment []byte
			if err := rows.Scan(&l.id, &l.serial, &payment); err != nil {
				rows.Close()
				return err
			}
			d := sha256.Sum256(payment)
			l.digest = d[:]
			unkeyed = append(unkeyed, l)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for _, l := range unkeyed {
			if err := s.digestOne(ctx, tx, l.id, l.serial, l.digest); err != nil {
				return err
			}
		}
		return nil
	})
}

// digestOne sets one legacy row's digest, or deletes the row if an earlier
// row already holds that evidence.
func (s *SQLStore) digestOne(ctx context.Context, tx *sql.Tx, id int64, serial, digest []byte) error {
	var kept int64
	err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM ecash_double_spends WHERE serial = ? AND transcript_digest = ?`), serial, digest).Scan(&kept)
	switch {
	case err == nil:
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM ecash_double_spends WHERE id = ?`), id)
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, s.q(`UPDATE ecash_double_spends SET transcript_digest = ? WHERE id = ?`), digest, id)
	}
	return err
}

// DoubleSpends implements Store.
func (s *SQLStore) DoubleSpends(ctx context.Context) ([]DoubleSpend, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT x.id, x.epoch, x.serial, x.first_deposit, d.payment, x.second_payment, x.second_bank, x.at
		FROM ecash_double_spends x JOIN ecash_deposits d ON d.request_id = x.first_deposit ORDER BY x.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DoubleSpend
	for rows.Next() {
		var ds DoubleSpend
		var epoch, at int64
		var serial, first []byte
		if err := rows.Scan(&ds.ID, &epoch, &serial, &first, &ds.FirstPayment, &ds.SecondPayment, &ds.SecondBank, &at); err != nil {
			return nil, err
		}
		ds.Epoch, ds.At = Epoch(epoch), time.Unix(0, at)
		copy(ds.Serial[:], serial)
		copy(ds.FirstDeposit[:], first)
		out = append(out, ds)
	}
	return out, rows.Err()
}
