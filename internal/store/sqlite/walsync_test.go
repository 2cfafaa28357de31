package sqlite

import (
	"os"
	"path/filepath"
	"testing"
)

// The syncer flushes the file the log's path names, even when the file it
// opened first was replaced.
func TestWALSyncFollowsTheLogFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), FileName)
	s := newWALSync(db)
	if err := s.sync(); err == nil {
		t.Fatal("sync without a log succeeded")
	}
	if err := os.WriteFile(db+"-wal", []byte("frames"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); err != nil {
		t.Fatalf("sync: %v", err)
	}
	first := s.info
	other := db + "-new"
	if err := os.WriteFile(other, []byte("other frames"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, db+"-wal"); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); err != nil {
		t.Fatalf("sync after the log was replaced: %v", err)
	}
	now, err := os.Stat(db + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(first, s.info) || !os.SameFile(now, s.info) {
		t.Fatal("the syncer still holds the replaced log")
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
}
