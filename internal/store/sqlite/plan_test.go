package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/store/query"
	"github.com/starlingmq/starling/internal/store/sqlite"
	"github.com/starlingmq/starling/internal/store/sqlstore"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// cityMappings maps the fields of the search tests' documents.
const cityMappings = storetest.CityMappings

// searchEngine opens a store with collection idx:col mapped by
// cityMappings and holding docs (id → body), written in the order of ids.
func searchEngine(t *testing.T, ids []string, docs map[string]string) (*sqlstore.Engine, string) {
	t.Helper()
	dir := t.TempDir()
	e := open(t, dir)
	t.Cleanup(func() { e.Close() })
	storetest.Seed(t, e, cityMappings, ids, docs)
	return e, dir
}

// parse parses a search body against idx:col's mappings.
func parse(t *testing.T, e *sqlstore.Engine, body string) *query.Search {
	t.Helper()
	m, err := e.Mapping(context.Background(), "idx", "col")
	if err != nil {
		t.Fatal(err)
	}
	s, err := query.ParseSearch([]byte(body), "elasticsearch", m)
	if err != nil {
		t.Fatalf("parse %s: %v", body, err)
	}
	return s
}

// hitIDs lists the ids of a page.
func TestTermOnKeywordUsesItsIndex(t *testing.T) {
	ids := make([]string, 2000)
	docs := make(map[string]string, len(ids))
	for i := range ids {
		ids[i] = fmt.Sprintf("d%04d", i)
		docs[ids[i]] = fmt.Sprintf(`{"city":"c%d","n":%d}`, i%100, i)
	}
	e, dir := searchEngine(t, ids, docs)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table string
	if err := db.QueryRow(`SELECT tbl FROM starling_collections WHERE idx = 'idx' AND name = 'col'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("ANALYZE"); err != nil && !strings.Contains(err.Error(), "readonly") {
		t.Fatal(err)
	}
	for _, body := range []string{
		`{"query":{"term":{"city":"c7"}}}`,
		`{"query":{"terms":{"city":["c7","c8"]}}}`,
		`{"query":{"bool":{"filter":[{"term":{"city":"c7"}}]}}}`,
		`{"query":{"range":{"n":{"gte":10,"lt":20}}}}`,
	} {
		s := parse(t, e, body)
		where, args, exact := query.Where(s.Query, sqlite.NewDialect(), nil)
		rows, err := db.Query("EXPLAIN QUERY PLAN SELECT id, version, doc FROM "+table+" WHERE "+where, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if exact != strings.Contains(body, "term") || !strings.Contains(joined, "USING INDEX "+table+"_f") || strings.Contains(joined, "SCAN "+table) {
			t.Errorf("%s (exact %v): plan %s", body, exact, joined)
		}
		res, err := e.Search(context.Background(), "idx", "col", s)
		if err != nil || res.Total == 0 {
			t.Errorf("%s: %v, %d hits", body, err, res.Total)
		}
	}
}
