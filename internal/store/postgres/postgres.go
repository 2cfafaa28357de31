package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/starlingmq/starling/internal/store/sqlstore"
)

// Options configures Open.
type Options struct {
	// PoolSize is the number of read connections (default 10); the writer
	// has one more of its own.
	PoolSize int
	// MaxScrollTTL bounds a scroll's life (default one minute).
	MaxScrollTTL time.Duration
	// Logger receives the store's logs.
	Logger *slog.Logger
}

// Open connects to the database at url (a libpq URL or key=value string)
// and opens (or creates) the store in it. Its errors name the server's
// host and database, never the password.
func Open(ctx context.Context, url string, opts Options) (*sqlstore.Engine, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open the PostgreSQL store: the URL does not parse (%s)", redactParseError(err))
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	if opts.PoolSize <= 0 {
		opts.PoolSize = 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	writer := stdlib.OpenDB(*cfg.Copy())
	writer.SetMaxOpenConns(1)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open the PostgreSQL store at %s: %w", where, err)
	}
	reader := stdlib.OpenDB(*cfg.Copy())
	reader.SetMaxOpenConns(opts.PoolSize)
	reader.SetMaxIdleConns(opts.PoolSize)
	engine, err := sqlstore.New(ctx, sqlstore.Config{
		Dialect: NewDialect(), Writer: writer, Reader: reader, Logger: opts.Logger, MaxScrollTTL: opts.MaxScrollTTL,
	})
	if err != nil {
		closeAll(writer, reader)
		return nil, fmt.Errorf("open the PostgreSQL store at %s: %w", where, err)
	}
	return engine, nil
}

// closeAll closes database handles.
func closeAll(dbs ...*sql.DB) {
	for _, db := range dbs {
		_ = db.Close()
	}
}

// redactParseError says why a URL did not parse without quoting it: pgx's
// parse errors carry the URL, and redact its password only at best.
func redactParseError(error) string {
	return "expected postgres://user:password@host:port/database?options or key=value pairs"
}
