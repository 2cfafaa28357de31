// Package sqlstore implements store.Store on an SQL database through a
// Dialect, so that SQLite and PostgreSQL share one engine: the catalogue of
// indexes and collections, one table per collection holding JSON documents,
// expression indexes on mapped fields, searches translated by
// internal/store/query, scrolls, and the group commit of writes.
//
// Every change goes through one writer goroutine that owns the write
// connection: it takes the writes waiting for it, applies each in a
// savepoint of one transaction, commits once, and only then answers each of
// them. A write is therefore durable when its call returns, and concurrent
// writers share one disk flush. Reads use their own connections and see
// committed data only. When the writer's connection breaks (a database
// server restarting), the group that met it fails and the writer takes a
// new connection for the next one.
//
// Documents holding keys with dots ({"a.b": 1}), which Elasticsearch
// searches as nested objects, are listed in a side table per collection;
// while a collection has any, its searches test those documents in Go, so
// that the SQL translation, which follows JSON paths, never misses them.
//
// Engines of several nodes may share one database (Config.Shared, which
// the PostgreSQL store sets): a catalogue change is emitted as a
// coherence.Catalogue change after its commit and applied by the other
// engines with Apply, within one broadcast; a name unknown in memory is
// looked up in the database before it is answered as missing, so a
// collection created through one node is usable through another at once
// (coherence.go says how the cost of misses is bounded).
//
// sqlstore imports internal/coherence, internal/jsonx, internal/kerror,
// internal/store, internal/store/mapping and internal/store/query only.
package sqlstore
