package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
)

// maxPointStatements bounds the statements one point connection keeps
// prepared; past it they are all closed and prepared again on use.
const maxPointStatements = 256

// pointReads runs reads of one row by key (document:get, exists) on
// connections of their own, through the driver's statement interface:
// database/sql's pool, its goroutine watching each query's context and
// its conversions cost such a read as much as the database's lookup
// itself (BenchmarkGet). Safe for concurrent use: a read takes a
// connection for itself.
type pointReads struct {
	conns chan *pointConn
	all   []*pointConn
}

// pointConn is one connection and the statements prepared on it; only the
// read holding it uses them.
type pointConn struct {
	c     *sql.Conn
	stmts map[string]driver.Stmt
}

// newPointReads takes n connections of db.
func newPointReads(ctx context.Context, db *sql.DB, n int) (*pointReads, error) {
	p := &pointReads{conns: make(chan *pointConn, n)}
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("open a point-read connection: %w", err)
		}
		pc := &pointConn{c: c, stmts: map[string]driver.Stmt{}}
		p.all = append(p.all, pc)
		p.conns <- pc
	}
	return p, nil
}

// row runs q with args and reads its first row into dest, reporting
// whether there was one. Byte values are copied: dest outlives the row.
func (p *pointReads) row(ctx context.Context, q string, args []driver.NamedValue, dest []driver.Value) (bool, error) {
	var pc *pointConn
	select {
	case pc = <-p.conns:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { p.conns <- pc }()
	found := false
	err := pc.c.Raw(func(dc any) error {
		st, err := pc.stmt(dc, q)
		if err != nil {
			return err
		}
		rows, err := st.(driver.StmtQueryContext).QueryContext(context.WithoutCancel(ctx), args)
		if err != nil {
			return err
		}
		err = rows.Next(dest)
		if errors.Is(err, io.EOF) {
			return rows.Close()
		}
		if err != nil {
			_ = rows.Close()
			return err
		}
		found = true
		for i, v := range dest {
			if b, ok := v.([]byte); ok {
				dest[i] = bytes.Clone(b)
			}
		}
		return rows.Close()
	})
	return found, err
}

// stmt returns q prepared on the driver connection dc.
func (pc *pointConn) stmt(dc any, q string) (driver.Stmt, error) {
	if st, ok := pc.stmts[q]; ok {
		return st, nil
	}
	prep, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, errors.New("the driver cannot prepare with a context")
	}
	st, err := prep.PrepareContext(context.Background(), q)
	if err != nil {
		return nil, err
	}
	if _, ok := st.(driver.StmtQueryContext); !ok {
		_ = st.Close()
		return nil, errors.New("the driver's statements cannot query with a context")
	}
	if len(pc.stmts) >= maxPointStatements {
		for k, old := range pc.stmts {
			_ = old.Close()
			delete(pc.stmts, k)
		}
	}
	pc.stmts[q] = st
	return st, nil
}

// close closes every connection once no read holds it.
func (p *pointReads) close() {
	for range p.all {
		pc := <-p.conns
		for _, st := range pc.stmts {
			_ = st.Close()
		}
		_ = pc.c.Close()
	}
}

// int64Value reads an integer column as a driver returns it.
func int64Value(v driver.Value) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	case float64:
		return int64(n), nil
	}
	return 0, fmt.Errorf("an integer column read as %T", v)
}

// bytesValue reads a text or blob column as a driver returns it.
func bytesValue(v driver.Value) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case string:
		return []byte(b), nil
	}
	return nil, fmt.Errorf("a text column read as %T", v)
}
