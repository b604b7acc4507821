package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Batcher is group commit: operations submitted concurrently run in one
// shared transaction, each inside its own savepoint, so one durable commit
// (one fsync) serves them all, and one operation's failure undoes only its
// own changes. Do returns only after the shared transaction has committed
// (or failed), so an acknowledged operation is durable.
//
// An operation must do all its writes through the transaction it is given
// and must be safe to run after other operations of the batch.
type Batcher struct {
	db       *DB
	prep     *Prepared // SAVEPOINT, RELEASE and ROLLBACK TO, parsed once
	max      int
	ops      chan *batchOp
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

type batchOp struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
}

// ErrBatcherClosed is returned by Do after Close.
var ErrBatcherClosed = errors.New("sqldb: batcher closed")

// NewBatcher starts a group-commit loop on db with at most max operations
// per transaction.
func NewBatcher(db *DB, max int) *Batcher {
	b := &Batcher{db: db, prep: NewPrepared(db), max: max, ops: make(chan *batchOp), stop: make(chan struct{})}
	b.wg.Add(1)
	go b.loop()
	return b
}

// Do runs fn in the next batch and returns its error, or the commit's.
func (b *Batcher) Do(ctx context.Context, fn func(*sql.Tx) error) error {
	op := &batchOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case b.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return ErrBatcherClosed
	}
	return <-op.done // the batch always answers, even if ctx ends meanwhile
}

// Close stops the loop after the batch in progress.
func (b *Batcher) Close() {
	b.stopOnce.Do(func() { close(b.stop) })
	b.wg.Wait()
	b.prep.Close()
}

func (b *Batcher) loop() {
	defer b.wg.Done()
	for {
		var first *batchOp
		select {
		case first = <-b.ops:
		case <-b.stop:
			return
		}
		batch := []*batchOp{first}
	drain:
		for len(batch) < b.max {
			select {
			case op := <-b.ops:
				batch = append(batch, op)
			default:
				break drain
			}
		}
		b.run(batch)
	}
}

// run executes one batch; every op gets an answer.
func (b *Batcher) run(batch []*batchOp) {
	errs := make([]error, len(batch))
	err := b.db.Tx(context.Background(), func(tx *sql.Tx) error {
		for i, op := range batch {
			if err := op.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			if _, err := b.prep.Exec(context.Background(), tx, "SAVEPOINT op"); err != nil {
				return err
			}
			errs[i] = op.fn(tx)
			undo := "RELEASE SAVEPOINT op"
			if errs[i] != nil {
				undo = "ROLLBACK TO SAVEPOINT op"
			}
			if _, err := b.prep.Exec(context.Background(), tx, undo); err != nil {
				return err
			}
		}
		return nil
	})
	for i, op := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err // the commit failed: nothing of the batch happened
		}
		op.done <- errs[i]
	}
}
