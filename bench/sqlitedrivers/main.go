// Command sqlitedrivers measures the two cgo-free SQLite drivers, modernc.org/sqlite and
// github.com/ncruces/go-sqlite3, on the document store's workload: group-committed inserts of
// JSON documents into a collection table with two expression indexes, gets by id, searches
// by an indexed term, and one database file for all collections against one file per index.
//
// It is a separate module so that the main module never builds the second driver. Run each
// driver in its own process (the first open is then measured cold):
//
//	go run . -driver modernc -n 1000000
//	go run . -driver ncruces -n 1000000
//
// Both drivers go through database/sql with the same DSN pragmas: journal_mode=WAL,
// synchronous=FULL (NORMAL where stated), busy_timeout=5000, a writer pool of one connection
// with immediate transactions, and a reader pool of eight connections.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ncruces/go-sqlite3"
	_ "github.com/ncruces/go-sqlite3/driver"
	"github.com/ncruces/go-sqlite3/ext/fts5"
	_ "modernc.org/sqlite"
)

// options are the command's flags.
type options struct {
	driver string
	n      int
	dur    time.Duration
	dir    string
	only   string
	syncs  string
}

func main() {
	var o options
	flag.StringVar(&o.driver, "driver", "modernc", "modernc or ncruces")
	flag.IntVar(&o.n, "n", 1_000_000, "documents loaded for the get and search measurements")
	flag.DurationVar(&o.dur, "dur", 3*time.Second, "length of each timed measurement")
	flag.StringVar(&o.dir, "dir", "", "directory for the database files (default: a new temporary one)")
	flag.StringVar(&o.only, "only", "", "run one part: open, create, read, layout (default: all)")
	flag.StringVar(&o.syncs, "syncs", "FULL,NORMAL", "synchronous modes measured by create")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "sqlitedrivers:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.driver != "modernc" && o.driver != "ncruces" {
		return fmt.Errorf("unknown driver %q", o.driver)
	}
	if o.driver == "ncruces" {
		// ncruces ships FTS5 as an extension that every new connection must register.
		sqlite3.AutoExtension(fts5.Register)
	}
	if o.dir == "" {
		dir, err := os.MkdirTemp("", "sqlitedrivers-")
		if err != nil {
			return fmt.Errorf("temporary directory: %w", err)
		}
		defer os.RemoveAll(dir)
		o.dir = dir
	}
	fmt.Printf("driver %s, n %d, %s per measurement, dir %s\n", o.driver, o.n, o.dur, o.dir)
	parts := []struct {
		name string
		fn   func(options) error
	}{
		{"open", runOpen}, {"create", runCreate}, {"read", runRead}, {"layout", runLayout},
	}
	for _, p := range parts {
		if o.only != "" && o.only != p.name {
			continue
		}
		if err := p.fn(o); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	return nil
}

// driverName is the database/sql name each driver registers.
func driverName(driver string) string {
	if driver == "ncruces" {
		return "sqlite3"
	}
	return "sqlite"
}

// openDB opens path with the shared pragmas; conns bounds the pool (1 for the writer).
func openDB(driver, path, sync string, conns int) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(" + sync + ")&_txlock=immediate"
	db, err := sql.Open(driverName(driver), dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("ping %s: %w", path, err)
	}
	return db, nil
}

// schema creates the collection table and its two expression indexes.
func schema(db *sql.DB, table string) error {
	stmts := []string{
		"CREATE TABLE IF NOT EXISTS " + table + "(id TEXT PRIMARY KEY, version INTEGER, doc TEXT)",
		"CREATE INDEX IF NOT EXISTS " + table + "_city ON " + table + "(json_extract(doc,'$.city'))",
		"CREATE INDEX IF NOT EXISTS " + table + "_age ON " + table + "(json_extract(doc,'$.age'))",
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			return fmt.Errorf("schema %s: %w", table, err)
		}
	}
	return nil
}

// runOpen measures the process's first open and query, then a second one, and checks that
// JSON functions and FTS5 work.
func runOpen(o options) error {
	path := filepath.Join(o.dir, "open.db")
	start := time.Now()
	db, err := openDB(o.driver, path, "FULL", 1)
	if err != nil {
		return err
	}
	var v string
	if err := db.QueryRow("SELECT sqlite_version()").Scan(&v); err != nil {
		return fmt.Errorf("version: %w", err)
	}
	first := time.Since(start)
	db.Close()
	start = time.Now()
	db, err = openDB(o.driver, path, "FULL", 1)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.QueryRow("SELECT sqlite_version()").Scan(&v); err != nil {
		return fmt.Errorf("version: %w", err)
	}
	second := time.Since(start)
	var mode string
	var syncMode int
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("journal_mode: %w", err)
	}
	if err := db.QueryRow("PRAGMA synchronous").Scan(&syncMode); err != nil {
		return fmt.Errorf("synchronous: %w", err)
	}
	fmt.Printf("open: journal_mode %s, synchronous %d (2 = FULL)\n", mode, syncMode)
	fmt.Printf("open: sqlite %s, first open+query %s, second %s\n", v, round(first), round(second))
	return features(db)
}

// features checks JSON functions, the expression index's use and FTS5 on db.
func features(db *sql.DB) error {
	if err := schema(db, "docs"); err != nil {
		return err
	}
	checks := []struct{ name, query, want string }{
		{"json_extract", `SELECT json_extract('{"a":{"b":[1,2]}}','$.a.b[1]')`, "2"},
		{"->>", `SELECT '{"a":"x"}' ->> '$.a'`, "x"},
		{"json_each", `SELECT group_concat(value) FROM json_each('[1,2,3]')`, "1,2,3"},
		{"json_set", `SELECT json_set('{"a":1}','$.b',2)`, `{"a":1,"b":2}`},
		{"jsonb", `SELECT json(jsonb('{"a":1}'))`, `{"a":1}`},
	}
	for _, c := range checks {
		var got string
		if err := db.QueryRow(c.query).Scan(&got); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		status := "ok"
		if got != c.want {
			status = fmt.Sprintf("got %q, want %q", got, c.want)
		}
		fmt.Printf("feature %-12s %s\n", c.name, status)
	}
	if err := plan(db); err != nil {
		return err
	}
	return fts(db)
}

// plan prints how SQLite runs the search query: it must use the city index.
func plan(db *sql.DB) error {
	rows, err := db.Query(`EXPLAIN QUERY PLAN
		SELECT id, doc FROM docs WHERE json_extract(doc,'$.city') = 'Paris' LIMIT 10`)
	if err != nil {
		return fmt.Errorf("query plan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return fmt.Errorf("query plan: %w", err)
		}
		fmt.Printf("feature %-12s %s\n", "search plan", detail)
	}
	return rows.Err()
}

// fts checks that FTS5 virtual tables work.
func fts(db *sql.DB) error {
	stmts := []string{
		"CREATE VIRTUAL TABLE t USING fts5(body)",
		"INSERT INTO t(body) VALUES ('the quick brown fox'), ('lazy dogs sleep')",
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			fmt.Printf("feature %-12s missing: %v\n", "fts5", err)
			return nil
		}
	}
	var got string
	if err := db.QueryRow("SELECT body FROM t WHERE t MATCH 'quick'").Scan(&got); err != nil {
		return fmt.Errorf("fts5 match: %w", err)
	}
	fmt.Printf("feature %-12s ok (%q)\n", "fts5", got)
	return nil
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(100 * time.Nanosecond)
}
