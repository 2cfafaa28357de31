package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/starlingmq/starling/internal/store/query"
)

// Documents holding a key with a dot ({"a.b": 1}, at any depth) are read by
// Elasticsearch as if the key were expanded into objects ({"a": {"b": 1}})
// for mapping and search, while _source keeps them as given. query.Matches
// reads them so; the SQL of query.Where, which follows JSON paths, would
// miss them. The engine therefore lists the ids of such documents in a side
// table per collection (its table's name + "_dotted"), kept in the same
// transaction as the documents. While a collection lists any, its searches
// and counts select those documents too and test them in Go (the SQL is no
// longer exact); a collection without any keeps its searches in SQL.

// dottedTable names the side table of table's dotted documents.
func dottedTable(table string) string { return table + "_dotted" }

// createDotted returns the statement creating table's side table.
func createDotted(table string) string {
	return "CREATE TABLE IF NOT EXISTS " + dottedTable(table) + " (id TEXT NOT NULL PRIMARY KEY)"
}

// hasDottedKey reports whether a decoded document holds a key with a dot,
// at any depth.
func hasDottedKey(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, sub := range t {
			if strings.IndexByte(k, '.') >= 0 || hasDottedKey(sub) {
				return true
			}
		}
	case []any:
		for _, sub := range t {
			if hasDottedKey(sub) {
				return true
			}
		}
	}
	return false
}

// markDotted records in the side table whether the document id, now doc,
// holds a dotted key; prev is its stored JSON before the write (nil for
// none), which spares the statement when it cannot have been listed.
func (ow *opWriter) markDotted(id string, doc map[string]any, prev []byte) error {
	table := dottedTable(ow.col.table)
	p := ow.w.e.d.Placeholder(1)
	var err error
	switch {
	case doc != nil && hasDottedKey(doc):
		ow.dotted = true
		_, err = ow.w.exec("INSERT INTO "+table+" (id) VALUES ("+p+") ON CONFLICT (id) DO NOTHING", id)
	case bytes.IndexByte(prev, '.') >= 0:
		_, err = ow.w.exec("DELETE FROM "+table+" WHERE id = "+p, id)
	}
	if err != nil {
		return fmt.Errorf("list the dotted keys of %s in %s:%s: %w", id, ow.col.index, ow.col.name, err)
	}
	return nil
}

// where translates q for col: query.Where's condition, widened to the
// collection's documents with dotted keys when it ever had any (then not
// exact, so that each row is tested with query.Matches).
func (e *Engine) where(_ context.Context, col *collection, q query.Node) (string, []any, bool, error) {
	where, args, exact := query.Where(q, e.dialect(col), col.mappings)
	where = query.NumberPlaceholders(where, e.d.Placeholder)
	if !col.dotted {
		return where, args, exact, nil
	}
	return "(" + where + ") OR " + e.d.ID() + " IN (SELECT id FROM " + dottedTable(col.table) + ")", args, false, nil
}

// saveDotted publishes that the collection now holds dotted documents.
func (ow *opWriter) saveDotted() error {
	if !ow.dotted || ow.col.dotted {
		return nil
	}
	col, err := ow.w.collection(ow.col.index, ow.col.name)
	if err != nil {
		return err
	}
	next := col.clone()
	next.dotted = true
	ow.w.mutable().collections[key{col.index, col.name}] = next
	ow.w.changed(col.index, col.name)
	return nil
}
