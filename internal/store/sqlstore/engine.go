package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starlingmq/starling/internal/coherence"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
)

// Config configures an Engine.
type Config struct {
	// Dialect writes the database's SQL.
	Dialect Dialect
	// Writer is the database handle writes go through; the engine uses one
	// connection of it, from one goroutine.
	Writer *sql.DB
	// Reader serves reads; it may be Writer.
	Reader *sql.DB
	// PointReaders is the number of Reader's connections the engine keeps
	// for reads by id (0: those go through Reader's pool like the others);
	// Reader must allow that many more.
	PointReaders int
	// MaxBatch bounds the writes one commit groups (default 1024).
	MaxBatch int
	// MaxScrolls bounds the scrolls kept open at once (default 10,000).
	MaxScrolls int
	// MaxScrollTTL bounds a scroll's life (default one minute, Kuzzle's
	// services.storageEngine.maxScrollDuration).
	MaxScrollTTL time.Duration
	// Logger receives the engine's logs; slog.Default() when nil.
	Logger *slog.Logger
	// Committed, when set, is called by the writer after each commit; it
	// must return at once.
	Committed func()
	// Flush, when set, makes commits durable after the fact: the writer's
	// connection must not wait for the disk at commit, and the engine
	// answers a committed group only once a Flush that began after its
	// commit returned. One Flush covers every group committed before it
	// began, and the writer commits the next groups while it runs. After
	// a failed Flush every write fails until the engine is opened again.
	Flush func() error
	// OnClose, when set, is called by Close once the writer has stopped,
	// before the database handles close.
	OnClose func() error
	// Shared says that engines of other nodes change the same database:
	// names unknown in memory are then looked up in it, and collections
	// read again before they are changed (see coherence.go).
	Shared bool
}

// Engine is a store.Store on an SQL database. Safe for concurrent use.
type Engine struct {
	d      Dialect
	wdb    *sql.DB
	rdb    *sql.DB
	log    *slog.Logger
	cat    atomic.Pointer[catalog]
	jobs   chan *job
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	max    int
	scroll *scrolls
	reads  *readStatements
	points *pointReads // nil: reads by id go through rdb
	// conn is the writer's connection and prepared its statements, by
	// SQL; only the writer goroutine uses them.
	conn     *sql.Conn
	prepared map[string]*sql.Stmt
	// lastID is the time part of the last generated document id.
	lastID atomic.Uint64
	// commits and committed count the groups committed and the jobs in
	// them.
	commits, committed atomic.Int64
	// committedHook is Config.Committed.
	committedHook func()
	// flusher answers committed groups once Config.Flush made them
	// durable; nil: groups are answered at commit.
	flusher *flusher
	onClose func() error
	// closing guards jobs against sends after Close.
	closing sync.RWMutex
	closed  bool
	// closeErr is what the first Close returned, returned again after.
	closeErr error
	// emit sends the catalogue's changes to other nodes; shared and
	// misses serve read-through (coherence.go).
	emit   coherence.Emitter
	shared bool
	misses misses
}

var _ store.Store = (*Engine)(nil)

// New creates the catalogue tables when missing, loads the catalogue and
// starts the writer.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1024
	}
	if cfg.Reader == nil {
		cfg.Reader = cfg.Writer
	}
	e := &Engine{
		d: cfg.Dialect, wdb: cfg.Writer, rdb: cfg.Reader, log: cfg.Logger,
		jobs: make(chan *job, cfg.MaxBatch), stop: make(chan struct{}), done: make(chan struct{}),
		max: cfg.MaxBatch, scroll: newScrolls(cfg.MaxScrolls, cfg.MaxScrollTTL),
		reads:         &readStatements{db: cfg.Reader, m: map[string]*sql.Stmt{}},
		committedHook: cfg.Committed,
		onClose:       cfg.OnClose,
		shared:        cfg.Shared,
	}
	for _, stmt := range e.d.Catalogue() {
		if _, err := e.wdb.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("create the %s catalogue: %w", e.d.Name(), err)
		}
	}
	cat, err := e.load(ctx)
	if err != nil {
		return nil, err
	}
	if e.conn, err = e.wdb.Conn(ctx); err != nil {
		return nil, fmt.Errorf("open the writer's connection: %w", err)
	}
	if cfg.PointReaders > 0 {
		if e.points, err = newPointReads(ctx, cfg.Reader, cfg.PointReaders); err != nil {
			_ = e.conn.Close()
			return nil, err
		}
	}
	e.prepared = map[string]*sql.Stmt{}
	e.cat.Store(cat)
	if cfg.Flush != nil {
		e.flusher = newFlusher(cfg.Flush, e.log)
	}
	go e.writeLoop()
	return e, nil
}

// Close stops the writer once the writes already handed to it are
// committed, and closes the database handles.
func (e *Engine) Close() error {
	e.once.Do(func() {
		e.closing.Lock()
		e.closed = true
		e.closing.Unlock()
		close(e.stop)
		<-e.done
		if e.flusher != nil {
			e.flusher.close()
		}
		e.closeErr = e.release()
	})
	return e.closeErr
}

// release closes what the engine holds, once its writer stopped.
func (e *Engine) release() error {
	var err error
	if e.onClose != nil {
		err = e.onClose()
	}
	e.reads.close()
	if e.points != nil {
		e.points.close()
	}
	for _, s := range e.prepared {
		_ = s.Close()
	}
	_ = e.conn.Close()
	err = errors.Join(err, e.wdb.Close())
	if e.rdb != e.wdb {
		err = errors.Join(err, e.rdb.Close())
	}
	return err
}

// job is one unit of the writer's work: run applies it inside the group's
// transaction. run may be called again, in a new transaction, when another
// job of its group failed: it must start from scratch each time.
type job struct {
	run  func(w *txn) error
	err  error
	done chan struct{}
}

// submit hands run to the writer and waits until it is committed (or
// failed). The wait ends early when ctx does, but the write may still
// happen: it is already queued.
func (e *Engine) submit(ctx context.Context, run func(w *txn) error) error {
	j := &job{run: run, done: make(chan struct{})}
	e.closing.RLock()
	if e.closed {
		e.closing.RUnlock()
		return kerror.New("services.storage.not_connected")
	}
	if e.flusher != nil {
		if err := e.flusher.err(); err != nil {
			e.closing.RUnlock()
			return err
		}
	}
	select {
	case e.jobs <- j:
	case <-ctx.Done():
		e.closing.RUnlock()
		return ctx.Err()
	}
	e.closing.RUnlock()
	select {
	case <-j.done:
		return j.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// current returns the published catalogue.
func (e *Engine) current() *catalog { return e.cat.Load() }

// unexpected wraps an engine failure as the Kuzzle error clients get.
func unexpected(what string, err error) error {
	var kerr *kerror.Error
	if errors.As(err, &kerr) {
		return kerr
	}
	return fmt.Errorf("%s: %w", what, err)
}
