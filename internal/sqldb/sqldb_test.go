package sqldb_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

var ctx = context.Background()

func TestRebind(t *testing.T) {
	pg := &sqldb.DB{Dialect: sqldb.Postgres}
	lite := &sqldb.DB{Dialect: sqldb.SQLite}
	q := "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"
	if got := pg.Rebind(q); got != "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)" {
		t.Fatalf("postgres: %s", got)
	}
	if got := lite.Rebind(q); got != q {
		t.Fatalf("sqlite: %s", got)
	}
}

func TestSQLiteIsDurable(t *testing.T) {
	db, err := sqldb.OpenSQLite(dbtest.SQLitePath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1"} {
		var got string
		if err := db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

func migrations(extra ...string) fstest.MapFS {
	fs := fstest.MapFS{
		"sqlite/0001_a.sql":   {Data: []byte("CREATE TABLE a (x INTEGER)")},
		"sqlite/0002_b.sql":   {Data: []byte("INSERT INTO a VALUES (1)")},
		"postgres/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER)")},
		"postgres/0002_b.sql": {Data: []byte("INSERT INTO a VALUES (1)")},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		fs[extra[i]] = &fstest.MapFile{Data: []byte(extra[i+1])}
	}
	return fs
}

// Migrations apply once, in order, and a failing step leaves nothing of itself.
func TestMigrate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		db := open()
		for range 2 {
			if err := sqldb.Migrate(ctx, db, "comp", migrations()); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := db.QueryRow("SELECT count(*) FROM a").Scan(&n); err != nil || n != 1 {
			t.Fatalf("rows %d, err %v: migration 2 ran %d times", n, err, n)
		}
		bad := migrations("sqlite/0003_c.sql", "INSERT INTO a VALUES (2); SELECT * FROM nope",
			"postgres/0003_c.sql", "INSERT INTO a VALUES (2); SELECT * FROM nope")
		if err := sqldb.Migrate(ctx, db, "comp", bad); err == nil || !strings.Contains(err.Error(), "0003_c.sql") {
			t.Fatalf("failing migration: %v", err)
		}
		if err := db.QueryRow("SELECT count(*) FROM a").Scan(&n); err != nil || n != 1 {
			t.Fatalf("failed migration left rows behind: %d", n)
		}
		// Another component keeps its own versions.
		other := fstest.MapFS{
			"sqlite/0001_z.sql":   {Data: []byte("CREATE TABLE z (x INTEGER)")},
			"postgres/0001_z.sql": {Data: []byte("CREATE TABLE z (x INTEGER)")},
		}
		if err := sqldb.Migrate(ctx, db, "other", other); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMigrationNames(t *testing.T) {
	db, err := sqldb.OpenSQLite(dbtest.SQLitePath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases := map[string]fstest.MapFS{
		"fail/empty":     {"sqlite/README": {Data: []byte("x")}},
		"fail/no-number": {"sqlite/init.sql": {Data: []byte("SELECT 1")}},
		"fail/duplicate": {"sqlite/0001_a.sql": {Data: []byte("SELECT 1")}, "sqlite/01_b.sql": {Data: []byte("SELECT 1")}},
	}
	for name, fs := range cases {
		if err := sqldb.Migrate(ctx, db, name, fs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestUniqueViolation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		db := open()
		if _, err := db.Exec("CREATE TABLE u (k TEXT PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(db.Rebind("INSERT INTO u VALUES (?)"), "a"); err != nil {
			t.Fatal(err)
		}
		_, err := db.Exec(db.Rebind("INSERT INTO u VALUES (?)"), "a")
		if !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate key: %v is not a unique violation", err)
		}
		if db.IsUniqueViolation(nil) {
			t.Fatal("nil is a unique violation")
		}
	})
}
