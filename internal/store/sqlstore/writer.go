package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"

	"github.com/starlingmq/starling/internal/coherence"
	"github.com/starlingmq/starling/internal/kerror"
)

// txn is the writer's view of the group being committed: the transaction
// and the catalogue as the group's jobs have changed it so far.
type txn struct {
	e     *Engine
	ctx   context.Context
	tx    *sql.Tx
	cat   *catalog
	dirty bool // cat is a copy of the published catalogue
	stmts map[string]*sql.Stmt
	// changes are what the group changed in the catalogue, emitted once
	// it is committed.
	changes []coherence.Change
}

// catalog returns the catalogue as this group sees it.
func (w *txn) catalog() *catalog { return w.cat }

// mutable returns the group's catalogue, copied from the published one the
// first time it is changed.
func (w *txn) mutable() *catalog {
	if !w.dirty {
		w.cat, w.dirty = w.cat.clone(), true
	}
	return w.cat
}

// exec runs a statement of the transaction, prepared once per engine.
func (w *txn) exec(query string, args ...any) (sql.Result, error) {
	s, err := w.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(w.ctx, args...)
}

// queryRow runs a one-row query of the transaction.
func (w *txn) queryRow(query string, args ...any) *sql.Row {
	s, err := w.stmt(query)
	if err != nil {
		return w.tx.QueryRowContext(w.ctx, query, args...)
	}
	return s.QueryRowContext(w.ctx, args...)
}

// stmt returns query prepared once on the writer's connection, bound to
// the transaction (a statement of the same connection is not prepared
// again). Statements naming a dropped table are prepared no more and stay
// until Close: tables have fresh names, so they are few.
func (w *txn) stmt(query string) (*sql.Stmt, error) {
	if s, ok := w.stmts[query]; ok {
		return s, nil
	}
	prepared, ok := w.e.prepared[query]
	if !ok {
		var err error
		if prepared, err = w.e.conn.PrepareContext(w.ctx, query); err != nil {
			return nil, err
		}
		w.e.prepared[query] = prepared
	}
	s := w.tx.StmtContext(w.ctx, prepared)
	w.stmts[query] = s
	return s, nil
}

// writeLoop is the writer goroutine: it commits groups of jobs until Close.
func (e *Engine) writeLoop() {
	defer close(e.done)
	for {
		select {
		case first := <-e.jobs:
			// The writes readied with first run before the group is
			// taken: with one P (GOMAXPROCS=1, a process pinned to one
			// CPU), the writer would otherwise commit them one by one.
			runtime.Gosched()
			e.commitGroup(first)
		case <-e.stop:
			for {
				select {
				case j := <-e.jobs:
					e.commitGroup(j)
				default:
					return
				}
			}
		}
	}
}

// commitGroup runs first and every job that arrives meanwhile (up to
// MaxBatch) in one transaction, commits it, then answers them all, or
// hands them to the flusher, which answers them once they are on disk. A job
// that fails with an engine error is answered with it, the transaction is
// rolled back, and the others run again in a new one.
func (e *Engine) commitGroup(first *job) {
	pending := []*job{first}
	for len(pending) > 0 {
		w, err := e.begin()
		if err != nil {
			answer(pending, fmt.Errorf("begin a transaction: %w", err))
			return
		}
		ran, rest, failed := e.runJobs(w, pending)
		if failed != nil {
			_ = w.tx.Rollback()
			close(failed.done)
			pending = append(ran, rest...)
			continue
		}
		if err := w.tx.Commit(); err != nil {
			answer(ran, fmt.Errorf("commit: %w", err))
			return
		}
		if w.dirty {
			e.cat.Store(w.cat)
		}
		e.emitChanges(w.changes)
		e.commits.Add(1)
		e.committed.Add(int64(len(ran)))
		if e.committedHook != nil {
			e.committedHook()
		}
		if e.flusher != nil {
			e.flusher.add(ran)
			return
		}
		for _, j := range ran {
			close(j.done)
		}
		return
	}
}

// runJobs runs pending then newly arrived jobs until none waits or the
// group is full. It stops at the first job failing with an engine error,
// returning it and the jobs not run yet.
func (e *Engine) runJobs(w *txn, pending []*job) (ran, rest []*job, failed *job) {
	for i := 0; ; i++ {
		var j *job
		if i < len(pending) {
			j = pending[i]
		} else if len(ran) < e.max {
			select {
			case j = <-e.jobs:
			default:
			}
		}
		if j == nil {
			return ran, nil, nil
		}
		j.err = j.run(w)
		var kerr *kerror.Error
		if j.err != nil && !errors.As(j.err, &kerr) {
			e.log.Error("store write failed", "dialect", e.d.Name(), "error", j.err)
			if i+1 < len(pending) {
				rest = pending[i+1:]
			}
			return ran, rest, j
		}
		ran = append(ran, j)
	}
}

// begin opens the group's transaction. When the writer's connection
// cannot begin one (a database server that restarted or cut it), it takes
// a new connection once: the group that met the broken connection failed,
// the next ones do not.
func (e *Engine) begin() (*txn, error) {
	ctx := context.Background()
	tx, err := e.conn.BeginTx(ctx, nil)
	if err != nil {
		if rerr := e.reconnect(ctx); rerr != nil {
			return nil, fmt.Errorf("%w (and no new connection: %w)", err, rerr)
		}
		if tx, err = e.conn.BeginTx(ctx, nil); err != nil {
			return nil, err
		}
	}
	return &txn{e: e, ctx: ctx, tx: tx, cat: e.current(), stmts: map[string]*sql.Stmt{}}, nil
}

// answer fails every job with err.
func answer(jobs []*job, err error) {
	for _, j := range jobs {
		j.err = err
		close(j.done)
	}
}

// WriterStats returns how many commits the writer made and how many writes
// they held.
func (e *Engine) WriterStats() (commits, writes int64) {
	return e.commits.Load(), e.committed.Load()
}

// reconnect replaces the writer's connection, and forgets the statements
// prepared on the old one.
func (e *Engine) reconnect(ctx context.Context) error {
	for _, st := range e.prepared {
		_ = st.Close()
	}
	e.prepared = map[string]*sql.Stmt{}
	_ = e.conn.Close()
	conn, err := e.wdb.Conn(ctx)
	if err != nil {
		return err
	}
	e.conn = conn
	e.log.Warn("the store's writer took a new connection", "dialect", e.d.Name())
	return nil
}
