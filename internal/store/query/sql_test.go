package query

import (
	"database/sql"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	_ "modernc.org/sqlite"
)

// openDocs stores docs in an in-memory SQLite table docs(id, doc) with
// expression indexes on some fields.
func openDocs(t testing.TB, docs []map[string]any) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	t.Cleanup(func() { db.Close() })
	stmts := []string{
		"CREATE TABLE docs (id TEXT PRIMARY KEY, doc TEXT NOT NULL)",
		`CREATE INDEX docs_tag ON docs (json_extract(doc, '$."tag"'))`,
		`CREATE INDEX docs_n ON docs (json_extract(doc, '$."n"'))`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	for i, d := range docs {
		raw, _ := jsonx.Marshal(d)
		if _, err := db.Exec("INSERT INTO docs VALUES (?, ?)", fmt.Sprintf("d%d", i), string(raw)); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func selectIDs(t testing.TB, db *sql.DB, where string, args []any, order string) []string {
	t.Helper()
	q := "SELECT id FROM docs WHERE " + where
	if order != "" {
		q += " ORDER BY " + order
	}
	rows, err := db.Query(q, args...)
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

// TestWhereNeverMisses checks, for random documents and queries, that the
// SQL condition selects every document Matches accepts (so SQL then
// post-filtering equals Matches), and exactly those when it says exact.
func TestWhereNeverMisses(t *testing.T) {
	seeds := 4
	if testing.Short() {
		seeds = 1
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		whereNeverMisses(t, seed, false)
		whereNeverMisses(t, seed, true)
	}
}

// arrayPaths lists the paths at which docs hold arrays, as the engine
// records them for WithArrays.
func arrayPaths(docs []map[string]any) map[string]bool {
	paths := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, sub := range t {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, sub)
			}
		case []any:
			paths[prefix] = true
			for _, sub := range t {
				walk(prefix, sub)
			}
		}
	}
	for _, d := range docs {
		walk("", d)
	}
	return paths
}

func whereNeverMisses(t *testing.T, seed int64, knownArrays bool) {
	dialect := func(arrays func([]string) bool) Dialect {
		d := NewSQLiteDialect("doc", "id")
		if knownArrays {
			d = d.WithArrays(arrays)
		}
		return d
	}
	checkWhereNeverMisses(t, seed, dialect, func(t *testing.T, docs []map[string]any) func(string, []any) []string {
		db := openDocs(t, docs)
		return func(where string, args []any) []string { return selectIDs(t, db, where, args, "") }
	})
}

// checkWhereNeverMisses draws random documents (ids d0, d1...) and
// queries, and checks that the condition of Where in the dialect made by
// dialect (given the paths holding arrays) selects, in the database load
// fills, every document Matches accepts, and exactly those when exact.
func checkWhereNeverMisses(t *testing.T, seed int64, dialect func(arrays func([]string) bool) Dialect,
	load func(t *testing.T, docs []map[string]any) func(where string, args []any) []string) {
	g := gen{rand.New(rand.NewSource(seed))}
	docs := make([]map[string]any, 200)
	for i := range docs {
		docs[i] = g.doc()
	}
	sel := load(t, docs)
	paths := arrayPaths(docs)
	d := dialect(func(path []string) bool { return paths[strings.Join(path, ".")] })
	m := testMappings()
	iterations := 1000
	parsed := 0
	for i := 0; i < iterations; i++ {
		q := g.query(2)
		n, err := ParseQuery(jsonx.RawMessage(q), "", m)
		if err != nil {
			continue // a value of the wrong type for the field
		}
		parsed++
		clause, args, exact := Where(n, d, m)
		got := map[string]bool{}
		for _, id := range sel(clause, args) {
			got[id] = true
		}
		for j, doc := range docs {
			id := fmt.Sprintf("d%d", j)
			want := Matches(n, doc, id)
			if want && !got[id] {
				t.Fatalf("query %s\nSQL %s %v\nmisses %s %s", q, clause, args, id, js(doc))
			}
			if exact && got[id] != want {
				t.Fatalf("query %s\nSQL %s %v (exact)\nselects %s %s", q, clause, args, id, js(doc))
			}
		}
	}
	if parsed < iterations/2 {
		t.Errorf("only %d of %d random queries are valid", parsed, iterations)
	}
}

func TestWhereUsesIndexes(t *testing.T) {
	db := openDocs(t, nil)
	d := NewSQLiteDialect("doc", "id")
	m := testMappings()
	for _, q := range []string{
		`{"term":{"tag":"x"}}`, `{"terms":{"tag":["x","y"]}}`, `{"range":{"n":{"gte":1,"lt":5}}}`,
		`{"prefix":{"tag":"ab"}}`, `{"term":{"n":3}}`,
	} {
		n, err := ParseQuery(jsonx.RawMessage(q), "", m)
		if err != nil {
			t.Fatal(err)
		}
		clause, args, _ := Where(n, d, m)
		rows, err := db.Query("EXPLAIN QUERY PLAN SELECT id FROM docs WHERE "+clause, args...)
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
		text := strings.Join(plan, "; ")
		if strings.Contains(text, "SCAN docs") || !strings.Contains(text, "USING INDEX") {
			t.Errorf("%s: %s\nplan: %s", q, clause, text)
		}
	}
}

func TestOrderBy(t *testing.T) {
	docs := []map[string]any{
		{"n": 3.0, "tag": "b"}, {"tag": "a"}, {"n": 1.0, "tag": "c"}, {"n": 2.0, "tag": "a"},
	}
	db := openDocs(t, docs)
	d := NewSQLiteDialect("doc", "id")
	m := testMappings()
	cases := []struct {
		sort string
		want string
		ok   bool
	}{
		{`["n"]`, "d2 d3 d0 d1", true},
		{`[{"n":"desc"}]`, "d0 d3 d2 d1", true},
		{`[{"n":{"order":"desc","missing":"_first"}}]`, "d1 d0 d3 d2", true},
		{`[{"tag":"asc"},{"_id":"desc"}]`, "d3 d1 d0 d2", true},
		{`["_score","_id"]`, "d0 d1 d2 d3", true},
		{`["d"]`, "", false},
	}
	for _, tc := range cases {
		s, err := ParseSearch(jsonx.RawMessage(`{"sort":`+tc.sort+`}`), "", m)
		if err != nil {
			t.Fatal(err)
		}
		clause, ok := OrderBy(s.Sort, d)
		if ok != tc.ok {
			t.Fatalf("%s: ok %v", tc.sort, ok)
		}
		if !ok {
			continue
		}
		got := strings.Join(selectIDs(t, db, "1", nil, clause), " ")
		if got != tc.want {
			t.Errorf("%s (%s): %s, want %s", tc.sort, clause, got, tc.want)
		}
		// the same order in Go
		ids := []string{"d0", "d1", "d2", "d3"}
		vals := map[string][]any{}
		for i, id := range ids {
			vals[id] = SortValues(docs[i], id, 1, s.Sort)
		}
		sortStrings(ids, func(a, b string) int { return Compare(vals[a], vals[b], s.Sort) })
		if strings.Join(ids, " ") != tc.want {
			t.Errorf("%s in Go: %v, want %s", tc.sort, ids, tc.want)
		}
	}
}

func sortStrings(s []string, cmp func(a, b string) int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && cmp(s[j-1], s[j]) > 0; j-- {
			s[j-1], s[j] = s[j], s[j-1]
		}
	}
}
