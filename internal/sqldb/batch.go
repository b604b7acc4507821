package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"sync"
)

// Batcher is group commit: operations submitted concurrently run in one
// shared transaction, each inside its own savepoint, so one durable commit
// (one fsync) serves them all, and one operation's failure undoes only its
// own changes. Do returns only after the shared transaction has committed
// (or failed), so an acknowledged operation is durable.
//
// An operation must do all its writes through the transaction it is given
// and must be safe to run after other operations of the batch. It may run
// twice (see run): its first run rolled back, so it must have no effect
// outside the transaction but its answer, which the second run overwrites.
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
		batch := b.drain([]*batchOp{first})
		// While others are submitting, let the goroutines about to submit
		// run first, so the batch (and its one fsync) serves them too.
		for n := 0; len(batch) > n && len(batch) < b.max; {
			n = len(batch)
			runtime.Gosched()
			batch = b.drain(batch)
		}
		b.run(batch)
	}
}

// drain adds the operations waiting to batch, up to max.
func (b *Batcher) drain(batch []*batchOp) []*batchOp {
	for len(batch) < b.max {
		select {
		case op := <-b.ops:
			batch = append(batch, op)
		default:
			return batch
		}
	}
	return batch
}

// errRetry makes the fast attempt of a batch roll back.
var errRetry = errors.New("sqldb: an operation failed: retry the batch with savepoints")

// run executes one batch; every op gets an answer. It first runs the ops
// one after the other with no savepoint (a SAVEPOINT and a RELEASE per op
// are two more statements for the one loop that every write waits on);
// if every op succeeds, that transaction commits. If one fails, its
// partial writes are in the transaction, so the whole attempt is rolled
// back and the batch runs again with a savepoint per op, where a failure
// undoes only its own changes: so an op may run twice, and only the
// second run's writes and answer count.
func (b *Batcher) run(batch []*batchOp) {
	errs := make([]error, len(batch))
	failed := -1
	err := b.db.Tx(context.Background(), func(tx *sql.Tx) error {
		for i, op := range batch {
			if errs[i] = op.ctx.Err(); errs[i] != nil {
				continue
			}
			if errs[i] = op.fn(tx); errs[i] != nil {
				failed = i
				return errRetry
			}
		}
		return nil
	})
	switch {
	case failed < 0:
		b.answer(batch, errs, err)
		return
	case len(batch) == 1: // the rollback undid exactly the failed op
		b.answer(batch, errs, nil)
		return
	}
	clear(errs)
	err = b.db.Tx(context.Background(), func(tx *sql.Tx) error {
		for i, op := range batch {
			if errs[i] = op.ctx.Err(); errs[i] != nil {
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
	b.answer(batch, errs, err)
}

// answer sends each op its error, or the commit's (then nothing of the
// batch happened).
func (b *Batcher) answer(batch []*batchOp, errs []error, err error) {
	for i, op := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		op.done <- errs[i]
	}
}
