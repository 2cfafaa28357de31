package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/starlingmq/starling/internal/store/postgres"
	"github.com/starlingmq/starling/internal/store/sqlstore"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// pg is the cluster of this test binary, nil when PostgreSQL is not
// installed.
var pg *storetest.Cluster

func TestMain(m *testing.M) { os.Exit(storetest.Main(m, &pg)) }

// open opens the store in the database at url.
func open(t testing.TB, url string) *sqlstore.Engine {
	t.Helper()
	e, err := postgres.Open(context.Background(), url, postgres.Options{PoolSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestStoreSuite runs the dialect-neutral store tests on PostgreSQL, each
// in a database of its own.
func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t testing.TB) storetest.Opener {
		url := storetest.Database(t, pg)
		return func(t testing.TB) *sqlstore.Engine { return open(t, url) }
	})
}
