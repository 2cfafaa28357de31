package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// checkpointer copies the write-ahead log into the database file from a
// connection and goroutine of its own. Its checkpoints are PASSIVE: they
// run beside the writer's commits and the readers, and copy what no
// reader still needs. The writer's own automatic checkpoint stays as a
// backstop for a log the checkpointer cannot keep up with.
type checkpointer struct {
	db    *sql.DB
	log   *slog.Logger
	delay time.Duration
	kick  chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

// newCheckpointer starts a checkpointer on db (one connection), which
// waits delay after a commit so that one checkpoint copies the pages of
// many commits, a page written by several of them once.
func newCheckpointer(db *sql.DB, delay time.Duration, log *slog.Logger) *checkpointer {
	db.SetMaxOpenConns(1)
	c := &checkpointer{
		db: db, log: log, delay: delay,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go c.run()
	return c
}

// committed tells the checkpointer that the log grew. It never blocks.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// run checkpoints after commits until close.
func (c *checkpointer) run() {
	defer close(c.done)
	wait := time.NewTimer(c.delay)
	wait.Stop()
	for {
		select {
		case <-c.kick:
		case <-c.stop:
			return
		}
		wait.Reset(c.delay)
		select {
		case <-wait.C:
		case <-c.stop:
			return
		}
		c.checkpoint()
	}
}

// checkpoint runs one PASSIVE checkpoint.
func (c *checkpointer) checkpoint() {
	var busy, frames, copied int
	err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	if err != nil {
		c.log.Warn("store checkpoint failed", "error", err)
	}
}

// close stops the checkpointer and closes its handle.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
