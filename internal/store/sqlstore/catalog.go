package sqlstore

import (
	"maps"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
)

// catalog is what the engine knows of indexes and collections. A published
// catalog is never changed: the writer copies it to change it.
type catalog struct {
	indexes     map[string]struct{}
	collections map[key]*collection
}

// key names a collection.
type key struct{ index, collection string }

// collection is one collection's metadata. Never changed once published.
type collection struct {
	index, name, table string
	mappings           *mapping.Mappings
	settings           jsonx.RawMessage
	// indexed holds the dotted paths that have an expression index.
	indexed map[string]struct{}
	// text is true once the collection has a full-text index.
	text bool
	// arrays holds the dotted paths where a document of the collection
	// ever held an array; searches on the others need no array branch.
	arrays map[string]struct{}
	// dotted is true once a document with a dotted key was written (see
	// dotted.go); it stays true until the collection is reloaded.
	dotted bool
}

// dialect returns the search dialect of col's documents: it knows the
// paths where they ever held arrays, and matches of text tokens go through
// the collection's full-text index when it has one.
func (e *Engine) dialect(col *collection) query.Dialect {
	arrays := col.arrays
	d := e.d.ForArrays(func(path []string) bool {
		_, ok := arrays[strings.Join(path, ".")]
		return ok
	})
	if !col.text {
		return d
	}
	return textDialect{Dialect: d, text: e.d, table: col.table}
}

// textDialect is a Dialect answering token matches from a collection's
// full-text index.
type textDialect struct {
	query.Dialect
	text  Dialect
	table string
}

// Token implements query.Dialect.
func (d textDialect) Token(_ []string, word string, prefix bool, bind func(any) string) string {
	return d.text.TextMatch(d.table, bind(d.text.TextQuery(word, prefix)))
}

// clone returns a copy of c whose maps may be changed.
func (c *catalog) clone() *catalog {
	return &catalog{indexes: maps.Clone(c.indexes), collections: maps.Clone(c.collections)}
}

// collection returns the named collection, nil when it does not exist.
func (c *catalog) collection(index, name string) *collection {
	return c.collections[key{index, name}]
}

// withCollection returns a copy of col that may be changed.
func (col *collection) clone() *collection {
	cp := *col
	cp.indexed = maps.Clone(col.indexed)
	cp.arrays = maps.Clone(col.arrays)
	return &cp
}
