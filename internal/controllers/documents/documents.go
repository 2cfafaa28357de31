package documents

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/validation"
)

// Notifier sends Kuzzle's document notifications. It must not block: it
// is called on the request's goroutine before the answer is sent.
type Notifier interface {
	// NotifyDocuments tells the subscribers of index/collection about the
	// changes req made.
	NotifyDocuments(req *api.Request, index, collection string, changes []Change)
}

// Change is one document change to notify.
type Change struct {
	// Action is the notification's action: "create", "replace", "update"
	// or "delete".
	Action string
	// ID is the document's _id.
	ID string
	// Source is the document as it is now (for a delete: as it was); rooms
	// it matches are told scope "in" (for a delete: "out").
	Source jsonx.RawMessage
	// Previous is the document before a replace or update, nil otherwise;
	// rooms it matched and Source does not are told scope "out".
	Previous jsonx.RawMessage
	// Result is the notification's result object.
	Result jsonx.RawMessage
}

// Limits are Kuzzle's limits.documents* keys.
type Limits struct {
	// FetchCount is limits.documentsFetchCount: the documents one request
	// may read (0: Kuzzle's default, 10000).
	FetchCount int
	// WriteCount is limits.documentsWriteCount: the documents one request
	// may write (0: Kuzzle's default, 200).
	WriteCount int
}

// Deps is what the controllers work on.
type Deps struct {
	// Store keeps the documents.
	Store store.Store
	// Specifications holds the collections' specifications; writes are
	// validated against it.
	Specifications *validation.Registry
	// Notifier sends document notifications; nil sends none.
	Notifier Notifier
	// Limits bounds what one request reads and writes.
	Limits Limits
	// ScrollTTL is the default scroll duration (Kuzzle's
	// services.storageEngine.defaults.scrollTTL) and MaxScrollTTL its
	// maximum (maxScrollDuration).
	ScrollTTL, MaxScrollTTL time.Duration
	// Logger receives the controllers' logs.
	Logger *slog.Logger
	// RealtimeCollections lists the collections of an index that have
	// realtime subscriptions, for collection:list; nil lists none.
	RealtimeCollections func(ctx context.Context, index string) ([]string, error)
}

// Controllers returns the storage controllers on d.
func Controllers(d Deps) []api.Controller {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Limits.FetchCount == 0 {
		d.Limits.FetchCount = 10000 // Kuzzle's default limits.documentsFetchCount
	}
	if d.Limits.WriteCount == 0 {
		d.Limits.WriteCount = 200 // Kuzzle's default limits.documentsWriteCount
	}
	if d.Specifications == nil {
		d.Specifications = validation.NewRegistry()
	}
	c := &controllers{Deps: d}
	return []api.Controller{c.index(), c.collection(), c.document(), c.bulk(), c.admin()}
}

// controllers holds the dependencies every action shares.
type controllers struct {
	Deps
	// resetting is set while admin:resetDatabase runs.
	resetting atomic.Bool
}

// kuid returns the id of the user the request runs for ("-1": anonymous).
func kuid(ctx context.Context) string { return api.CallerOf(ctx).UserID }

// forbiddenChars are the characters Kuzzle refuses in index and collection
// names (its alias separators and prefixes included).
const forbiddenChars = "\\/*?\"<>| \t\r\n,+#:.&%@"

// validName reports whether Kuzzle accepts name for an index or a
// collection.
func validName(name string) bool {
	return name != "" && name != "_all" && len(name) <= 126 &&
		strings.ToLower(name) == name && !strings.ContainsAny(name, forbiddenChars)
}

// internal reports whether index is one of Starling's own.
func internal(index string) bool { return strings.HasPrefix(index, "%") }

// indexArg returns the required index argument; an internal index is
// unknown.
func indexArg(req *api.Request) (string, error) {
	index, kerr := req.RequiredIndex()
	if kerr != nil {
		return "", kerr
	}
	if internal(index) {
		return "", kerror.New("services.storage.unknown_index", index)
	}
	return index, nil
}

// target returns the required index and collection arguments; an internal
// index is unknown.
func target(req *api.Request) (string, string, error) {
	index, collection, kerr := req.IndexAndCollection()
	if kerr != nil {
		return "", "", kerr
	}
	if internal(index) {
		return "", "", kerror.New("services.storage.unknown_index", index)
	}
	return index, collection, nil
}

// notify hands changes to the notifier unless req asked for silence.
func (c *controllers) notify(req *api.Request, index, collection string, changes []Change) {
	if c.Notifier == nil || len(changes) == 0 {
		return
	}
	if silent, _ := req.Boolean("silent"); silent {
		return
	}
	c.Notifier.NotifyDocuments(req, index, collection, changes)
}

// validationWrite describes a create or replace to the specifications.
func validationWrite(id string, doc map[string]any) validation.Write {
	return validation.Write{ID: id, Body: doc}
}
