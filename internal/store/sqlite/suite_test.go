package sqlite_test

import (
	"testing"

	"github.com/starlingmq/starling/internal/store/sqlstore"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// TestStoreSuite runs the dialect-neutral store tests on SQLite, each in
// a directory of its own.
func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t testing.TB) storetest.Opener {
		dir := t.TempDir()
		return func(t testing.TB) *sqlstore.Engine { return open(t, dir) }
	})
}
