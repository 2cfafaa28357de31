package storetest

import (
	"context"
	"database/sql"
	"os"
	"testing"
)

var pg *Cluster

func TestMain(m *testing.M) { os.Exit(Main(m, &pg)) }

// TestClusterServesDatabases checks that each new database is empty and
// takes writes.
func TestClusterServesDatabases(t *testing.T) {
	for range 2 {
		db, err := sql.Open("pgx", Database(t, pg))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE x (a int)"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM x").Scan(&n); err != nil || n != 0 {
			t.Fatalf("count = %d, %v", n, err)
		}
	}
}
