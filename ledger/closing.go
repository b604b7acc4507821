package ledger

import (
	"context"
	"database/sql"
	"fmt"

	"trustbank/internal/wire"
)

// Closing is the bank's closing checkpoint: its signed statement that the
// book of Size entries with Merkle root Root passed a deep check (every
// entry re-read, re-hashed and its signatures verified) before it closed
// at Closed. It signs under its own domain tag, so no checkpoint or entry
// signature can pass for one.
type Closing struct {
	Bank    string
	Size    uint64
	Root    Digest
	Closed  int64 // Unix milliseconds
	Checked int64 // the deep check's duration, milliseconds
	Sig     []byte
}

const closingTag = "trustbank/ledger/closing/v1"

func (c *Closing) body() []byte {
	var w wire.Writer
	w.Fixed([]byte(closingTag))
	w.String16(c.Bank)
	w.U64(c.Size)
	w.Fixed(c.Root[:])
	w.U64(uint64(c.Closed))
	w.U64(uint64(c.Checked))
	return w.B
}

// MarshalBinary encodes the closing: its signed body, then the signature.
func (c *Closing) MarshalBinary() ([]byte, error) {
	if err := checkName("bank", c.Bank); err != nil {
		return nil, err
	}
	if err := checkSig("closing signature", c.Sig); err != nil {
		return nil, err
	}
	w := wire.Writer{B: c.body()}
	w.Bytes16(c.Sig)
	return w.B, nil
}

// UnmarshalBinary decodes a closing.
func (c *Closing) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	if tag := r.Fixed(len(closingTag), "tag"); r.Err() == nil && string(tag) != closingTag {
		r.Fail("not a closing")
	}
	c.Bank = r.String16(MaxName, "bank")
	c.Size = r.U64("size")
	copy(c.Root[:], r.Fixed(32, "root"))
	c.Closed = int64(r.U64("closed"))
	c.Checked = int64(r.U64("checked"))
	c.Sig = clone(r.Bytes16(maxSig, "signature"))
	if err := r.Done(); err != nil {
		return err
	}
	if err := checkName("bank", c.Bank); err != nil {
		return err
	}
	return checkSig("closing signature", c.Sig)
}

// Verify checks the bank's signature.
func (c *Closing) Verify(bank Verifier) error {
	if !bank.Verify(c.body(), c.Sig) {
		return fmt.Errorf("%w: closing of size %d", ErrBadSignature, c.Size)
	}
	return nil
}

// CloseDay is the paper's check before closing: it deep-checks the book
// and, only if every entry is whole, signs a closing checkpoint of the
// deep-checked size and root and records it durably. A book that fails
// stops booking (ErrBookBroken) and is not closed; the report says why.
// Booking goes on during the check: the closing covers the entries of
// the checkpoint the check began from.
func (b *Bank) CloseDay(ctx context.Context) (*Closing, *DeepReport, error) {
	rep, err := b.CheckDeep(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !rep.OK() {
		return nil, rep, fmt.Errorf("%w: not closed: %s", ErrBookBroken, rep)
	}
	c := &Closing{Bank: b.cfg.Name, Size: rep.Size, Closed: b.cfg.Now().UnixMilli(), Checked: rep.Took.Milliseconds()}
	if rep.Checkpoint != nil {
		c.Root = rep.Checkpoint.Root
	} else {
		copy(c.Root[:], TreeHasher.EmptyRoot())
	}
	if c.Sig, err = b.signer.Sign(c.body()); err != nil {
		return nil, rep, err
	}
	if err := b.store.insertClosing(ctx, c); err != nil {
		return nil, rep, fmt.Errorf("ledger: record closing: %w", err)
	}
	return c, rep, nil
}

// Closings lists the book's closings, oldest first.
func (b *Bank) Closings(ctx context.Context) ([]*Closing, error) { return b.store.closings(ctx) }

func (s *Store) insertClosing(ctx context.Context, c *Closing) error {
	enc, err := c.MarshalBinary()
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT MAX(seq) FROM ledger_closings").Scan(&last); err != nil {
			return err
		}
		seq := int64(0)
		if last.Valid {
			seq = last.Int64 + 1
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO ledger_closings (seq, size, closed, closing) VALUES (?, ?, ?, ?)"),
			seq, int64(c.Size), c.Closed, enc)
		return err
	})
}

func (s *Store) closings(ctx context.Context) ([]*Closing, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT closing FROM ledger_closings ORDER BY seq")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Closing
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		var c Closing
		if err := c.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("ledger: stored closing: %w", err)
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}
