package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/postgres"
	"github.com/starlingmq/starling/internal/store/query"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// TestSearchesUseTheIndexes checks that the search SQL of mapped fields
// and text matches is what the indexes are built on: with sequential
// scans disabled, PostgreSQL's plan reads the collection's field or
// full-text index.
func TestSearchesUseTheIndexes(t *testing.T) {
	ctx := context.Background()
	url := storetest.Database(t, pg)
	e := open(t, url)
	defer e.Close()
	m, err := mapping.Parse([]byte(`{"properties":{"city":{"type":"keyword"},"n":{"type":"integer"},"text":{"type":"text"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.CreateCollection(ctx, "idx", "col", m, nil); err != nil {
		t.Fatal(err)
	}
	ops := make([]store.Op, 500)
	for i := range ops {
		ops[i] = store.Op{Kind: store.OpCreate, ID: fmt.Sprintf("d%d", i),
			Body: []byte(fmt.Sprintf(`{"city":"c%d","n":%d,"text":"word%d here"}`, i%50, i, i%7)), NoMeta: true}
	}
	if _, err := e.Write(ctx, "idx", "col", ops); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the SET below holds for this one connection
	var table string
	if err := db.QueryRow(`SELECT tbl FROM starling_collections WHERE idx = 'idx' AND name = 'col'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	m, _ = e.Mapping(ctx, "idx", "col")
	for _, tc := range []struct{ body, index string }{
		{`{"term":{"city":"c7"}}`, table + "_f"},
		{`{"terms":{"city":["c7","c8"]}}`, table + "_f"},
		{`{"range":{"n":{"gte":10,"lt":20}}}`, table + "_f"},
		{`{"match":{"text":"word3"}}`, table + "_fts"},
		{`{"prefix":{"text":"wor"}}`, table + "_fts"},
	} {
		n, err := query.ParseQuery([]byte(tc.body), "", m)
		if err != nil {
			t.Fatal(err)
		}
		// the engine's dialect, with arrays nowhere and paths that may hold one
		noArrays := postgres.NewDialect().ForArrays(func([]string) bool { return false })
		where, args, _ := query.Where(n, textDialect{noArrays, table}, m)
		anyArrays, anyArgs, _ := query.Where(n, textDialect{postgres.NewDialect(), table}, m)
		where = query.NumberPlaceholders(where, postgres.NewDialect().Placeholder)
		anyArrays = query.NumberPlaceholders(anyArrays, postgres.NewDialect().Placeholder)
		plan(t, db, tc.body, table, where, tc.index, args)
		plan(t, db, tc.body+" (arrays)", table, anyArrays, tc.index, anyArgs)
	}
}

// plan checks that the plan of a search on table with condition where
// uses an index whose name starts with index.
func plan(t *testing.T, db *sql.DB, name, table, where, index string, args []any) {
	t.Helper()
	{
		rows, err := db.Query("EXPLAIN SELECT id FROM "+table+" WHERE "+where, args...)
		if err != nil {
			t.Fatalf("%s: %s: %v", name, where, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		if joined := strings.Join(plan, "\n"); !strings.Contains(joined, "Index") || !strings.Contains(joined, index) {
			t.Errorf("%s: plan does not use %s*:\n%s", name, index, joined)
		}
	}
}

// textDialect answers token matches from the full-text index, as the
// engine does for collections with text fields.
type textDialect struct {
	query.Dialect
	table string
}

// Token implements query.Dialect.
func (d textDialect) Token(_ []string, word string, prefix bool, bind func(any) string) string {
	pg := postgres.NewDialect()
	return pg.TextMatch(d.table, bind(pg.TextQuery(word, prefix)))
}
