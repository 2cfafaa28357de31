package node_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/store/postgres"
	"github.com/starlingmq/starling/internal/store/sqlite"
	"github.com/starlingmq/starling/internal/store/sqlstore"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// pg is the PostgreSQL cluster of this test binary, nil when PostgreSQL
// is not installed.
var pg *storetest.Cluster

func TestMain(m *testing.M) { os.Exit(storetest.Main(m, &pg)) }

// testStoreOnPostgres reports whether STARLING_TEST_STORE=postgres asks
// the server tests to keep their documents in PostgreSQL.
func testStoreOnPostgres() bool { return os.Getenv("STARLING_TEST_STORE") == "postgres" }

// storeURLs maps the storage.path of the server tests to their database
// when they run on PostgreSQL, so that a server restarted on a path, or a
// store seeded there, finds its documents.
var storeURLs sync.Map

// testStoreURL returns the database of storage.path dir.
func testStoreURL(t *testing.T, dir string) string {
	if url, ok := storeURLs.Load(dir); ok {
		return url.(string)
	}
	url := storetest.Database(t, pg)
	storeURLs.Store(dir, url)
	return url
}

// openTestStore opens the store of storage.path dir directly, to seed it
// before a server starts on it.
func openTestStore(t *testing.T, dir string) (*sqlstore.Engine, error) {
	if testStoreOnPostgres() {
		return postgres.Open(context.Background(), testStoreURL(t, dir), postgres.Options{})
	}
	return sqlite.Open(context.Background(), dir, sqlite.Options{})
}

// onPostgres configures a server to keep its documents in a new database
// of the test cluster.
func onPostgres(t *testing.T) func(*config.Config) {
	url := storetest.Database(t, pg)
	return func(cfg *config.Config) {
		cfg.Storage.Engine = "postgres"
		cfg.Storage.Postgres.URL = url
	}
}

// TestPostgresDocumentsOverMQTT creates documents over MQTT on a server
// storing them in PostgreSQL, searches them in both query languages, and
// receives the realtime notification of a create.
func TestPostgresDocumentsOverMQTT(t *testing.T) {
	srv, c := searchServer(t, onPostgres(t))
	testSearchLanguages(t, c)

	listener := responseClient(t, srv)
	s := subscribe(t, listener, `{"equals":{"city":"oslo"}}`, "")
	mustCall(t, c, "document", "create", `"index":"i","collection":"c","_id":"d6","body":{"city":"oslo","n":9}`)
	n := nextNotification(t, listener, s.Channel)
	if n.Action != "create" || n.Result.ID != "d6" || n.Result.Source["n"] != 9.0 {
		t.Errorf("notification: %s", n.raw)
	}
	r := mustCall(t, c, "document", "search", `"index":"i","collection":"c","body":{"query":{"range":{"n":{"gte":5}}},"sort":[{"n":"desc"}]}`)
	if got := ids(t, r.Result); got != "d6,d1" {
		t.Errorf("search after the create: %s", got)
	}
}

// TestPostgresBadURLFailsAtStart checks that a server whose PostgreSQL
// cannot be reached does not start, and says where it tried without
// giving the password away.
func TestPostgresBadURLFailsAtStart(t *testing.T) {
	cfg, err := config.Load(config.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.MQTT.Host, cfg.Server.MQTT.Port = "127.0.0.1", 0
	cfg.Server.Host, cfg.Server.Port = "127.0.0.1", 0
	cfg.Storage.Engine = "postgres"
	cfg.Storage.Postgres.URL = "postgres://alice:s3cr3t@nowhere.invalid:5432/docs?connect_timeout=5"
	n, err := node.Start(node.Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil {
		n.Shutdown(t.Context())
		t.Fatal("the server started without its database")
	}
	t.Logf("start: %v", err)
	if msg := err.Error(); !strings.Contains(msg, "nowhere.invalid") || strings.Contains(msg, "s3cr3t") {
		t.Errorf("error: %s", msg)
	}
}
