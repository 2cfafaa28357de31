package teststores

import (
	"context"
	"testing"

	"github.com/starlingmq/starling/internal/store/postgres"
	"github.com/starlingmq/starling/internal/store/sqlite"
	"github.com/starlingmq/starling/internal/store/sqlstore"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// Dialects makes the stores of one test binary's tests. Its zero value
// makes SQLite stores only, until Main starts the PostgreSQL cluster.
type Dialects struct {
	pg *storetest.Cluster
}

// Main runs a test binary's tests with a PostgreSQL cluster started for
// them in d, and stops it after (storetest.Main). Call it from TestMain.
func Main(m *testing.M, d *Dialects) int { return storetest.Main(m, &d.pg) }

// Run runs test once per dialect, each in a subtest named after the
// dialect, with fresh making new, empty stores of that dialect.
func (d *Dialects) Run(t *testing.T, test func(t *testing.T, fresh storetest.Fresh)) {
	t.Helper()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) { test(t, d.Fresh(name)) })
	}
}

// Fresh returns the maker of new, empty stores of the dialect name
// ("sqlite" or "postgres"); a PostgreSQL store skips its test when
// PostgreSQL is not installed.
func (d *Dialects) Fresh(name string) storetest.Fresh {
	if name == "postgres" {
		return func(t testing.TB) storetest.Opener {
			url := storetest.Database(t, d.pg)
			return func(t testing.TB) *sqlstore.Engine {
				t.Helper()
				e, err := postgres.Open(context.Background(), url, postgres.Options{PoolSize: 4})
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
		}
	}
	return func(t testing.TB) storetest.Opener {
		dir := t.TempDir()
		return func(t testing.TB) *sqlstore.Engine {
			t.Helper()
			e, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
	}
}

// Open opens the store of opener, closed when t ends.
func Open(t testing.TB, opener storetest.Opener) *sqlstore.Engine {
	t.Helper()
	e := opener(t)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// PostgresURL returns the URL of a new database of the PostgreSQL
// cluster, skipping t when PostgreSQL is not installed: for tests that
// open several stores on one database, as the nodes of a cluster do.
func (d *Dialects) PostgresURL(t testing.TB) string {
	t.Helper()
	return storetest.Database(t, d.pg)
}
