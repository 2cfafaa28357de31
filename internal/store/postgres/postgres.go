package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
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
	if _, set := cfg.RuntimeParams["jit"]; !set {
		// The store's queries are short; a search into arrays nested deep
		// (a recursive query) is estimated costly enough for PostgreSQL to
		// compile it, which takes longer than running it.
		cfg.RuntimeParams["jit"] = "off"
	}
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
	if err := checkCollation(ctx, writer); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open the PostgreSQL store at %s: %w", where, err)
	}
	if err := migrate(ctx, writer, opts.Logger); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open the PostgreSQL store at %s: %w", where, err)
	}
	reader := stdlib.OpenDB(*cfg.Copy())
	reader.SetMaxOpenConns(opts.PoolSize)
	reader.SetMaxIdleConns(opts.PoolSize)
	engine, err := sqlstore.New(ctx, sqlstore.Config{
		Dialect: NewDialect(), Writer: writer, Reader: reader, Logger: opts.Logger, MaxScrollTTL: opts.MaxScrollTTL,
		Shared: true, // other nodes may use the same database
	})
	if err != nil {
		closeAll(writer, reader)
		return nil, fmt.Errorf("open the PostgreSQL store at %s: %w", where, err)
	}
	return engine, nil
}

// checkCollation refuses a database whose strings do not sort as their
// bytes: JSONB compares strings with the database's collation, and
// keyword ranges, prefixes and sorts must follow Elasticsearch's byte
// order (a range could otherwise miss documents).
func checkCollation(ctx context.Context, db *sql.DB) error {
	var provider, collate string
	err := db.QueryRowContext(ctx, `SELECT datlocprovider::text, datcollate FROM pg_database WHERE datname = current_database()`).
		Scan(&provider, &collate)
	if err != nil {
		return fmt.Errorf("read the database's collation: %w", err)
	}
	switch {
	case provider != "c":
		return fmt.Errorf("the database's collation comes from ICU; Starling needs one that sorts strings by their bytes: " +
			"create the database with CREATE DATABASE name TEMPLATE template0 LOCALE_PROVIDER libc LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'")
	case collate == "C", collate == "POSIX", strings.EqualFold(collate, "C.UTF-8"), strings.EqualFold(collate, "C.UTF8"):
		return nil
	}
	return fmt.Errorf("the database's collation is %q; Starling needs one that sorts strings by their bytes: "+
		"create the database with CREATE DATABASE name TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'", collate)
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
