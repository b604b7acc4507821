package ecash

import (
	"crypto/sha256"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// version1 is the schema as deployed before the money limits: migration
// 0001 alone.
func version1(t *testing.T, db *sqldb.DB) {
	t.Helper()
	name := "migrations/" + string(db.Dialect) + "/0001_ecash.sql"
	b, err := fs.ReadFile(migrations, name)
	must(t, err)
	must(t, sqldb.Migrate(ctx, db, "ecash", fstest.MapFS{string(db.Dialect) + "/0001_ecash.sql": {Data: b}}))
}

// A database deployed at version 1, with money and with the repeated
// evidence of issue 9, upgrades: the money paid in is what balances and
// float add up to, the repeats are kept once (the first), and from then on
// the tables refuse values out of range, and on SQLite any REAL.
func TestUpgradeFromVersion1(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		db := open()
		version1(t, db)
		exec := func(q string, args ...any) error { _, err := db.ExecContext(ctx, db.Rebind(q), args...); return err }
		must(t, exec(`INSERT INTO ecash_accounts (bank, id, owner, pubkey, balance) VALUES ('bank-a', 'alice', 'alice', ?, 900), ('bank-b', 'shop', 'shop', ?, 60)`, []byte{1}, []byte{1}))
		must(t, exec(`UPDATE ecash_float SET amount = 40`))
		must(t, exec(`INSERT INTO ecash_positions (bank, amount) VALUES ('bank-a', -100), ('bank-b', 60)`))
		must(t, exec(`INSERT INTO ecash_deposits (request_id, request_hash, bank, account, amount, payment, at) VALUES (?, ?, 'bank-b', 'shop', 60, ?, 0)`, []byte("first"), []byte{0}, []byte("p1")))
		for _, second := range []string{"replayed", "replayed", "other", "replayed"} {
			must(t, exec(`INSERT INTO ecash_double_spends (epoch, serial, first_deposit, second_payment, second_bank, at) VALUES (1, ?, ?, ?, 'bank-a', 0)`,
				[]byte("serial"), []byte("first"), []byte(second)))
		}

		st, err := NewSQLStore(ctx, db)
		must(t, err)
		defer st.Close()
		tot, err := st.Totals(ctx)
		must(t, err)
		if (tot != Totals{Balances: 960, Float: 40, Positions: -40, PaidIn: 1000}) {
			t.Fatalf("totals after the upgrade: %+v", tot)
		}
		ds, err := st.DoubleSpends(ctx)
		must(t, err)
		if len(ds) != 2 || ds[0].ID != 1 || string(ds[0].SecondPayment) != "replayed" || ds[1].ID != 3 {
			t.Fatalf("evidence after the upgrade: %d rows %+v", len(ds), ds)
		}
		d := sha256.Sum256([]byte("replayed"))
		if id, err := st.evidenceID(ctx, []byte("serial"), d[:]); err != nil || id != 1 {
			t.Fatalf("evidence of the replayed transcript: %d, %v", id, err)
		}
		for name, q := range map[string]string{
			"fail/balance-2^53":      `UPDATE ecash_accounts SET balance = 9007199254740992 WHERE id = 'alice'`,
			"fail/balance-negative":  `UPDATE ecash_accounts SET balance = -1 WHERE id = 'alice'`,
			"fail/float-over-paid":   `UPDATE ecash_float SET amount = paid_in + 1`,
			"fail/paid-in-2^62+1":    `UPDATE ecash_float SET paid_in = 4611686018427387905`,
			"fail/position-2^62+1":   `UPDATE ecash_positions SET amount = 4611686018427387905 WHERE bank = 'bank-b'`,
			"fail/position-−2^62−1":  `UPDATE ecash_positions SET amount = -4611686018427387905 WHERE bank = 'bank-b'`,
			"fail/evidence-repeated": `INSERT INTO ecash_double_spends (epoch, serial, first_deposit, second_payment, second_bank, at, transcript_digest) SELECT epoch, serial, first_deposit, second_payment, second_bank, at, transcript_digest FROM ecash_double_spends WHERE id = 1`,
		} {
			if err := exec(q); err == nil {
				t.Errorf("%s: the database took it", name)
			}
		}
		if db.Dialect == sqldb.SQLite { // the REAL of issue 9 cannot come back (PostgreSQL has no REAL in a BIGINT)
			if err := exec(`UPDATE ecash_accounts SET balance = 900.5 WHERE id = 'alice'`); err == nil {
				t.Error("a REAL balance was stored")
			}
			if err := exec(`UPDATE ecash_accounts SET balance = balance + 9223372036854775807 WHERE id = 'alice'`); err == nil {
				t.Error("an overflowing balance was stored")
			}
			var typ string
			must(t, db.QueryRowContext(ctx, `SELECT typeof(balance) FROM ecash_accounts WHERE id = 'alice'`).Scan(&typ))
			if typ != "integer" {
				t.Errorf("balance stored as %s", typ)
			}
		}
	})
}

// A version-1 SQLite database holding the REAL balance of issue 9 does not
// upgrade (no true balance can be copied from it): the node refuses to
// start and says which step failed.
func TestUpgradeRefusesCorruptBalance(t *testing.T) {
	db, err := sqldb.OpenSQLite(dbtest.SQLitePath(t))
	must(t, err)
	defer db.Close()
	version1(t, db)
	_, err = db.ExecContext(ctx, `INSERT INTO ecash_accounts (bank, id, owner, pubkey, balance) VALUES ('bank-a', 'x', 'x', x'01', 9223372036854775797)`)
	must(t, err)
	_, err = db.ExecContext(ctx, `UPDATE ecash_accounts SET balance = balance + 64`) // what a deposit of 64 did
	must(t, err)
	if _, err := NewSQLStore(ctx, db); err == nil || !strings.Contains(err.Error(), "0002_money.sql") {
		t.Fatalf("upgrade of a corrupt database: %v", err)
	}
}
