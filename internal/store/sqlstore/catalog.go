package sqlstore

import (
	"maps"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store/mapping"
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
	return &cp
}
