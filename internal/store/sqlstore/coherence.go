package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/starlingmq/starling/internal/coherence"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// Engines of several nodes may share one database (Config.Shared). Each
// keeps the catalogue in memory; three things keep it in line with the
// database:
//
//   - after a commit that changed the catalogue (an index or a collection
//     created, deleted, its mappings, settings or array paths changed, its
//     first document with a dotted key), the writer emits one
//     coherence.Catalogue change per index or collection it touched;
//   - Apply reloads the index or collection a change names, through the
//     writer, so that it never races with the writer's own changes;
//   - on a shared database, a name unknown in memory is looked up in the
//     database before being answered as missing (read-through), and the
//     writer reads a collection's row again, locked, before it changes it,
//     so that no node overwrites another's mappings or array paths with
//     stale ones.
//
// Read-through costs one job of the writer (two indexed reads in a
// transaction). A name found missing is remembered for missTTL (at most
// maxMisses names, an arbitrary one making room), so that repeated
// requests naming it cost nothing more; an Apply for it forgets it at once.
// A collection created elsewhere is therefore usable here at once, unless
// this node looked it up less than missTTL before its creation: then it
// is usable once the broadcast arrives, or missTTL later.

// Bounds of the negative cache of read-through.
const (
	missTTL   = time.Second
	maxMisses = 4096
)

// SetEmitter makes send receive a coherence.Catalogue change after each
// commit that changed the catalogue (nil: nothing is sent). send is called
// on the writer goroutine and must return at once.
func (e *Engine) SetEmitter(send func(coherence.Change)) { e.emit.Set(send) }

// Apply brings the catalogue in line with the database for a change
// another node made; changes of other kinds are ignored. It returns once
// the reloaded catalogue is published.
func (e *Engine) Apply(ctx context.Context, c coherence.Change) error {
	if c.Kind != coherence.Catalogue {
		return nil
	}
	e.misses.forget(c.Key, c.Sub)
	err := e.submit(ctx, func(w *txn) error { return w.reload(c.Key, c.Sub, false) })
	if err != nil {
		return fmt.Errorf("apply %s: %w", c, err)
	}
	return nil
}

// resolve returns a collection as lookup does; on a shared database, one
// unknown in memory is looked up in the database first.
func (e *Engine) resolve(ctx context.Context, index, name string) (*collection, error) {
	col, err := lookup(e.current(), index, name)
	if err == nil || !e.shared || e.misses.recent(index, name) {
		return col, err
	}
	if rerr := e.submit(ctx, func(w *txn) error { return w.reload(index, name, false) }); rerr != nil {
		return nil, fmt.Errorf("look %s:%s up: %w", index, name, rerr)
	}
	if col, err = lookup(e.current(), index, name); err != nil {
		e.misses.note(index, name)
	}
	return col, err
}

// resolveIndex reports whether index exists, looking it up in a shared
// database when it is unknown in memory.
func (e *Engine) resolveIndex(ctx context.Context, index string) (bool, error) {
	if _, ok := e.current().indexes[index]; ok || !e.shared || e.misses.recent(index, "") {
		return ok, nil
	}
	if err := e.submit(ctx, func(w *txn) error { return w.reload(index, "", false) }); err != nil {
		return false, fmt.Errorf("look %s up: %w", index, err)
	}
	_, ok := e.current().indexes[index]
	if !ok {
		e.misses.note(index, "")
	}
	return ok, nil
}

// droppedElsewhere reports whether err is the failure of a statement on
// col's table that another engine dropped (a shared database whose
// change was not applied yet); the collection is then read again.
func (e *Engine) droppedElsewhere(ctx context.Context, col *collection, err error) bool {
	if !e.shared || isKuzzle(err) || !strings.Contains(err.Error(), col.table) || !strings.Contains(err.Error(), "does not exist") {
		return false
	}
	e.misses.forget(col.index, col.name)
	return e.submit(ctx, func(w *txn) error { return w.reload(col.index, col.name, false) }) == nil
}

// fresh reads a collection's row again before the group changes it, when
// the database is shared: the row is locked until the commit, and the
// group's catalogue takes what the database holds. Name "" reads the
// index.
func (w *txn) fresh(index, name string) error {
	if !w.e.shared {
		return nil
	}
	return w.reload(index, name, true)
}

// reload replaces, in the group's catalogue, index (name "") or the
// collection name of index with what the database holds: the index with
// every collection of it, or the index's existence and that one
// collection. lock locks the rows read (PostgreSQL) until the commit.
func (w *txn) reload(index, name string, lock bool) error {
	suffix := ""
	if lock && w.e.d.Name() == "postgres" {
		suffix = " FOR UPDATE"
	}
	p := w.e.d.Placeholder
	var n int
	err := w.tx.QueryRowContext(w.ctx, "SELECT count(*) FROM starling_indexes WHERE name = "+p(1), index).Scan(&n)
	if err != nil {
		return fmt.Errorf("read the index %s: %w", index, err)
	}
	q := "SELECT idx, name, tbl, mappings, settings, arrays FROM starling_collections WHERE idx = " + p(1)
	args := []any{index}
	if name != "" {
		q += " AND name = " + p(2)
		args = append(args, name)
	}
	found, err := w.readCollections(q+suffix, args...)
	if err != nil {
		return err
	}
	cat := w.mutable()
	if n == 0 {
		delete(cat.indexes, index)
	} else {
		cat.indexes[index] = struct{}{}
	}
	for k := range cat.collections {
		if k.index == index && (name == "" || k.collection == name || n == 0) {
			delete(cat.collections, k)
		}
	}
	for _, col := range found {
		cat.collections[key{col.index, col.name}] = col
	}
	return nil
}

// readCollections reads the collections q selects, in the group's
// transaction.
func (w *txn) readCollections(q string, args ...any) ([]*collection, error) {
	rows, err := w.tx.QueryContext(w.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read the collections: %w", err)
	}
	var found []*collection
	for rows.Next() {
		var index, name, table, settings string
		var raw, arrays []byte
		if err := rows.Scan(&index, &name, &table, &raw, &settings, &arrays); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the collections: %w", err)
		}
		col, err := newCollection(index, name, table, raw, settings, arrays)
		if err != nil {
			rows.Close()
			return nil, err
		}
		found = append(found, col)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the collections: %w", err)
	}
	for _, col := range found {
		var n int
		if err := w.tx.QueryRowContext(w.ctx, anyDotted(col.table)).Scan(&n); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read the dotted keys table of %s:%s: %w", col.index, col.name, err)
		}
		col.dotted = n > 0
	}
	return found, nil
}

// newCollection builds a collection from its catalogue row; its dotted
// flag is left to the caller.
func newCollection(index, name, table string, raw []byte, settings string, arrays []byte) (*collection, error) {
	var paths []string
	if err := jsonx.Unmarshal(arrays, &paths); err != nil {
		return nil, fmt.Errorf("read the array paths of %s:%s: %w", index, name, err)
	}
	m, err := mapping.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("read the mappings of %s:%s: %w", index, name, err)
	}
	col := &collection{index: index, name: name, table: table, mappings: m, settings: jsonx.RawMessage(settings), indexed: map[string]struct{}{}}
	leaves(m, func(path []string, f *mapping.Field) {
		if indexable(f) && path[0] != mapping.KuzzleMetaField && len(col.indexed) < maxFieldIndexes {
			col.indexed[strings.Join(path, ".")] = struct{}{}
		}
	})
	col.text = hasText(m)
	col.arrays = make(map[string]struct{}, len(paths))
	for _, p := range paths {
		col.arrays[p] = struct{}{}
	}
	return col, nil
}

// anyDotted is the query of one row, one column: 1 when table's side
// table lists a document, else 0.
func anyDotted(table string) string {
	return "SELECT count(*) FROM (SELECT 1 FROM " + dottedTable(table) + " LIMIT 1) AS d"
}

// changed records that the group changed index (name "") or a collection,
// for the commit to emit.
func (w *txn) changed(index, name string) {
	c := coherence.Change{Kind: coherence.Catalogue, Key: index, Sub: name}
	for _, seen := range w.changes {
		if seen == c {
			return
		}
	}
	w.changes = append(w.changes, c)
}

// emitChanges sends the changes a committed group made.
func (e *Engine) emitChanges(changes []coherence.Change) {
	for _, c := range changes {
		e.emit.Emit(c)
	}
}

// misses remembers names read-through found missing, for missTTL.
type misses struct {
	mu sync.Mutex
	m  map[key]time.Time
}

// recent reports whether the name was found missing less than missTTL ago.
func (c *misses) recent(index, name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.m[key{index, name}]
	return ok && time.Since(at) < missTTL
}

// note remembers that the name was found missing now.
func (c *misses) note(index, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[key]time.Time{}
	}
	if len(c.m) >= maxMisses {
		for k, at := range c.m {
			if time.Since(at) >= missTTL || len(c.m) >= maxMisses {
				delete(c.m, k)
			}
		}
	}
	c.m[key{index, name}] = time.Now()
}

// forget drops what is remembered of the name; name "" drops the index
// and every collection of it.
func (c *misses) forget(index, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if k.index == index && (name == "" || k.collection == name || k.collection == "") {
			delete(c.m, k)
		}
	}
}
