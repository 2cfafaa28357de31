package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// startLockKey is the PostgreSQL advisory lock nodes hold while they
// start: "starling" in ASCII.
const startLockKey = 0x737461726c696e67

// StartLock waits until no other node starting on the database at url
// holds the start lock, then takes it, so that nodes sharing a database
// create its schema and its built-in definitions one after the other.
// release gives the lock back; the lock also goes with the connection if
// the process dies.
func StartLock(ctx context.Context, url string) (release func(), err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("the start lock: the URL does not parse (%s)", redactParseError(err))
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("the start lock: connect to %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(startLockKey)); err != nil {
		closeConn(conn, db)
		return nil, fmt.Errorf("the start lock: wait for it: %w", err)
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(startLockKey))
		closeConn(conn, db)
	}, nil
}

// closeConn closes a connection and its pool.
func closeConn(conn *sql.Conn, db *sql.DB) {
	_ = conn.Close()
	_ = db.Close()
}
