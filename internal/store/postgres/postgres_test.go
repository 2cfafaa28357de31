package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
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

// TestOpenRefusesOtherCollations checks that a database whose strings do
// not sort by their bytes is refused with a message saying what to do.
func TestOpenRefusesOtherCollations(t *testing.T) {
	url := storetest.Database(t, pg)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("icu%d", time.Now().UnixNano()) // new at each -count
	if _, err := db.Exec(`CREATE DATABASE ` + name + ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(context.Background(), pg.URL(name), postgres.Options{})
	if err == nil || !strings.Contains(err.Error(), "ICU") || !strings.Contains(err.Error(), "LC_COLLATE 'C'") {
		t.Fatalf("open on an ICU database: %v", err)
	}
}

// TestWriterSurvivesALostConnection cuts every connection of the store's
// database, as a server restart does: at most the next write fails, the
// ones after it succeed, and reads go on.
func TestWriterSurvivesALostConnection(t *testing.T) {
	ctx := context.Background()
	url := storetest.Database(t, pg)
	e := open(t, url)
	defer e.Close()
	if err := e.CreateCollection(ctx, "i", "c", nil, nil); err != nil {
		t.Fatal(err)
	}
	write := func(id string) error {
		res, err := e.Write(ctx, "i", "c", []store.Op{{Kind: store.OpCreate, ID: id, Body: []byte(`{"n":1}`)}})
		if err == nil {
			err = res[0].Err
		}
		return err
	}
	if err := write("before"); err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var cut int
	if err := admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&cut); err != nil || cut == 0 {
		t.Fatalf("terminate the store's connections: %d, %v", cut, err)
	}
	first := write("during") // may meet the dead connection
	for i := range 3 {
		if err := write(fmt.Sprintf("after%d", i)); err != nil {
			t.Fatalf("write %d after the cut (the first gave %v): %v", i, first, err)
		}
	}
	docs, err := e.Get(ctx, "i", "c", []string{"before", "after2"})
	if err != nil || !docs[0].Found || !docs[1].Found {
		t.Fatalf("read after the cut: %+v %v", docs, err)
	}
}

// TestDocumentsWithNulAreRefusedAlone checks that a document PostgreSQL
// cannot hold (U+0000 in a string) fails alone, with a client error, and
// that the other writes of its request succeed.
func TestDocumentsWithNulAreRefusedAlone(t *testing.T) {
	ctx := context.Background()
	e := open(t, storetest.Database(t, pg))
	defer e.Close()
	if err := e.CreateCollection(ctx, "i", "c", nil, nil); err != nil {
		t.Fatal(err)
	}
	res, err := e.Write(ctx, "i", "c", []store.Op{
		{Kind: store.OpCreate, ID: "nul", Body: []byte(`{"s":"x\u0000y"}`)},
		{Kind: store.OpCreate, ID: "slash", Body: []byte(`{"s":"x\\u0000y"}`)},
		{Kind: store.OpCreateOrReplace, ID: "nul2", Body: []byte(`{"a":["\u0000"]}`)},
		{Kind: store.OpCreate, ID: "n\x00l", Body: []byte(`{}`)},
		{Kind: store.OpDelete, ID: "n\x00l"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2, 3, 4} {
		if kerr, ok := res[i].Err.(*kerror.Error); !ok || kerr.ID != "services.storage.unexpected_bad_request" {
			t.Errorf("%q: %v", res[i].ID, res[i].Err)
		}
	}
	if res[1].Err != nil {
		t.Errorf("an escaped backslash before u0000 is no NUL: %v", res[1].Err)
	}
	for _, ids := range [][]string{{"n\x00l"}, {"slash", "n\x00l", "nul"}} {
		docs, err := e.Get(ctx, "i", "c", ids)
		if err != nil || len(docs) != len(ids) || docs[0].Found != (ids[0] == "slash") {
			t.Errorf("get %q: %+v %v", ids, docs, err)
		}
	}
}

// TestOpenAddsTheSourceColumn opens a database whose collection table
// lacks column src, as the first version of the dialect made it: Open adds
// it, filled with the engine's encoding of each document (what SQLite
// returns), and the store reads and writes them.
func TestOpenAddsTheSourceColumn(t *testing.T) {
	ctx := context.Background()
	url := storetest.Database(t, pg)
	e := open(t, url)
	if err := e.CreateCollection(ctx, "i", "c", nil, nil); err != nil {
		t.Fatal(err)
	}
	old := make([]store.Op, 1200) // more than a batch
	for i := range old {
		old[i] = store.Op{Kind: store.OpCreate, ID: fmt.Sprint("old", i), Body: []byte(`{"bb":1,"a":2,"n":1e21}`), NoMeta: true}
	}
	if _, err := e.Write(ctx, "i", "c", old); err != nil {
		t.Fatal(err)
	}
	e.Close()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table string
	if err := db.QueryRow(`SELECT tbl FROM starling_collections`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`ALTER TABLE ` + table + ` DROP COLUMN src`); err != nil {
		t.Fatal(err)
	}
	e = open(t, url)
	defer e.Close()
	res, err := e.Write(ctx, "i", "c", []store.Op{{Kind: store.OpCreate, ID: "new", Body: []byte(`{"bb":1,"a":2,"n":1e21}`), NoMeta: true}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	docs, err := e.Get(ctx, "i", "c", []string{"old0", "old1199", "new"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if want := `{"a":2,"bb":1,"n":1e+21}`; string(d.Source) != want || !d.Found {
			t.Errorf("%s after the migration: %s, want %s", d.ID, d.Source, want)
		}
	}
	var null bool
	if err := db.QueryRow(`SELECT is_nullable = 'YES' FROM information_schema.columns WHERE table_name = $1 AND column_name = 'src'`, table).Scan(&null); err != nil || null {
		t.Errorf("column src: nullable %v, %v", null, err)
	}
}
