// Package sqlite is the embedded store: SQLite files under a directory,
// through the pure-Go driver modernc.org/sqlite, served by
// internal/store/sqlstore with this package's Dialect.
//
// The database runs in WAL mode. A write is answered once it is on disk:
// the writer commits groups of writes with synchronous=NORMAL, which hands
// the log to the operating system without waiting, and the engine answers
// each group after a flush of the log (fdatasync) that began after its
// commit; one flush covers every group committed before it, and the writer
// commits the next groups while it runs. Another client may read a write
// in the moment between its commit and that flush, as Elasticsearch may
// show a document before its translog is flushed. Options.Normal drops the
// flush: a write is answered once it is in the operating system's hands,
// which survives the server's crash but not a power cut. Readers have
// their own connections and never wait for the writer; a checkpointer of
// its own copies the log into the database file beside them
// (checkpoint.go).
//
// sqlite imports internal/store, internal/store/query and
// internal/store/sqlstore only.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
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
	// Normal relaxes durability: writes reach the operating system, not
	// the disk, before they are answered.
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
	// The writer never waits for the disk at commit: with the default
	// durability the engine flushes the log itself before it answers.
	writer, err := openDB(path, false, true)
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	// Set the journal mode once, before readers open the file.
	if _, err := writer.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open the store %q: %w", path, err)
	}
	reader, err := openDB(path, true, opts.Normal)
	if err != nil {
		writer.Close()
		return nil, err
	}
	if opts.Readers <= 0 {
		opts.Readers = 2 * runtime.GOMAXPROCS(0)
	}
	points := runtime.GOMAXPROCS(0)
	reader.SetMaxOpenConns(opts.Readers + points)
	reader.SetMaxIdleConns(opts.Readers + points)
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ckdb, err := openDB(path, false, opts.Normal)
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, err
	}
	ckpt := newCheckpointer(ckdb, 100*time.Millisecond, opts.Logger)
	cfg := sqlstore.Config{
		Dialect: NewDialect(), Writer: writer, Reader: reader, Logger: opts.Logger, MaxScrollTTL: opts.MaxScrollTTL,
		PointReaders: points, Committed: ckpt.committed, OnClose: ckpt.close,
	}
	if !opts.Normal {
		wal := newWALSync(path)
		cfg.Flush = wal.sync
		cfg.OnClose = func() error { return errors.Join(ckpt.close(), wal.close()) }
	}
	engine, err := sqlstore.New(ctx, cfg)
	if err != nil {
		ckpt.close()
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("open the store %q: %w", path, err)
	}
	return engine, nil
}

// openDB opens a handle on path with the store's pragmas.
func openDB(path string, readOnly, normal bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if normal {
		q.Add("_pragma", "synchronous(NORMAL)")
	} else {
		q.Add("_pragma", "synchronous(FULL)")
	}
	q.Add("_pragma", "foreign_keys(off)")
	// Reads map the file instead of copying each page through a system
	// call into every connection's own cache.
	q.Add("_pragma", "mmap_size(1073741824)")
	// The checkpointer copies the log into the database file beside the
	// writer; the writer checkpoints itself only when the log reaches
	// 40,000 pages (160 MB), where it also starts the log anew.
	q.Add("_pragma", "wal_autocheckpoint(40000)")
	if readOnly {
		q.Add("_pragma", "query_only(true)")
	} else {
		// The writer keeps the index pages its inserts change: with
		// SQLite's default 2 MB it would read most of them back from the
		// log at every group.
		q.Add("_pragma", "cache_size(-65536)")
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
