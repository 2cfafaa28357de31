package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/sqlite"
)

// TestCheckpointerCopiesTheLog: commits far below the writer's own
// checkpoint threshold reach the database file, copied by the
// checkpointer while the store stays open.
func TestCheckpointerCopiesTheLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := open(t, dir)
	defer e.Close()
	if err := e.CreateCollection(ctx, "idx", "col", nil, nil); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, sqlite.FileName)
	before := fileSize(t, db)
	ops := make([]store.Op, 200)
	for i := range ops {
		ops[i] = store.Op{Kind: store.OpCreate, ID: fmt.Sprintf("d%d", i), Body: []byte(`{"text":"` + fmt.Sprint(i) + `-0123456789abcdef0123456789abcdef"}`)}
	}
	if _, err := e.Write(ctx, "idx", "col", ops); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for fileSize(t, db) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes: the log was not checkpointed", before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestCloseTwice: a second Close returns at once with the first's result.
func TestCloseTwice(t *testing.T) {
	e := open(t, t.TempDir())
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
