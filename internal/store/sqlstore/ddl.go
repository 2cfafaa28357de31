package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// maxFieldIndexes bounds the expression indexes of one collection; fields
// past it are still mapped and searchable, by scanning.
const maxFieldIndexes = 64

// load reads the catalogue.
func (e *Engine) load(ctx context.Context) (*catalog, error) {
	cat := &catalog{indexes: map[string]struct{}{}, collections: map[key]*collection{}}
	rows, err := e.wdb.QueryContext(ctx, "SELECT name FROM starling_indexes")
	if err != nil {
		return nil, fmt.Errorf("read the indexes: %w", err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the indexes: %w", err)
		}
		cat.indexes[name] = struct{}{}
	}
	rows.Close()
	rows, err = e.wdb.QueryContext(ctx, "SELECT idx, name, tbl, mappings, settings, arrays FROM starling_collections")
	if err != nil {
		return nil, fmt.Errorf("read the collections: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var index, name, table, settings string
		var raw, arrays []byte
		if err := rows.Scan(&index, &name, &table, &raw, &settings, &arrays); err != nil {
			return nil, fmt.Errorf("read the collections: %w", err)
		}
		col, err := newCollection(index, name, table, raw, settings, arrays)
		if err != nil {
			return nil, err
		}
		cat.collections[key{index, name}] = col
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the collections: %w", err)
	}
	rows.Close()
	for _, col := range cat.collections {
		if _, err := e.wdb.ExecContext(ctx, createDotted(col.table)); err != nil {
			return nil, fmt.Errorf("create the dotted keys table of %s:%s: %w", col.index, col.name, err)
		}
		var n int
		if err := e.wdb.QueryRowContext(ctx, anyDotted(col.table)).Scan(&n); err != nil {
			return nil, fmt.Errorf("read the dotted keys table of %s:%s: %w", col.index, col.name, err)
		}
		col.dotted = n > 0
	}
	return cat, nil
}

// CreateIndex implements store.Indexes.
func (e *Engine) CreateIndex(ctx context.Context, index string) error {
	return e.submit(ctx, func(w *txn) error {
		if err := w.fresh(index, ""); err != nil {
			return err
		}
		if _, ok := w.catalog().indexes[index]; ok {
			return kerror.New("services.storage.index_already_exists", "public", index)
		}
		return w.addIndex(index)
	})
}

// addIndex records a new index.
func (w *txn) addIndex(index string) error {
	if _, err := w.exec("INSERT INTO starling_indexes(name) VALUES("+w.e.d.Placeholder(1)+")", index); err != nil {
		return fmt.Errorf("create index %s: %w", index, err)
	}
	w.mutable().indexes[index] = struct{}{}
	w.changed(index, "")
	return nil
}

// DeleteIndexes implements store.Indexes.
func (e *Engine) DeleteIndexes(ctx context.Context, names []string) ([]string, error) {
	var deleted []string
	err := e.submit(ctx, func(w *txn) error {
		deleted = deleted[:0]
		for _, index := range names {
			if err := w.fresh(index, ""); err != nil {
				return err
			}
			if _, ok := w.catalog().indexes[index]; !ok || slices.Contains(deleted, index) {
				continue
			}
			for k, col := range w.catalog().collections {
				if k.index == index {
					if err := w.dropCollection(col); err != nil {
						return err
					}
				}
			}
			if _, err := w.exec("DELETE FROM starling_indexes WHERE name = "+w.e.d.Placeholder(1), index); err != nil {
				return fmt.Errorf("delete index %s: %w", index, err)
			}
			delete(w.mutable().indexes, index)
			w.changed(index, "")
			deleted = append(deleted, index)
		}
		return nil
	})
	return deleted, err
}

// ListIndexes implements store.Indexes.
func (e *Engine) ListIndexes(context.Context) ([]string, error) {
	cat := e.current()
	names := make([]string, 0, len(cat.indexes))
	for name := range cat.indexes {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// HasIndex implements store.Indexes.
func (e *Engine) HasIndex(ctx context.Context, index string) (bool, error) {
	return e.resolveIndex(ctx, index)
}

// Stats implements store.Indexes.
func (e *Engine) Stats(ctx context.Context) (store.Stats, error) {
	cat := e.current()
	stats := store.Stats{Indexes: []store.IndexStats{}}
	names, _ := e.ListIndexes(ctx)
	for _, index := range names {
		is := store.IndexStats{Name: index, Collections: []store.CollectionStats{}}
		cols, _ := e.ListCollections(ctx, index)
		for _, name := range cols {
			col := cat.collection(index, name)
			cs := store.CollectionStats{Name: name}
			if err := e.rdb.QueryRowContext(ctx, "SELECT count(*) FROM "+col.table).Scan(&cs.DocumentCount); err != nil {
				return store.Stats{}, fmt.Errorf("count %s:%s: %w", index, name, err)
			}
			if q := e.d.TableSize(col.table); q != "" {
				_ = e.rdb.QueryRowContext(ctx, q).Scan(&cs.Size)
			}
			is.Collections = append(is.Collections, cs)
			is.Size += cs.Size
		}
		stats.Indexes = append(stats.Indexes, is)
		stats.Size += is.Size
	}
	return stats, nil
}

// CreateCollection implements store.Collections.
func (e *Engine) CreateCollection(ctx context.Context, index, name string, m *mapping.Mappings, settings jsonx.RawMessage) error {
	if len(settings) == 0 {
		settings = jsonx.RawMessage("{}")
	}
	return e.submit(ctx, func(w *txn) error {
		if err := w.fresh(index, name); err != nil {
			return err
		}
		if col := w.catalog().collection(index, name); col != nil {
			merged, err := mapping.Merge(col.mappings, m)
			if err != nil {
				return err
			}
			return w.saveCollection(col, merged, settings)
		}
		if _, ok := w.catalog().indexes[index]; !ok {
			if err := w.addIndex(index); err != nil {
				return err
			}
		}
		return w.addCollection(index, name, mapping.ForCollection(m), settings)
	})
}

// addCollection creates a collection's table and records it.
func (w *txn) addCollection(index, name string, m *mapping.Mappings, settings jsonx.RawMessage) error {
	table := newTableName()
	for _, stmt := range append(w.e.d.CreateTable(table), createDotted(table)) {
		if _, err := w.tx.ExecContext(w.ctx, stmt); err != nil {
			return fmt.Errorf("create the table of %s:%s: %w", index, name, err)
		}
	}
	raw, err := jsonx.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode the mappings of %s:%s: %w", index, name, err)
	}
	p := w.e.d.Placeholder
	_, err = w.exec("INSERT INTO starling_collections(idx, name, tbl, mappings, settings) VALUES("+
		p(1)+","+p(2)+","+p(3)+","+p(4)+","+p(5)+")", index, name, table, string(raw), string(settings))
	if err != nil {
		return fmt.Errorf("record %s:%s: %w", index, name, err)
	}
	col := &collection{
		index: index, name: name, table: table, mappings: m, settings: settings,
		indexed: map[string]struct{}{}, arrays: map[string]struct{}{},
	}
	if err := w.indexFields(col); err != nil {
		return err
	}
	w.mutable().collections[key{index, name}] = col
	w.changed(index, name)
	return nil
}

// saveCollection records new mappings or settings of a collection and
// indexes its new fields.
func (w *txn) saveCollection(old *collection, m *mapping.Mappings, settings jsonx.RawMessage) error {
	raw, err := jsonx.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode the mappings of %s:%s: %w", old.index, old.name, err)
	}
	col := old.clone()
	col.mappings = m
	if settings != nil {
		col.settings = settings
	}
	p := w.e.d.Placeholder
	if _, err := w.exec("UPDATE starling_collections SET mappings = "+p(1)+", settings = "+p(2)+" WHERE tbl = "+p(3),
		string(raw), string(col.settings), col.table); err != nil {
		return fmt.Errorf("record the mappings of %s:%s: %w", old.index, old.name, err)
	}
	if err := w.indexFields(col); err != nil {
		return err
	}
	w.mutable().collections[key{col.index, col.name}] = col
	w.changed(col.index, col.name)
	return nil
}

// indexFields creates the expression indexes col's mappings call for and
// it lacks: one per mapped scalar field, Kuzzle's metadata aside (a write
// pays for every index).
func (w *txn) indexFields(col *collection) error {
	var err error
	leaves(col.mappings, func(path []string, f *mapping.Field) {
		dotted := strings.Join(path, ".")
		if err != nil || !indexable(f) || path[0] == mapping.KuzzleMetaField || len(col.indexed) >= maxFieldIndexes {
			return
		}
		if _, ok := col.indexed[dotted]; ok {
			return
		}
		stmt := w.e.d.CreateFieldIndex(col.table, fieldIndexName(col.table, dotted), path)
		if _, err = w.tx.ExecContext(w.ctx, stmt); err != nil {
			err = fmt.Errorf("index %s of %s:%s: %w", dotted, col.index, col.name, err)
			return
		}
		col.indexed[dotted] = struct{}{}
	})
	if err != nil || col.text || !hasText(col.mappings) {
		return err
	}
	for _, stmt := range w.e.d.CreateTextIndex(col.table) {
		if _, err := w.tx.ExecContext(w.ctx, stmt); err != nil {
			return fmt.Errorf("full-text index of %s:%s: %w", col.index, col.name, err)
		}
	}
	col.text = true
	return nil
}

// hasText reports whether m maps a text field, which calls for a
// full-text index.
func hasText(m *mapping.Mappings) bool {
	found := false
	leaves(m, func(_ []string, f *mapping.Field) { found = found || f.Type == "text" })
	return found
}

// leaves calls fn with the path of every mapped field that is no object,
// multi-fields aside (they index the same JSON value).
func leaves(m *mapping.Mappings, fn func(path []string, f *mapping.Field)) {
	var walk func(prefix []string, props map[string]*mapping.Field)
	walk = func(prefix []string, props map[string]*mapping.Field) {
		for _, name := range slices.Sorted(maps.Keys(props)) {
			f := props[name]
			path := append(prefix[:len(prefix):len(prefix)], name)
			if f.IsObject() {
				walk(path, f.Properties)
				continue
			}
			fn(path, f)
		}
	}
	walk(nil, m.Properties)
}

// indexable reports whether a field gets an expression index: the scalar
// types searched by value.
func indexable(f *mapping.Field) bool {
	switch f.Type {
	case "keyword", "text", "integer", "long", "short", "byte", "float", "double",
		"half_float", "scaled_float", "date", "boolean":
		return true
	}
	return false
}

// UpdateMapping implements store.Collections.
func (e *Engine) UpdateMapping(ctx context.Context, index, name string, m *mapping.Mappings) (*mapping.Mappings, error) {
	var merged *mapping.Mappings
	err := e.submit(ctx, func(w *txn) error {
		col, err := w.freshCollection(index, name)
		if err != nil {
			return err
		}
		if merged, err = mapping.Merge(col.mappings, m); err != nil {
			return err
		}
		return w.saveCollection(col, merged, nil)
	})
	return merged, err
}

// UpdateSettings implements store.Collections.
func (e *Engine) UpdateSettings(ctx context.Context, index, name string, settings jsonx.RawMessage) error {
	return e.submit(ctx, func(w *txn) error {
		col, err := w.freshCollection(index, name)
		if err != nil {
			return err
		}
		return w.saveCollection(col, col.mappings, settings)
	})
}

// Mapping implements store.Collections.
func (e *Engine) Mapping(ctx context.Context, index, name string) (*mapping.Mappings, error) {
	col, err := e.resolve(ctx, index, name)
	if err != nil {
		return nil, err
	}
	return col.mappings, nil
}

// Settings implements store.Collections.
func (e *Engine) Settings(ctx context.Context, index, name string) (jsonx.RawMessage, error) {
	col, err := e.resolve(ctx, index, name)
	if err != nil {
		return nil, err
	}
	return col.settings, nil
}

// ListCollections implements store.Collections.
func (e *Engine) ListCollections(ctx context.Context, index string) ([]string, error) {
	if ok, err := e.resolveIndex(ctx, index); err != nil || !ok {
		if err == nil {
			err = kerror.New("services.storage.unknown_index", index)
		}
		return nil, err
	}
	cat := e.current()
	var names []string
	for k := range cat.collections {
		if k.index == index {
			names = append(names, k.collection)
		}
	}
	slices.Sort(names)
	return names, nil
}

// HasCollection implements store.Collections.
func (e *Engine) HasCollection(ctx context.Context, index, name string) (bool, error) {
	col, err := e.resolve(ctx, index, name)
	if col != nil {
		return true, nil
	}
	if isKuzzle(err) {
		return false, nil
	}
	return false, err
}

// DeleteCollection implements store.Collections.
func (e *Engine) DeleteCollection(ctx context.Context, index, name string) error {
	return e.submit(ctx, func(w *txn) error {
		col, err := w.freshCollection(index, name)
		if err != nil {
			return err
		}
		return w.dropCollection(col)
	})
}

// dropCollection drops a collection's table and forgets it.
func (w *txn) dropCollection(col *collection) error {
	for _, stmt := range append(w.e.d.DropTable(col.table), "DROP TABLE IF EXISTS "+dottedTable(col.table)) {
		if _, err := w.tx.ExecContext(w.ctx, stmt); err != nil {
			return fmt.Errorf("drop %s:%s: %w", col.index, col.name, err)
		}
	}
	if _, err := w.exec("DELETE FROM starling_collections WHERE tbl = "+w.e.d.Placeholder(1), col.table); err != nil {
		return fmt.Errorf("forget %s:%s: %w", col.index, col.name, err)
	}
	delete(w.mutable().collections, key{col.index, col.name})
	w.changed(col.index, col.name)
	return nil
}

// Truncate implements store.Collections.
func (e *Engine) Truncate(ctx context.Context, index, name string) error {
	return e.submit(ctx, func(w *txn) error {
		col, err := w.freshCollection(index, name)
		if err != nil {
			return err
		}
		for _, table := range []string{col.table, dottedTable(col.table)} {
			if _, err := w.tx.ExecContext(w.ctx, w.e.d.Truncate(table)); err != nil {
				return fmt.Errorf("truncate %s:%s: %w", index, name, err)
			}
		}
		return nil
	})
}

// collection returns a collection as the group sees it, or Kuzzle's error
// naming what is missing.
func (w *txn) collection(index, name string) (*collection, error) {
	return lookup(w.catalog(), index, name)
}

// freshCollection is collection, after reading the collection's row
// again on a shared database (fresh): for the changes of a collection.
func (w *txn) freshCollection(index, name string) (*collection, error) {
	if err := w.fresh(index, name); err != nil {
		return nil, err
	}
	return w.collection(index, name)
}

// lookup finds a collection in cat, or returns Kuzzle's error naming what
// is missing.
func lookup(cat *catalog, index, name string) (*collection, error) {
	if col := cat.collection(index, name); col != nil {
		return col, nil
	}
	if _, ok := cat.indexes[index]; !ok {
		return nil, kerror.New("services.storage.unknown_index", index)
	}
	return nil, kerror.New("services.storage.unknown_collection", index, name)
}

// newTableName returns a fresh table name.
func newTableName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "docs_" + hex.EncodeToString(b[:])
}

// fieldIndexName names the expression index of path in table.
func fieldIndexName(table, path string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(path))
	return table + "_f" + strconv.FormatUint(h.Sum64(), 36)
}
