package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxReadStatements bounds the read statements kept prepared.
const maxReadStatements = 512

// readStatements keeps the reads' statements prepared on the reader
// handle, by SQL text, so that a get or a search of a shape seen before
// is not parsed again. It never closes a statement (one may be in use):
// once full it prepares nothing more, and the reads it does not hold run
// unprepared.
type readStatements struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

// stmt returns q prepared, nil when the cache is full or q does not
// prepare (the caller then runs it unprepared, for its error).
func (r *readStatements) stmt(ctx context.Context, q string) *sql.Stmt {
	r.mu.RLock()
	s, ok := r.m[q]
	full := len(r.m) >= maxReadStatements
	r.mu.RUnlock()
	if ok || full {
		return s
	}
	s, err := r.db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.m[q]; ok {
		_ = s.Close() // prepared meanwhile by another read; not in use yet
		return old
	}
	if len(r.m) >= maxReadStatements {
		_ = s.Close()
		return nil
	}
	r.m[q] = s
	return s
}

// query runs a read.
func (e *Engine) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := e.reads.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return e.rdb.QueryContext(ctx, q, args...)
}

// queryRow runs a read of one row.
func (e *Engine) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if s := e.reads.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return e.rdb.QueryRowContext(ctx, q, args...)
}

// close closes the prepared statements.
func (r *readStatements) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for q, s := range r.m {
		_ = s.Close()
		delete(r.m, q)
	}
}
