// Package sqlite is the embedded store: SQLite files under a directory,
// through the pure-Go driver modernc.org/sqlite, served by
// internal/store/sqlstore with this package's Dialect.
//
// The database runs in WAL mode. A write is answered once it is on disk:
// SQLite commits in synchronous=NORMAL mode (its write-ahead log is written
// but not flushed) and the engine flushes the log once per group of
// commits, overlapping that flush with the next group's work; SQLite
// flushes the log itself before every checkpoint. Options.Normal skips the
// engine's flush: a commit is then in the operating system's hands, which
// survives the server's crash but not a power cut. Readers have their own connections and never
// wait for the writer.
//
// sqlite imports internal/store, internal/store/query and
// internal/store/sqlstore only.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	_ "modernc.org/sqlite" // the driver: pure Go, no cgo

	"github.com/starlingmq/starling/internal/store/sqlstore"
)

// FileName is the database file inside the storage directory.
const FileName = "starling.db"

// Options configures Open.
type Options struct {
	// Readers is the number of read connections (default 2×GOMAXPROCS).
	Readers int
	// MaxScrollTTL bounds a scroll's life (default one minute).
	MaxScrollTTL time.Duration
	// Normal relaxes durability to SQLite's synchronous=NORMAL: commits
	// reach the operating system, not the disk, before they are answered.
	Normal bool
	// Logger receives the store's logs.
	Logger *slog.Logger
}

// Open creates dir when missing and opens (or creates) the store in it.
func Open(ctx context.Context, dir string, opts Options) (*sqlstore.Engine, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create the storage directory %q: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	// The commits themselves never wait for the disk: unless Normal, the
	// engine flushes the write-ahead log once per group of commits, while
	// the next group runs.
	writer, err := openDB(path, false)
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	// Set the journal mode once, before readers open the file.
	if _, err := writer.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open the store %q: %w", path, err)
	}
	reader, err := openDB(path, true)
	if err != nil {
		writer.Close()
		return nil, err
	}
	if opts.Readers <= 0 {
		opts.Readers = 2 * runtime.GOMAXPROCS(0)
	}
	reader.SetMaxOpenConns(opts.Readers)
	reader.SetMaxIdleConns(opts.Readers)
	cfg := sqlstore.Config{
		Dialect: NewDialect(), Writer: writer, Reader: reader, Logger: opts.Logger, MaxScrollTTL: opts.MaxScrollTTL,
	}
	if !opts.Normal {
		cfg.Flusher = &walFlusher{path: path + "-wal"}
	}
	engine, err := sqlstore.New(ctx, cfg)
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("open the store %q: %w", path, err)
	}
	return engine, nil
}

// openDB opens a handle on path with the store's pragmas.
func openDB(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(off)")
	if readOnly {
		q.Add("_pragma", "query_only(true)")
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open the store %q: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open the store %q: %w", path, err)
	}
	return db, nil
}

// walFlusher flushes the write-ahead log file to disk: what SQLite's
// synchronous=FULL does at every commit, done once per group instead.
type walFlusher struct {
	path string
	f    *os.File
}

// Flush implements sqlstore.Flusher.
func (w *walFlusher) Flush() error {
	if w.f == nil {
		f, err := os.Open(w.path)
		if err != nil {
			return fmt.Errorf("open the write-ahead log: %w", err)
		}
		w.f = f
	}
	return w.f.Sync()
}

// Close implements sqlstore.Flusher.
func (w *walFlusher) Close() error {
	if w.f == nil {
		return nil
	}
	return w.f.Close()
}
