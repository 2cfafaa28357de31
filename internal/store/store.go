package store

import (
	"context"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
)

// Store keeps indexes, collections and documents. Implementations are safe
// for concurrent use. A write is acknowledged (its method returns) only once
// it is durable: committed to disk, so a crash right after loses nothing that
// was answered.
type Store interface {
	Indexes
	Collections
	Documents
	// Close ends pending writes and releases the store's files and
	// connections.
	Close() error
}

// Indexes manages indexes: namespaces of collections.
type Indexes interface {
	// CreateIndex creates an empty index; services.storage.index_already_exists
	// when it exists.
	CreateIndex(ctx context.Context, index string) error
	// DeleteIndexes deletes the indexes that exist among names, with their
	// collections and documents, and returns those it deleted.
	DeleteIndexes(ctx context.Context, names []string) ([]string, error)
	// ListIndexes returns every index name, sorted.
	ListIndexes(ctx context.Context) ([]string, error)
	// HasIndex reports whether index exists.
	HasIndex(ctx context.Context, index string) (bool, error)
	// Stats returns the size of every index and collection.
	Stats(ctx context.Context) (Stats, error)
}

// Collections manages collections: sets of documents sharing a mapping.
type Collections interface {
	// CreateCollection creates a collection, and its index when missing,
	// with mappings completed as Kuzzle does (dynamic "false" unless given,
	// the _kuzzle_info properties added; nil for no property)
	// and settings (raw JSON object, nil for none). On an existing
	// collection it updates the mappings as UpdateMapping does.
	CreateCollection(ctx context.Context, index, collection string, m *mapping.Mappings, settings jsonx.RawMessage) error
	// UpdateMapping merges m into the collection's mappings, as
	// Elasticsearch's put-mapping does, and returns the result.
	UpdateMapping(ctx context.Context, index, collection string, m *mapping.Mappings) (*mapping.Mappings, error)
	// Mapping returns the collection's mappings.
	Mapping(ctx context.Context, index, collection string) (*mapping.Mappings, error)
	// Settings returns the collection's settings (raw JSON object).
	Settings(ctx context.Context, index, collection string) (jsonx.RawMessage, error)
	// UpdateSettings replaces the collection's settings.
	UpdateSettings(ctx context.Context, index, collection string, settings jsonx.RawMessage) error
	// ListCollections returns the collections of index, sorted;
	// services.storage.unknown_index when it does not exist.
	ListCollections(ctx context.Context, index string) ([]string, error)
	// HasCollection reports whether the collection exists.
	HasCollection(ctx context.Context, index, collection string) (bool, error)
	// DeleteCollection deletes a collection and its documents.
	DeleteCollection(ctx context.Context, index, collection string) error
	// Truncate deletes every document of a collection, keeping it and its
	// mappings.
	Truncate(ctx context.Context, index, collection string) error
}

// Documents reads and writes documents.
type Documents interface {
	// Get returns one Document per id, in the order of ids; a missing
	// document has Found false.
	Get(ctx context.Context, index, collection string, ids []string) ([]Document, error)
	// Write applies ops in order, in one durable commit shared with other
	// writers (group commit), and returns one Result per op. An op that
	// fails (document missing, already existing, refused by the mapping,
	// version conflict) has its Err set and changes nothing; the other ops
	// still apply. The error return is for the whole call: unknown index or
	// collection, or an engine failure, and then nothing was written.
	Write(ctx context.Context, index, collection string, ops []Op) ([]Result, error)
	// Search runs s on a collection and returns a page of hits; with
	// s.Scroll set, the result carries a ScrollID for Scroll.
	Search(ctx context.Context, index, collection string, s *query.Search) (*SearchResult, error)
	// Count returns how many documents of a collection match q (nil: all).
	Count(ctx context.Context, index, collection string, q query.Node) (int, error)
	// Scroll returns the next page of a scrolled search and extends its life
	// by ttl (0: keep its own); services.storage.unknown_scroll_id when it
	// expired or never existed.
	Scroll(ctx context.Context, scrollID string, ttl time.Duration) (*SearchResult, error)
	// ClearScroll forgets a scroll.
	ClearScroll(ctx context.Context, scrollID string) error
}

// Document is a stored document.
type Document struct {
	// ID is the document's _id.
	ID string
	// Version is Elasticsearch's _version: 1 at creation, plus one for
	// every write.
	Version int64
	// Source is the document body, _kuzzle_info included.
	Source jsonx.RawMessage
	// Found is false when no document has ID.
	Found bool
}

// OpKind says what a write does.
type OpKind uint8

// The write kinds, as Kuzzle's document actions name them.
const (
	// OpCreate adds a document; services.storage.document_already_exists
	// if ID is taken. An empty ID gets a generated one.
	OpCreate OpKind = iota
	// OpCreateOrReplace adds or replaces a document.
	OpCreateOrReplace
	// OpReplace replaces an existing document; services.storage.not_found
	// otherwise.
	OpReplace
	// OpUpdate deep-merges Body into an existing document (objects are
	// merged key by key, anything else replaced); services.storage.not_found
	// otherwise.
	OpUpdate
	// OpUpsert updates a document, or creates it from Default merged with
	// Body (from Upsert alone when it is set).
	OpUpsert
	// OpDelete removes a document; services.storage.not_found if missing.
	OpDelete
	// OpDeleteFields removes the Fields paths from an existing document.
	OpDeleteFields
)

// Op is one document write.
type Op struct {
	// Kind is what the write does.
	Kind OpKind
	// ID is the document's _id; "" only for OpCreate.
	ID string
	// Body is the document (create, replace) or its changes (update,
	// upsert): a JSON object.
	Body jsonx.RawMessage
	// Default is an upsert's default values (a JSON object or nil), used
	// only when the document is created.
	Default jsonx.RawMessage
	// Upsert, when not nil, is the whole document an OpUpsert creates
	// (Elasticsearch's upsert document), instead of Default merged with
	// Body: Kuzzle's upsert actions compute it themselves.
	Upsert jsonx.RawMessage
	// Fields are the dotted paths OpDeleteFields removes.
	Fields []string
	// User is the kuid written in _kuzzle_info (author, updater); "" writes
	// null, as Kuzzle does with no user.
	User string
	// Now is the write's time in Unix milliseconds, written in
	// _kuzzle_info; 0 uses the clock.
	Now int64
	// NoMeta leaves _kuzzle_info alone (Kuzzle's injectKuzzleMeta false).
	NoMeta bool
	// IfVersion, when not 0, makes the write fail with a version conflict
	// unless the stored document has this version.
	IfVersion int64
}

// Result is the outcome of one Op.
type Result struct {
	// ID is the document's _id (generated for a create without one).
	ID string
	// Version is the document's _version after the write.
	Version int64
	// Source is the document after the write (for a delete: before it).
	Source jsonx.RawMessage
	// Previous is the document before the write, nil when it did not exist.
	Previous jsonx.RawMessage
	// Created is true when the write added the document.
	Created bool
	// Err is why the op failed, nil when it succeeded.
	Err error
}

// Hit is one document a search found.
type Hit struct {
	// ID, Version and Source describe the document; Source is filtered by
	// the search's _source includes and excludes.
	ID      string
	Version int64
	Source  jsonx.RawMessage
	// Score is the relevance score (1 for filters without scoring).
	Score float64
	// Sort holds the hit's sort values, for search_after.
	Sort []any
}

// SearchResult is one page of a search.
type SearchResult struct {
	// Hits is the page.
	Hits []Hit
	// Total is how many documents matched in all.
	Total int
	// Aggregations holds the computed aggregations by name, nil for none.
	Aggregations map[string]any
	// ScrollID names the scroll to continue with, "" without scroll.
	ScrollID string
	// Remaining is, for a page of Scroll, how many matched documents are
	// left to fetch; the scroll is closed once it is 0.
	Remaining int
	// Index and Collection name, for a page of Scroll, the collection the
	// scrolled search runs on.
	Index, Collection string
	// Unscored is true when the search sorts on fields and not on _score:
	// Elasticsearch computes no score then, and returns a null _score.
	Unscored bool
}

// Stats is index:stats's answer.
type Stats struct {
	// Indexes lists every index, with its collections.
	Indexes []IndexStats `json:"indexes"`
	// Size is the total size in bytes.
	Size int64 `json:"size"`
}

// IndexStats is the size of one index.
type IndexStats struct {
	Name        string            `json:"name"`
	Size        int64             `json:"size"`
	Collections []CollectionStats `json:"collections"`
}

// CollectionStats is the size of one collection.
type CollectionStats struct {
	Name          string `json:"name"`
	DocumentCount int    `json:"documentCount"`
	Size          int64  `json:"size"`
}
