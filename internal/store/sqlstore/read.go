package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
)

// maxIDsPerQuery bounds the placeholders of one SELECT by ids.
const maxIDsPerQuery = 512

// Get implements store.Documents.
func (e *Engine) Get(ctx context.Context, index, name string, ids []string) ([]store.Document, error) {
	col, err := e.resolve(ctx, index, name)
	if err != nil {
		return nil, err
	}
	// Reads by id take microseconds: they are not interrupted, which spares
	// the driver and database/sql a goroutine each watching ctx.
	ctx = context.WithoutCancel(ctx)
	// ids the database cannot store are in no document, nor looked up.
	lookups := ids
	if c, ok := e.d.(DocumentChecker); ok {
		refused := func(id string) bool { return c.CheckDocument(id, nil) != nil }
		if slices.ContainsFunc(ids, refused) {
			lookups = slices.DeleteFunc(slices.Clone(ids), refused)
		}
	}
	if len(ids) == 1 && len(lookups) == 1 {
		return e.getOne(ctx, col, ids[0])
	}
	found := make(map[string]store.Document, len(ids))
	for start := 0; start < len(lookups); start += maxIDsPerQuery {
		chunk := lookups[start:min(start+maxIDsPerQuery, len(lookups))]
		if err := e.getChunk(ctx, col, chunk, found); err != nil {
			return nil, err
		}
	}
	docs := make([]store.Document, len(ids))
	for i, id := range ids {
		if d, ok := found[id]; ok {
			docs[i] = d
		} else {
			docs[i] = store.Document{ID: id}
		}
	}
	return docs, nil
}

// getOne reads one document, the common get.
func (e *Engine) getOne(ctx context.Context, col *collection, id string) ([]store.Document, error) {
	d := store.Document{ID: id}
	var src []byte
	var err error
	if e.points != nil {
		d.Found, d.Version, src, err = e.pointGet(ctx, col, id)
	} else {
		err = e.queryRow(ctx, e.d.Select(col.table), id).Scan(&d.Version, &src)
		d.Found = err == nil
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
	}
	if err != nil {
		return nil, e.readError(col, err)
	}
	d.Source = src
	return []store.Document{d}, nil
}

// pointGet reads one document through the point-read connections.
func (e *Engine) pointGet(ctx context.Context, col *collection, id string) (found bool, version int64, src []byte, err error) {
	row := make([]driver.Value, 2)
	found, err = e.points.row(ctx, e.d.Select(col.table), []driver.NamedValue{{Ordinal: 1, Value: id}}, row)
	if err != nil || !found {
		return false, 0, nil, err
	}
	if version, err = int64Value(row[0]); err != nil {
		return false, 0, nil, err
	}
	src, err = bytesValue(row[1])
	return err == nil, version, src, err
}

// getChunk reads the documents of ids into found.
func (e *Engine) getChunk(ctx context.Context, col *collection, ids []string, found map[string]store.Document) error {
	// A power of two of placeholders (the last id repeated), so that the
	// statements of every count stay few and prepared.
	n := 1
	for n < len(ids) {
		n *= 2
	}
	args := make([]any, n)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	rows, err := e.query(ctx, e.d.SelectIDs(col.table, n), args...)
	if err != nil {
		return e.readError(col, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d store.Document
		var src []byte
		if err := rows.Scan(&d.ID, &d.Version, &src); err != nil {
			return fmt.Errorf("read %s:%s: %w", col.index, col.name, err)
		}
		d.Source = src
		d.Found = true
		found[d.ID] = d
	}
	return rows.Err()
}

// readError turns a failed read into the error clients get: a collection
// dropped while the read ran is reported as unknown (its table is gone
// before the catalogue says so: the writer publishes the catalogue once
// the drop is committed).
func (e *Engine) readError(col *collection, err error) error {
	if strings.Contains(err.Error(), "no such table") || strings.Contains(err.Error(), "does not exist") {
		if _, lerr := lookup(e.current(), col.index, col.name); lerr != nil {
			return lerr
		}
		return kerror.New("services.storage.unknown_collection", col.index, col.name)
	}
	return fmt.Errorf("read %s:%s: %w", col.index, col.name, err)
}
