package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
)

// walSync makes the write-ahead log durable from a handle of its own: the
// writer commits with synchronous=NORMAL, which writes the log without
// waiting for the disk, and the engine calls sync before it answers what
// those commits hold. A flush covers every frame written before it began,
// so one serves all the groups committed meanwhile.
//
// SQLite keeps the same log file while the store is open (it starts it
// anew by writing from its beginning, and a checkpoint syncs the log and
// the database before that), so the handle stays valid; sync still checks
// that the path names the file it holds and reopens it when not.
type walSync struct {
	path string      // the log: the database's path and "-wal"
	f    *os.File    // nil until the first sync
	info os.FileInfo // f's identity
}

// newWALSync returns the syncer of the log of the database at dbPath.
func newWALSync(dbPath string) *walSync { return &walSync{path: dbPath + "-wal"} }

// sync makes everything written to the log before it began durable.
func (s *walSync) sync() error {
	if s.f == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	if err := datasync(s.f); err != nil {
		return fmt.Errorf("flush the log %q: %w", s.path, err)
	}
	if info, err := os.Stat(s.path); err == nil && os.SameFile(info, s.info) {
		return nil
	}
	// The path names another file than the one just flushed: flush that.
	_ = s.f.Close()
	s.f = nil
	if err := s.open(); err != nil {
		return err
	}
	if err := datasync(s.f); err != nil {
		return fmt.Errorf("flush the log %q: %w", s.path, err)
	}
	return nil
}

// open opens the log and flushes its directory, so that the log's name is
// on disk too.
func (s *walSync) open() error {
	f, err := os.OpenFile(s.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open the log %q: %w", s.path, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open the log %q: %w", s.path, err)
	}
	if err := syncDir(filepath.Dir(s.path)); err != nil {
		f.Close()
		return err
	}
	s.f, s.info = f, info
	return nil
}

// close releases the handle.
func (s *walSync) close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// syncDir flushes a directory, making the names created in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open the storage directory %q: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("flush the storage directory %q: %w", dir, err)
	}
	return nil
}
