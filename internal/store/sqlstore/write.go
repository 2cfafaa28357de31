package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// Write implements store.Documents.
func (e *Engine) Write(ctx context.Context, index, name string, ops []store.Op) ([]store.Result, error) {
	col, err := e.resolve(ctx, index, name)
	if err != nil {
		return nil, err
	}
	results, err := e.write(ctx, index, name, ops)
	if err != nil && e.droppedElsewhere(ctx, col, err) {
		// Nothing was written (the group was rolled back): once more, on
		// the collection as the database now has it.
		if _, err = e.resolve(ctx, index, name); err == nil {
			results, err = e.write(ctx, index, name, ops)
		}
	}
	return results, err
}

// write is Write on a collection known to exist.
func (e *Engine) write(ctx context.Context, index, name string, ops []store.Op) ([]store.Result, error) {
	results := make([]store.Result, len(ops))
	// Decoding and checks that need no stored state run here, on the
	// caller's goroutine, so the writer only does what must be serial.
	prepared := make([]prepared, len(ops))
	for i := range ops {
		prepared[i] = e.prepare(&ops[i])
	}
	err := e.submit(ctx, func(w *txn) error {
		col, err := w.collection(index, name)
		if err != nil {
			return err
		}
		ow := opWriter{w: w, col: col}
		for i := range ops {
			results[i] = ow.apply(&ops[i], &prepared[i])
			if results[i].Err != nil && !isKuzzle(results[i].Err) {
				return results[i].Err
			}
		}
		if err := ow.saveMappings(); err != nil {
			return err
		}
		if err := ow.saveDotted(); err != nil {
			return err
		}
		return ow.saveArrays()
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// prepared is an op's body decoded ahead of the writer.
type prepared struct {
	body     map[string]any
	defaults map[string]any
	upsert   map[string]any
	// arrays are the paths where the op writes arrays.
	arrays []string
	// id and src are a create's id and stored document.
	id  string
	src []byte
	err error
}

// prepare decodes an op's body and default values; a create also gets its
// id and its stored bytes, so that the writer only checks and inserts.
func (e *Engine) prepare(op *store.Op) prepared {
	var p prepared
	if op.Kind == store.OpDelete || op.Kind == store.OpDeleteFields {
		return p
	}
	if p.body, p.err = decodeObject(op.Body, "body"); p.err != nil {
		return p
	}
	switch {
	case op.Kind != store.OpUpsert:
	case op.Upsert != nil:
		p.upsert, p.err = decodeObject(op.Upsert, "upsert")
	case len(op.Default) > 0:
		p.defaults, p.err = decodeObject(op.Default, "default")
	}
	for _, doc := range []map[string]any{p.body, p.defaults, p.upsert} {
		p.arrays = appendArrayPaths(p.arrays, "", doc)
	}
	if op.Kind == store.OpCreate {
		p.id = op.ID
		if p.id == "" {
			p.id = e.newID()
		}
		p.src, p.err = createdSource(op, p.body)
	}
	return p
}

// createdSource encodes a created document, with Kuzzle's metadata unless
// the op brings its own: the body's fields, then _kuzzle_info.
func createdSource(op *store.Op, body map[string]any) ([]byte, error) {
	src, err := jsonx.Marshal(body)
	if err != nil {
		return nil, kerror.New("api.assert.invalid_argument", "body", "a JSON object")
	}
	if op.NoMeta {
		return src, nil
	}
	now := op.Now
	if now == 0 {
		now = nowMillis()
	}
	meta := map[string]any{"author": kuid(op.User), "createdAt": now, "updatedAt": nil, "updater": nil}
	if _, own := body["_kuzzle_info"]; own { // replaced, as Kuzzle does
		doc := maps.Clone(body)
		doc["_kuzzle_info"] = meta
		return jsonx.Marshal(doc)
	}
	info, err := jsonx.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("encode _kuzzle_info: %w", err)
	}
	out := make([]byte, 0, len(src)+len(info)+16)
	out = append(out, src[:len(src)-1]...)
	if len(body) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"_kuzzle_info":`...)
	out = append(out, info...)
	return append(out, '}'), nil
}

// decodeObject decodes a JSON object argument.
func decodeObject(raw jsonx.RawMessage, name string) (map[string]any, error) {
	var m map[string]any
	if err := jsonx.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, kerror.New("api.assert.invalid_type", name, "object")
	}
	return m, nil
}

// isKuzzle reports whether err is a Kuzzle error: an op's own failure, not
// the engine's.
func isKuzzle(err error) bool {
	var kerr *kerror.Error
	return errors.As(err, &kerr)
}

// opWriter applies the ops of one Write to one collection inside the
// writer's transaction.
type opWriter struct {
	w   *txn
	col *collection
	// added gathers the fields dynamic mapping added, saved at the end.
	added *mapping.Mappings
	// arrays gathers the array paths the collection did not know.
	arrays map[string]struct{}
	// dotted is true when the write listed a document with a dotted key.
	dotted bool
}

// stored is a document as read in the transaction.
type stored struct {
	version int64
	doc     []byte
}

// read returns the stored document id, nil when missing.
func (ow *opWriter) read(id string) (*stored, error) {
	var s stored
	err := ow.w.queryRow(ow.w.e.d.Select(ow.col.table), id).Scan(&s.version, &s.doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s in %s:%s: %w", id, ow.col.index, ow.col.name, err)
	}
	return &s, nil
}

// apply runs one op.
func (ow *opWriter) apply(op *store.Op, p *prepared) store.Result {
	if p.err != nil {
		return store.Result{ID: op.ID, Err: p.err}
	}
	ow.noteArrays(p.arrays)
	if op.Kind == store.OpCreate {
		return ow.create(p)
	}
	now := op.Now
	if now == 0 {
		now = nowMillis()
	}
	if err := ow.w.e.storable(op.ID, nil); err != nil {
		return store.Result{ID: op.ID, Err: err} // an id the database cannot even look up
	}
	prev, err := ow.read(op.ID)
	if err != nil {
		return store.Result{ID: op.ID, Err: err}
	}
	if prev == nil && op.Kind != store.OpCreateOrReplace && op.Kind != store.OpUpsert {
		return store.Result{ID: op.ID, Err: kerror.New("services.storage.not_found", op.ID, ow.col.index, ow.col.name)}
	}
	if prev != nil && op.IfVersion != 0 && prev.version != op.IfVersion {
		return store.Result{ID: op.ID, Err: conflict(op.ID, prev.version, op.IfVersion)}
	}
	switch op.Kind {
	case store.OpCreateOrReplace, store.OpReplace:
		return ow.replace(op, p.body, prev, now)
	case store.OpUpdate:
		return ow.update(op, p.body, prev, now)
	case store.OpUpsert:
		if prev == nil {
			return ow.upsertNew(op, p, now)
		}
		return ow.update(op, p.body, prev, now)
	case store.OpDelete:
		return ow.remove(op, prev)
	case store.OpDeleteFields:
		return ow.deleteFields(op, prev, now)
	}
	return store.Result{ID: op.ID, Err: fmt.Errorf("unknown write kind %d", op.Kind)}
}

// conflict is Elasticsearch's version conflict, as Kuzzle reports it.
func conflict(id string, current, expected int64) error {
	return kerror.New("services.storage.unexpected_bad_request",
		fmt.Sprintf("[%s]: version conflict, current version [%d] is different than the one provided [%d]", id, current, expected))
}

// create inserts a new document.
func (ow *opWriter) create(p *prepared) store.Result {
	id := p.id
	if err := ow.check(id, p.body); err != nil {
		return store.Result{ID: id, Err: err}
	}
	if err := ow.w.e.storable(id, p.src); err != nil {
		return store.Result{ID: id, Err: err}
	}
	res, err := ow.w.exec(ow.w.e.d.Insert(ow.col.table), id, int64(1), p.src)
	if err != nil {
		return store.Result{ID: id, Err: fmt.Errorf("insert %s in %s:%s: %w", id, ow.col.index, ow.col.name, err)}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.Result{ID: id, Err: kerror.New("services.storage.document_already_exists")}
	}
	if err := ow.markDotted(id, p.body, nil); err != nil {
		return store.Result{ID: id, Err: err}
	}
	return store.Result{ID: id, Version: 1, Source: p.src, Created: true}
}

// replace writes body over a document, or creates it.
func (ow *opWriter) replace(op *store.Op, body map[string]any, prev *stored, now int64) store.Result {
	if err := ow.check(op.ID, body); err != nil {
		return store.Result{ID: op.ID, Err: err}
	}
	if !op.NoMeta {
		body["_kuzzle_info"] = map[string]any{"author": kuid(op.User), "createdAt": now, "updatedAt": now, "updater": kuid(op.User)}
	}
	return ow.put(op.ID, body, prev)
}

// update deep-merges changes into a stored document.
func (ow *opWriter) update(op *store.Op, changes map[string]any, prev *stored, now int64) store.Result {
	var doc map[string]any
	if err := jsonx.Unmarshal(prev.doc, &doc); err != nil || doc == nil {
		return store.Result{ID: op.ID, Err: fmt.Errorf("decode stored document %s: %w", op.ID, err)}
	}
	merge(doc, changes)
	if err := ow.check(op.ID, doc); err != nil {
		return store.Result{ID: op.ID, Err: err}
	}
	if !op.NoMeta {
		merge(doc, map[string]any{"_kuzzle_info": map[string]any{"updatedAt": now, "updater": kuid(op.User)}})
	}
	return ow.put(op.ID, doc, prev)
}

// upsertNew creates an upserted document from its defaults and changes.
func (ow *opWriter) upsertNew(op *store.Op, p *prepared, now int64) store.Result {
	doc := p.upsert
	if doc == nil {
		doc = p.defaults
		if doc == nil {
			doc = map[string]any{}
		}
		for k, v := range p.body {
			doc[k] = v
		}
	}
	if err := ow.check(op.ID, doc); err != nil {
		return store.Result{ID: op.ID, Err: err}
	}
	if !op.NoMeta {
		doc["_kuzzle_info"] = map[string]any{"author": kuid(op.User), "createdAt": now}
	}
	return ow.put(op.ID, doc, nil)
}

// deleteFields removes dotted paths from a stored document.
func (ow *opWriter) deleteFields(op *store.Op, prev *stored, now int64) store.Result {
	var doc map[string]any
	if err := jsonx.Unmarshal(prev.doc, &doc); err != nil || doc == nil {
		return store.Result{ID: op.ID, Err: fmt.Errorf("decode stored document %s: %w", op.ID, err)}
	}
	for _, path := range op.Fields {
		unset(doc, path)
	}
	if !op.NoMeta {
		merge(doc, map[string]any{"_kuzzle_info": map[string]any{"updatedAt": now, "updater": kuid(op.User)}})
	}
	return ow.put(op.ID, doc, prev)
}

// put stores doc as id's new version.
func (ow *opWriter) put(id string, doc map[string]any, prev *stored) store.Result {
	src, err := jsonx.Marshal(doc)
	if err != nil {
		return store.Result{ID: id, Err: kerror.New("api.assert.invalid_argument", "body", "a JSON object")}
	}
	if err := ow.w.e.storable(id, src); err != nil {
		return store.Result{ID: id, Err: err}
	}
	version := int64(1)
	var previous jsonx.RawMessage
	if prev != nil {
		version, previous = prev.version+1, prev.doc
	}
	if _, err := ow.w.exec(ow.w.e.d.Upsert(ow.col.table), id, version, src); err != nil {
		return store.Result{ID: id, Err: fmt.Errorf("write %s in %s:%s: %w", id, ow.col.index, ow.col.name, err)}
	}
	if err := ow.markDotted(id, doc, previous); err != nil {
		return store.Result{ID: id, Err: err}
	}
	return store.Result{ID: id, Version: version, Source: src, Previous: previous, Created: prev == nil}
}

// remove deletes a stored document.
func (ow *opWriter) remove(op *store.Op, prev *stored) store.Result {
	if _, err := ow.w.exec(ow.w.e.d.Delete(ow.col.table), op.ID); err != nil {
		return store.Result{ID: op.ID, Err: fmt.Errorf("delete %s in %s:%s: %w", op.ID, ow.col.index, ow.col.name, err)}
	}
	if err := ow.markDotted(op.ID, nil, prev.doc); err != nil {
		return store.Result{ID: op.ID, Err: err}
	}
	return store.Result{ID: op.ID, Version: prev.version + 1, Source: prev.doc, Previous: prev.doc}
}

// check tests a document against the collection's mappings (as extended by
// earlier ops of this write) and keeps the fields it adds.
func (ow *opWriter) check(id string, doc map[string]any) error {
	m := ow.col.mappings
	if ow.added != nil {
		m = ow.added
	}
	added, err := m.Check(doc, mapping.Where{Index: ow.col.index, Collection: ow.col.name, ID: id})
	if err != nil {
		return err
	}
	if added != nil {
		merged, err := mapping.Merge(m, added)
		if err != nil {
			return err
		}
		ow.added = merged
	}
	return nil
}

// saveMappings records the fields dynamic mapping added.
func (ow *opWriter) saveMappings() error {
	if ow.added == nil {
		return nil
	}
	if !ow.w.e.shared {
		return ow.w.saveCollection(ow.col, ow.added, nil)
	}
	// Another node may have changed the mappings since ow.col was read:
	// only the fields added here are merged into the stored ones.
	col, err := ow.w.freshCollection(ow.col.index, ow.col.name)
	if err != nil {
		return err
	}
	added := ow.added.Clone()
	added.Dynamic, added.Meta, added.DynamicTemplates = "", nil, nil
	merged, err := mapping.Merge(col.mappings, added)
	if err != nil {
		return err
	}
	return ow.w.saveCollection(col, merged, nil)
}

// DocumentChecker is implemented by the dialects of databases that cannot
// store every JSON document: CheckDocument returns the client's error
// (a *kerror.Error) for an id and document the database would refuse,
// before a statement fails (which, on PostgreSQL, would abort the
// transaction of the whole group).
type DocumentChecker interface {
	CheckDocument(id string, src []byte) error
}

// storable checks a document with the dialect, when it checks any.
func (e *Engine) storable(id string, src []byte) error {
	if c, ok := e.d.(DocumentChecker); ok {
		return c.CheckDocument(id, src)
	}
	return nil
}
