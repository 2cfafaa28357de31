package sqlite_test

import (
	"context"
	"testing"

	"github.com/starlingmq/starling/internal/store/sqlite"
	"github.com/starlingmq/starling/internal/store/sqlstore"
)

func open(t testing.TB, dir string) *sqlstore.Engine {
	t.Helper()
	e, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
