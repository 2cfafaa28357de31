package node

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/starlingmq/starling/actors/realtime"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/controllers/documents"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store/postgres"
	"github.com/starlingmq/starling/internal/store/sqlite"
	"github.com/starlingmq/starling/internal/store/sqlstore"
	"github.com/starlingmq/starling/internal/validation"
)

// postgresConnectTimeout bounds the start's connection to PostgreSQL and
// the creation of the catalogue tables.
const postgresConnectTimeout = 30 * time.Second

// openStore opens the document store storage.engine names: SQLite under
// storage.path, or the PostgreSQL database at storage.postgres.url, which
// must answer within postgresConnectTimeout.
// startLock makes nodes starting on one PostgreSQL database prepare it one
// after the other; nothing to wait for with SQLite.
func startLock(cfg config.Storage) (release func(), err error) {
	if cfg.Engine != "postgres" {
		return func() {}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), postgresConnectTimeout)
	defer cancel()
	return postgres.StartLock(ctx, cfg.Postgres.URL)
}

func openStore(cfg config.Storage, log *slog.Logger) (*sqlstore.Engine, error) {
	if cfg.Engine == "postgres" {
		ctx, cancel := context.WithTimeout(context.Background(), postgresConnectTimeout)
		defer cancel()
		return postgres.Open(ctx, cfg.Postgres.URL, postgres.Options{
			PoolSize: cfg.Postgres.PoolSize, MaxScrollTTL: cfg.MaxScrollTTL, Logger: log,
		})
	}
	// SQLite may replay a long log at start: no deadline.
	return sqlite.Open(context.Background(), cfg.Path, sqlite.Options{
		Logger: log, Normal: cfg.Synchronous == "normal", MaxScrollTTL: cfg.MaxScrollTTL,
	})
}

// storageControllers builds the index, collection, document, bulk and
// admin controllers on the node's store, notifying through realtime, with
// the specifications stored by earlier runs.
func (n *Node) storageControllers(cfg *config.Config) ([]api.Controller, error) {
	specs := n.specs
	ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
	defer cancel()
	if err := documents.LoadSpecifications(ctx, n.store, specs); err != nil {
		return nil, fmt.Errorf("start the storage controllers: %w", err)
	}
	return documents.Controllers(documents.Deps{
		Store:               n.store,
		Specifications:      specs,
		Notifier:            notifier{n.realtime},
		Limits:              documents.Limits{FetchCount: cfg.Limits.DocumentsFetchCount, WriteCount: cfg.Limits.DocumentsWriteCount},
		ScrollTTL:           cfg.Storage.ScrollTTL,
		MaxScrollTTL:        cfg.Storage.MaxScrollTTL,
		Logger:              n.log,
		RealtimeCollections: n.realtimeCollections,
	}), nil
}

// realtimeCollections lists the collections of index with subscriptions,
// from realtime:list.
func (n *Node) realtimeCollections(ctx context.Context, index string) ([]string, error) {
	answer, err := n.realtime.Controller().Actions["list"](ctx, nil)
	if err != nil {
		return nil, err
	}
	rooms, _ := answer.(map[string]map[string]map[string]int)
	var names []string
	for collection := range rooms[index] {
		names = append(names, collection)
	}
	slices.Sort(names)
	return names, nil
}

// notifier hands the storage controllers' changes to realtime.
type notifier struct{ rt *realtime.Realtime }

// NotifyDocuments implements documents.Notifier.
func (nf notifier) NotifyDocuments(req *api.Request, index, collection string, changes []documents.Change) {
	for _, c := range changes {
		nf.rt.NotifyDocument(req, index, collection, realtime.DocumentChange{
			Action: c.Action, ID: c.ID, Source: c.Source, Previous: c.Previous, Result: c.Result,
		})
	}
}

// validatePublished applies the collection's specifications to a
// realtime:publish message, as Kuzzle does.
func (n *Node) validatePublished(index, collection, id string, body []byte) ([]byte, error) {
	spec := n.specs.Get(index, collection)
	if spec == nil {
		return body, nil
	}
	var doc map[string]any
	if err := jsonx.Unmarshal(body, &doc); err != nil || doc == nil {
		return nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	checked, err := spec.Check(validation.Write{ID: id, Body: doc})
	if err != nil {
		return nil, err
	}
	out, err := jsonx.Marshal(checked)
	if err != nil {
		return nil, fmt.Errorf("encode a validated message: %w", err)
	}
	return out, nil
}
