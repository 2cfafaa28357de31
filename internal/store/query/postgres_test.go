package query_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store/query"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// pg is the PostgreSQL cluster of this test binary, nil when PostgreSQL
// is not installed.
var pg *storetest.Cluster

func TestMain(m *testing.M) { os.Exit(storetest.Main(m, &pg)) }

// TestPostgresWhereNeverMisses checks PostgresDialect's SQL against
// Matches on random documents and queries, in a JSONB table with the
// expression indexes the store makes.
func TestPostgresWhereNeverMisses(t *testing.T) {
	seeds := 3
	if testing.Short() {
		seeds = 1
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		for _, known := range []bool{false, true} {
			dialect := func(arrays func([]string) bool) query.Dialect {
				d := query.NewPostgresDialect("doc", "id")
				if known {
					d = d.WithArrays(arrays)
				}
				return d
			}
			query.CheckWhereNeverMisses(t, seed, dialect, loadPostgres)
		}
	}
}

// loadPostgres stores docs in table docs of a new database and returns
// a function selecting the ids of the documents where a condition holds.
func loadPostgres(t *testing.T, docs []map[string]any) func(string, []any) []string {
	db, err := sql.Open("pgx", storetest.Database(t, pg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // for the SET, as the store sets it on its connections
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "SET jit = off"); err != nil {
		t.Fatal(err)
	}
	d := query.NewPostgresDialect("doc", "id")
	for _, s := range []string{
		"CREATE TABLE docs (id TEXT PRIMARY KEY, doc JSONB NOT NULL)",
		"CREATE INDEX docs_tag ON docs (" + d.IndexColumns([]string{"tag"}) + ")",
		"CREATE INDEX docs_n ON docs (" + d.IndexColumns([]string{"n"}) + ")",
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	for i, doc := range docs {
		raw, _ := jsonx.Marshal(doc)
		if _, err := db.ExecContext(ctx, "INSERT INTO docs VALUES ($1, $2::jsonb)", fmt.Sprintf("d%d", i), string(raw)); err != nil {
			t.Fatalf("insert %s: %v", raw, err)
		}
	}
	return func(where string, args []any) []string {
		q := "SELECT id FROM docs WHERE " + query.NumberPlaceholders(where, func(n int) string { return fmt.Sprintf("$%d", n) })
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s %v: %v", q, args, err)
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}
}
