package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"trustbank/ledger"
)

// errHolderBook: a holder's book whose records do not chain, because one
// was edited, removed, reordered or added outside the CLI.
var errHolderBook = errors.New("ledger: the holder's book does not chain (a record was edited, removed or inserted)")

// ledgerRecord is one message of a holder's book, chained to the record
// before it: Prev is that record's digest (empty for the first), and the
// state file's Head is the last record's digest. An edited message
// changes its record's digest, which the next record (or Head) names.
type ledgerRecord struct {
	Kind    string `json:"kind"` // collection, money, payment, settlement, balance, receipt
	Message []byte `json:"message"`
	At      int64  `json:"at"`
	Prev    []byte `json:"prev,omitempty"`
}

// digest is SM3 over a domain tag and the record's length-prefixed fields.
func (r *ledgerRecord) digest() []byte {
	h := sm3.New()
	h.Write([]byte("trustbank/ledger/holder-book/v1"))
	for _, f := range [][]byte{r.Prev, []byte(r.Kind), r.Message} {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
		h.Write(f)
	}
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(r.At)))
	return h.Sum(nil)
}

// appendRecord adds a message to the book, chained to the last record.
func (f *ledgerFile) appendRecord(kind string, msg []byte) {
	r := ledgerRecord{Kind: kind, Message: msg, At: time.Now().UnixMilli(), Prev: f.Head}
	f.Book = append(f.Book, r)
	f.Head = r.digest()
}

// verifyBook walks the chain from the first record to Head, and checks
// that every message decodes as the message it says it is.
func (f *ledgerFile) verifyBook() error {
	var prev []byte
	for i := range f.Book {
		r := &f.Book[i]
		if !bytes.Equal(r.Prev, prev) {
			return fmt.Errorf("%w: record %d (%s) does not name the one before it", errHolderBook, i, r.Kind)
		}
		if _, err := ledger.DecodeQRMessage(r.Message); err != nil {
			return fmt.Errorf("%w: record %d (%s): %v", errHolderBook, i, r.Kind, err)
		}
		prev = r.digest()
	}
	if !bytes.Equal(prev, f.Head) {
		return fmt.Errorf("%w: the last record is not the one the book's head names", errHolderBook)
	}
	return nil
}
