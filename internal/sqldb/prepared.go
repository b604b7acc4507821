package sqldb

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// Prepared caches prepared statements by query text, so hot paths parse
// each statement once instead of on every call (SQLite's prepare is a large
// part of a small statement's cost).
type Prepared struct {
	db *DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// NewPrepared returns an empty cache on db.
func NewPrepared(db *DB) *Prepared { return &Prepared{db: db, m: map[string]*sql.Stmt{}} }

// Exec runs query ('?' placeholders) in tx with a cached prepared statement.
func (p *Prepared) Exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// Stmt returns the cached prepared statement for query ('?' placeholders),
// bound to tx unless tx is nil.
func (p *Prepared) Stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, err := p.stmt(ctx, query)
	if err != nil || tx == nil {
		return st, err
	}
	return tx.StmtContext(ctx, st), nil
}

func (p *Prepared) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.m[query]; ok {
		return st, nil
	}
	st, err := p.db.PrepareContext(ctx, p.db.Rebind(query))
	if err != nil {
		return nil, err
	}
	p.m[query] = st
	return st, nil
}

// Forget closes and drops the cached statements that mention name (a table
// that is about to be dropped).
func (p *Prepared) Forget(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, st := range p.m {
		if strings.Contains(q, name) {
			st.Close()
			delete(p.m, q)
		}
	}
}

// Close closes every cached statement.
func (p *Prepared) Close() { p.Forget("") }
