package documents

import (
	"context"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/validation"
)

// The single-document writes of the document controller, as Kuzzle 2.56's
// documentController.js and its Elasticsearch client do them.

// docAnswer is the answer of a document write: {_id, _source, _version} with
// created when the action reports it.
type docAnswer struct {
	ID      string           `json:"_id"`
	Source  jsonx.RawMessage `json:"_source,omitempty"`
	Version int64            `json:"_version"`
	Created *bool            `json:"created,omitempty"`
}

// updated is the result of an update notification.
type updated struct {
	ID            string           `json:"_id"`
	Source        jsonx.RawMessage `json:"_source"`
	UpdatedFields jsonx.RawMessage `json:"_updatedFields,omitempty"`
}

// mustJSON encodes v, which holds only what JSON can encode.
func mustJSON(v any) jsonx.RawMessage {
	out, err := jsonx.Marshal(v)
	if err != nil {
		panic("encode a result: " + err.Error())
	}
	return out
}

// refreshArg checks the refresh argument as Kuzzle's storage client does
// for the actions reading it as a string.
func refreshArg(req *api.Request) error {
	refresh, kerr := req.StringOr("refresh", "false")
	if kerr != nil {
		return kerr
	}
	if refresh != "false" && refresh != "wait_for" {
		return kerror.New("services.storage.invalid_argument", "refresh", `"wait_for", false`)
	}
	return nil
}

// decodeBody decodes a JSON object.
func decodeBody(raw jsonx.RawMessage, name string) (map[string]any, error) {
	var m map[string]any
	if err := jsonx.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, kerror.New("api.assert.invalid_type", name, "object")
	}
	return m, nil
}

// noRouting refuses a body with _routing, as Kuzzle's storage client does.
func noRouting(body map[string]any) error {
	if jsTruthy(body["_routing"]) {
		return kerror.New("services.storage.no_routing")
	}
	return nil
}

// jsTruthy is JavaScript's truthiness of a decoded JSON value.
func jsTruthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0
	case string:
		return v != ""
	}
	return true
}

// withInfo returns a copy of doc whose _kuzzle_info is info.
func withInfo(doc map[string]any, info map[string]any) map[string]any {
	out := make(map[string]any, len(doc)+1)
	for k, v := range doc {
		out[k] = v
	}
	out["_kuzzle_info"] = info
	return out
}

// withoutInfo returns doc without _kuzzle_info (doc itself when it has
// none).
func withoutInfo(doc map[string]any) map[string]any {
	if _, ok := doc["_kuzzle_info"]; !ok {
		return doc
	}
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "_kuzzle_info" {
			out[k] = v
		}
	}
	return out
}

// nowMillis is the clock of the metadata the controllers write.
func nowMillis() int64 { return time.Now().UnixMilli() }

// createdInfo is the _kuzzle_info of a created document.
func createdInfo(user string, now int64) map[string]any {
	return map[string]any{"author": user, "createdAt": now, "updatedAt": nil, "updater": nil}
}

// updatedInfo is the _kuzzle_info an update merges.
func updatedInfo(user string, now int64) map[string]any {
	return map[string]any{"updatedAt": now, "updater": user}
}

// checkWrite applies the collection's specifications to w and returns the
// body to write, with the default values; w.Body without specifications.
func (c *controllers) checkWrite(index, collection string, w validation.Write) (map[string]any, error) {
	spec := c.Specifications.Get(index, collection)
	if spec == nil {
		return w.Body, nil
	}
	return spec.Check(w)
}

// checkUpdate validates an update's changes against the stored document,
// as Kuzzle does: the document must exist.
func (c *controllers) checkUpdate(ctx context.Context, index, collection, id string, changes map[string]any) (map[string]any, error) {
	if c.Specifications.Get(index, collection) == nil {
		return changes, nil
	}
	docs, err := c.Store.Get(ctx, index, collection, []string{id})
	if err != nil {
		return nil, err
	}
	if !docs[0].Found {
		return nil, kerror.New("services.storage.not_found", id, index, collection)
	}
	stored, err := decodeBody(docs[0].Source, "_source")
	if err != nil {
		return nil, err
	}
	// Kuzzle checks the changes over the whole stored document, its
	// metadata included, so that a strict specification refuses every
	// update; Starling leaves the metadata out.
	return c.checkWrite(index, collection, validation.Write{ID: id, Body: changes, Update: true, Stored: withoutInfo(stored)})
}

// docRequest is what the single-document writes read first.
type docRequest struct {
	index, collection, id string
	raw                   jsonx.RawMessage
	body                  map[string]any
}

// readDocRequest reads the target, the _id and the object body.
func readDocRequest(req *api.Request) (docRequest, error) {
	var d docRequest
	var err error
	if d.index, d.collection, err = target(req); err != nil {
		return d, err
	}
	id, kerr := req.DocumentID()
	if kerr != nil {
		return d, kerr
	}
	raw, kerr := req.BodyObject()
	if kerr != nil {
		return d, kerr
	}
	if err := refreshArg(req); err != nil {
		return d, err
	}
	d.id, d.raw = id, raw
	d.body, err = decodeBody(raw, "body")
	return d, err
}

func (c *controllers) documentCreateOrReplace(ctx context.Context, req *api.Request) (any, error) {
	d, body, err := c.checkedDocument(req)
	if err != nil {
		return nil, err
	}
	res, err := c.writeOne(ctx, d.index, d.collection, store.Op{Kind: store.OpCreateOrReplace, ID: d.id, Body: mustJSON(body), User: kuid(ctx)})
	if err != nil {
		return nil, err
	}
	result := mustJSON(docAnswer{ID: res.ID, Source: res.Source, Version: res.Version, Created: &res.Created})
	c.notify(req, d.index, d.collection, []Change{writeChange(res, result)})
	return result, nil
}

// checkedDocument reads a createOrReplace or replace request and returns
// its body as the collection's specifications complete it.
func (c *controllers) checkedDocument(req *api.Request) (docRequest, map[string]any, error) {
	d, err := readDocRequest(req)
	if err != nil {
		return d, nil, err
	}
	body, err := c.checkWrite(d.index, d.collection, validation.Write{ID: d.id, Body: d.body})
	if err != nil {
		return d, nil, err
	}
	return d, body, noRouting(body)
}

// writeChange is the notification of a createOrReplace: a create, or a
// replace of the previous version.
func writeChange(res store.Result, result jsonx.RawMessage) Change {
	if res.Created {
		return Change{Action: "create", ID: res.ID, Source: res.Source, Result: result}
	}
	return Change{Action: "replace", ID: res.ID, Source: res.Source, Previous: res.Previous, Result: result}
}

func (c *controllers) documentReplace(ctx context.Context, req *api.Request) (any, error) {
	d, body, err := c.checkedDocument(req)
	if err != nil {
		return nil, err
	}
	res, err := c.writeOne(ctx, d.index, d.collection, store.Op{Kind: store.OpReplace, ID: d.id, Body: mustJSON(body), User: kuid(ctx)})
	if err != nil {
		return nil, err
	}
	// Kuzzle notifies the request's body, without the metadata.
	notified := mustJSON(body)
	c.notify(req, d.index, d.collection, []Change{{
		Action: "replace", ID: d.id, Source: notified, Previous: res.Previous,
		Result: mustJSON(docAnswer{ID: d.id, Source: notified}.withoutVersion()),
	}})
	return jsonx.RawMessage(appendDocument(nil, res.ID, res.Source, res.Version)), nil
}

// withoutVersion is w as {_id, _source}.
func (w docAnswer) withoutVersion() any {
	return struct {
		ID     string           `json:"_id"`
		Source jsonx.RawMessage `json:"_source"`
	}{w.ID, w.Source}
}

func (c *controllers) documentUpdate(ctx context.Context, req *api.Request) (any, error) {
	d, err := readDocRequest(req)
	if err != nil {
		return nil, err
	}
	source, kerr := req.Boolean("source")
	if kerr != nil {
		return nil, kerr
	}
	changes, err := c.checkUpdate(ctx, d.index, d.collection, d.id, d.body)
	if err != nil {
		return nil, err
	}
	// Kuzzle replaces the changes' _kuzzle_info by its own.
	res, err := c.writeOne(ctx, d.index, d.collection, store.Op{Kind: store.OpUpdate, ID: d.id, Body: mustJSON(withoutInfo(changes)), User: kuid(ctx)})
	if err != nil {
		return nil, err
	}
	c.notify(req, d.index, d.collection, []Change{{
		Action: "update", ID: d.id, Source: res.Source, Previous: res.Previous,
		Result: mustJSON(updated{ID: d.id, Source: res.Source, UpdatedFields: updatedFieldsJSON(d.raw)}),
	}})
	if source {
		return jsonx.RawMessage(appendDocument(nil, res.ID, res.Source, res.Version)), nil
	}
	var stored struct {
		Info jsonx.RawMessage `json:"_kuzzle_info"`
	}
	_ = jsonx.Unmarshal(res.Source, &stored)
	answer := withInfo(changes, nil)
	answer["_kuzzle_info"] = stored.Info
	return docAnswer{ID: d.id, Source: mustJSON(answer), Version: res.Version}, nil
}

func (c *controllers) documentUpsert(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	changesRaw, changes, err := bodyMap(req, "changes", true)
	if err != nil {
		return nil, err
	}
	_, defaults, err := bodyMap(req, "default", false)
	if err != nil {
		return nil, err
	}
	if err := refreshArg(req); err != nil {
		return nil, err
	}
	source, kerr := req.Boolean("source")
	if kerr != nil {
		return nil, kerr
	}
	user, now := kuid(ctx), nowMillis()
	doc := withInfo(changes, updatedInfo(user, now))
	// Elasticsearch's upsert document is {...default, ...changes}: the
	// changes' metadata wins over the default one, as in Kuzzle.
	created := withInfo(defaults, map[string]any{"author": user, "createdAt": now})
	for k, v := range doc {
		created[k] = v
	}
	res, err := c.writeOne(ctx, index, collection, store.Op{Kind: store.OpUpsert, ID: id, Body: mustJSON(doc), Upsert: mustJSON(created), NoMeta: true})
	if err != nil {
		return nil, err
	}
	c.notify(req, index, collection, []Change{upsertChange(res, changesRaw)})
	if source {
		return docAnswer{ID: res.ID, Source: res.Source, Version: res.Version, Created: &res.Created}, nil
	}
	return struct {
		ID      string `json:"_id"`
		Version int64  `json:"_version"`
		Created bool   `json:"created"`
	}{res.ID, res.Version, res.Created}, nil
}

// upsertChange is the notification of an upsert: Kuzzle notifies a
// created document with its bare _source as result, an updated one as an
// update.
func upsertChange(res store.Result, changes jsonx.RawMessage) Change {
	if res.Created {
		return Change{Action: "create", ID: res.ID, Source: res.Source, Result: res.Source}
	}
	return Change{
		Action: "update", ID: res.ID, Source: res.Source, Previous: res.Previous,
		Result: mustJSON(updated{ID: res.ID, Source: res.Source, UpdatedFields: updatedFieldsJSON(changes)}),
	}
}

// bodyMap reads the object body field name: required, or {} when
// absent.
func bodyMap(req *api.Request, name string, required bool) (jsonx.RawMessage, map[string]any, error) {
	if req.Body == nil {
		return nil, nil, kerror.New("api.assert.body_required")
	}
	raw, kerr := req.BodyField(name)
	if kerr != nil {
		return nil, nil, kerr
	}
	if raw == nil {
		if required {
			return nil, nil, kerror.New("api.assert.missing_argument", "body."+name)
		}
		return jsonx.RawMessage(`{}`), map[string]any{}, nil
	}
	if raw[0] != '{' {
		return nil, nil, kerror.New("api.assert.invalid_type", "body."+name, "object")
	}
	m, err := decodeBody(raw, "body."+name)
	return raw, m, err
}

func (c *controllers) documentDelete(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	source, kerr := req.Boolean("source")
	if kerr != nil {
		return nil, kerr
	}
	if err := refreshArg(req); err != nil {
		return nil, err
	}
	if id == "_search" { // Kuzzle reads the document first, and that refuses it
		if _, err := c.Store.Get(ctx, index, collection, nil); err != nil {
			return nil, err
		}
		return nil, kerror.New("services.storage.search_as_an_id")
	}
	res, err := c.writeOne(ctx, index, collection, store.Op{Kind: store.OpDelete, ID: id})
	if err != nil {
		return nil, err
	}
	doc := appendDocument(nil, id, res.Source, res.Version-1)
	c.notify(req, index, collection, []Change{{Action: "delete", ID: id, Source: res.Source, Result: doc}})
	if source {
		return jsonx.RawMessage(doc), nil
	}
	return map[string]string{"_id": id}, nil
}

func (c *controllers) documentDeleteFields(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	raw, err := bodyArray(req, "fields")
	if err != nil {
		return nil, err
	}
	source, kerr := req.Boolean("source")
	if kerr != nil {
		return nil, kerr
	}
	if err := refreshArg(req); err != nil {
		return nil, err
	}
	fields := make([]string, len(raw))
	for i, f := range raw {
		fields[i] = textOf(f)
	}
	res, err := c.writeOne(ctx, index, collection, store.Op{Kind: store.OpDeleteFields, ID: id, Fields: fields, User: kuid(ctx)})
	if err != nil {
		return nil, err
	}
	c.notify(req, index, collection, []Change{{
		Action: "update", ID: id, Source: res.Source, Previous: res.Previous,
		Result: mustJSON(updated{ID: id, Source: res.Source}),
	}})
	if source {
		return jsonx.RawMessage(appendDocument(nil, id, res.Source, res.Version)), nil
	}
	return struct {
		ID      string `json:"_id"`
		Version int64  `json:"_version"`
	}{id, res.Version}, nil
}

// bodyArray reads the array body field name, required.
func bodyArray(req *api.Request, name string) ([]jsonx.RawMessage, error) {
	if req.Body == nil {
		return nil, kerror.New("api.assert.body_required")
	}
	raw, kerr := req.BodyField(name)
	if kerr != nil {
		return nil, kerr
	}
	if raw == nil {
		return nil, kerror.New("api.assert.missing_argument", "body."+name)
	}
	var items []jsonx.RawMessage
	if raw[0] != '[' || jsonx.Unmarshal(raw, &items) != nil {
		return nil, kerror.New("api.assert.invalid_type", "body."+name, "array")
	}
	return items, nil
}

// textOf is JavaScript's String() of a JSON scalar: a string's text, any
// other value's JSON.
func textOf(raw jsonx.RawMessage) string {
	var s string
	if len(raw) > 0 && raw[0] == '"' && jsonx.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
