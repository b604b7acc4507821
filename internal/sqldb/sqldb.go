// Package sqldb opens trustbank's SQL databases — embedded SQLite
// (modernc.org/sqlite, pure Go) by default, PostgreSQL (pgx v5 through
// database/sql) by DSN — with the settings every store relies on, and
// applies each component's embedded schema migrations.
//
// Stores are written once against *DB in the common subset of SQL, with '?'
// placeholders that Rebind turns into PostgreSQL's $n.
//
// Durability: SQLite runs in WAL mode with synchronous=FULL, so a committed
// transaction survives kill -9 and power loss; writers take the write lock
// when they begin (_txlock=immediate) and wait up to BusyTimeout for it.
// PostgreSQL commits are durable with the server default
// synchronous_commit=on, which trustbank never turns off.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect names a backend.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// BusyTimeout is how long a SQLite writer waits for the write lock, in ms.
const BusyTimeout = 10000

// poolSize bounds open connections and keeps as many idle: database/sql
// keeps only 2 idle by default, so under load every extra query would
// open (and on PostgreSQL authenticate) a fresh connection and lose its
// prepared statements.
const poolSize = 24

func pool(db *sql.DB) {
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
}

// DB is a database handle that knows its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
	stop    chan struct{} // SQLite: stops the checkpointer
	stopped chan struct{}
}

// Close stops the SQLite checkpointer (after a last checkpoint) and closes
// the database.
func (db *DB) Close() error {
	if db.stop != nil {
		close(db.stop)
		<-db.stopped
		db.stop = nil
	}
	return db.DB.Close()
}

// checkpointEvery is how often the background checkpointer of a SQLite
// database moves the write-ahead log into the database file.
const checkpointEvery = 250 * time.Millisecond

// checkpointer runs WAL checkpoints off the commit path: SQLite's own
// automatic checkpoint runs inside the commit that crosses the WAL size
// limit, and that commit then waits for the copy and its fsyncs.
func (db *DB) checkpointer() {
	defer close(db.stopped)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			db.DB.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			return
		case <-t.C:
			db.DB.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// OpenSQLite opens (creating if needed) the database file at path, with
// every commit fsynced (synchronous=FULL).
func OpenSQLite(path string) (*DB, error) { return openSQLite(path, "FULL") }

func openSQLite(path, synchronous string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqldb: %w", err)
	}
	q := url.Values{}
	// busy_timeout first: a connection opened while another holds the
	// write lock must wait, not fail, on its own journal_mode pragma.
	for _, p := range []string{"busy_timeout(" + strconv.Itoa(BusyTimeout) + ")",
		"journal_mode(WAL)", "synchronous(" + synchronous + ")", "foreign_keys(1)",
		// Checkpoints run in the background (see checkpointer), not in commits.
		"wal_autocheckpoint(0)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqldb: open %s: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqldb: open %s: %w", path, err)
	}
	pool(db)
	d := &DB{DB: db, Dialect: SQLite, stop: make(chan struct{}), stopped: make(chan struct{})}
	go d.checkpointer()
	return d, nil
}

// OpenPostgres connects to the PostgreSQL database at dsn. If schema is not
// empty, it is created if missing and used as search_path on every
// connection (tests isolate themselves this way).
func OpenPostgres(ctx context.Context, dsn, schema string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqldb: bad PostgreSQL DSN: %w", err)
	}
	if schema != "" {
		conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
		if err != nil {
			return nil, fmt.Errorf("sqldb: connect to PostgreSQL: %w", err)
		}
		_, err = conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
		conn.Close(ctx)
		if err != nil && !isUnique(err) {
			return nil, fmt.Errorf("sqldb: create schema: %w", err)
		}
		cfg.RuntimeParams["search_path"] = schema
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqldb: connect to PostgreSQL: %w", err)
	}
	pool(db)
	return &DB{DB: db, Dialect: Postgres}, nil
}

// Open opens PostgreSQL if dsn is set, else the SQLite file at path.
func Open(ctx context.Context, path, dsn string) (*DB, error) {
	if dsn != "" {
		return OpenPostgres(ctx, dsn, "")
	}
	return OpenSQLite(path)
}

// Rebind rewrites '?' placeholders as $1, $2, … for PostgreSQL.
// Queries must not contain '?' other than as placeholders.
func (db *DB) Rebind(query string) string {
	if db.Dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Tx runs fn in a transaction and commits it, or rolls back if fn or the
// commit fails. On SQLite the transaction holds the write lock from its start.
func (db *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// IsUniqueViolation reports whether err is a unique or primary-key violation.
func (db *DB) IsUniqueViolation(err error) bool { return isUnique(err) }

func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
