package sqlstore

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// errFlushFailed is what every write gets once a flush failed: after a
// failed flush the operating system may have dropped what it could not
// write, so a later flush that succeeds proves nothing. The store takes
// no more writes until it is opened again, as PostgreSQL stops after a
// failed fsync.
var errFlushFailed = errors.New("the store could not flush its log to disk and takes no more writes until the server restarts")

// flusher answers committed groups once they are on disk. The writer hands
// it each group as soon as the group is committed and goes on with the
// next one; the flusher calls flush, which makes everything committed
// before it began durable, then answers every group it covered. While one
// flush runs, the groups committed meanwhile wait for the next, which
// covers them all.
type flusher struct {
	flush func() error
	log   *slog.Logger
	mu    sync.Mutex
	// waiting is the committed jobs no flush covered yet.
	waiting []*job
	// failed is set by the first failed flush; every later write fails.
	failed atomic.Pointer[error]
	kick   chan struct{} // a group waits
	stop   chan struct{} // the writer stopped: flush what waits and end
	done   chan struct{}
}

// newFlusher starts a flusher calling flush.
func newFlusher(flush func() error, log *slog.Logger) *flusher {
	f := &flusher{
		flush: flush, log: log,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go f.run()
	return f
}

// add hands the flusher a committed group. It never blocks.
func (f *flusher) add(jobs []*job) {
	f.mu.Lock()
	f.waiting = append(f.waiting, jobs...)
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// err returns the error of the failed flush, nil while flushes succeed.
func (f *flusher) err() error {
	if p := f.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// run flushes what waits, again and again, until close.
func (f *flusher) run() {
	defer close(f.done)
	for {
		select {
		case <-f.kick:
			f.flushWaiting()
		case <-f.stop:
			f.flushWaiting()
			return
		}
	}
}

// flushWaiting flushes once for every job waiting now, then answers them.
func (f *flusher) flushWaiting() {
	f.mu.Lock()
	jobs := f.waiting
	f.waiting = nil
	f.mu.Unlock()
	if len(jobs) == 0 {
		return
	}
	failed := f.err()
	if failed == nil {
		if err := f.flush(); err != nil {
			f.log.Error("store flush failed: the store takes no more writes", "error", err)
			failed = fmt.Errorf("%w: %w", errFlushFailed, err)
			f.failed.Store(&failed)
		}
	}
	for _, j := range jobs {
		if failed != nil && j.err == nil {
			j.err = failed
		}
		close(j.done)
	}
}

// close flushes and answers what waits, then stops the flusher. Called
// once the writer has stopped.
func (f *flusher) close() {
	close(f.stop)
	<-f.done
}
