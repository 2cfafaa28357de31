package documents

import (
	"bytes"
	"context"
	"strconv"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/validation"
)

// document is Kuzzle's document controller.
func (c *controllers) document() api.Controller {
	return api.Controller{Name: "document", Actions: map[string]api.Action{
		"count":            c.documentCount,
		"create":           c.documentCreate,
		"createOrReplace":  c.documentCreateOrReplace,
		"delete":           c.documentDelete,
		"deleteByQuery":    c.documentDeleteByQuery,
		"deleteFields":     c.documentDeleteFields,
		"exists":           c.documentExists,
		"export":           c.documentExport,
		"get":              c.documentGet,
		"mCreate":          c.documentMCreate,
		"mCreateOrReplace": c.documentMCreateOrReplace,
		"mDelete":          c.documentMDelete,
		"mExists":          c.documentMExists,
		"mGet":             c.documentMGet,
		"mReplace":         c.documentMReplace,
		"mUpdate":          c.documentMUpdate,
		"mUpsert":          c.documentMUpsert,
		"replace":          c.documentReplace,
		"scroll":           c.documentScroll,
		"search":           c.documentSearch,
		"update":           c.documentUpdate,
		"updateByQuery":    c.documentUpdateByQuery,
		"upsert":           c.documentUpsert,
		"validate":         c.documentValidate,
	}, Immediate: readsOneDocument}
}

// readsOneDocument reports whether a document action only reads one
// document by id: an indexed read of the store, which never waits for
// writers and takes microseconds, so it runs on the goroutine that
// dispatched its request instead of being handed to a worker.
func readsOneDocument(action string) bool {
	return action == "get" || action == "exists"
}

// appendDocument appends {"_id","_source","_version"}, the shape Kuzzle
// returns for one document.
func appendDocument(dst []byte, id string, source []byte, version int64) []byte {
	dst = append(dst, `{"_id":`...)
	dst = jsonx.AppendString(dst, id)
	dst = append(dst, `,"_source":`...)
	dst = append(dst, source...)
	dst = append(dst, `,"_version":`...)
	dst = strconv.AppendInt(dst, version, 10)
	return append(dst, '}')
}

// writeOne runs one op and returns its result, or its error.
func (c *controllers) writeOne(ctx context.Context, index, collection string, op store.Op) (store.Result, error) {
	results, err := c.Store.Write(ctx, index, collection, []store.Op{op})
	if err != nil {
		return store.Result{}, err
	}
	if results[0].Err != nil {
		return store.Result{}, results[0].Err
	}
	return results[0], nil
}

func (c *controllers) documentCreate(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	id, _, kerr := req.String("_id")
	if kerr != nil {
		return nil, kerr
	}
	body, kerr := req.BodyObject()
	if kerr != nil {
		return nil, kerr
	}
	body, err = c.validate(index, collection, id, body)
	if err != nil {
		return nil, err
	}
	var routed struct {
		Routing any `json:"_routing"`
	}
	if jsonx.Unmarshal(body, &routed) == nil && jsTruthy(routed.Routing) {
		return nil, kerror.New("services.storage.no_routing")
	}
	res, err := c.writeOne(ctx, index, collection, store.Op{Kind: store.OpCreate, ID: id, Body: body, User: kuid(ctx)})
	if err != nil {
		return nil, err
	}
	result := appendDocument(nil, res.ID, res.Source, res.Version)
	c.notify(req, index, collection, []Change{{Action: "create", ID: res.ID, Source: res.Source, Result: result}})
	return jsonx.RawMessage(result), nil
}

func (c *controllers) documentGet(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	docs, err := c.Store.Get(ctx, index, collection, []string{id})
	if err != nil {
		return nil, err
	}
	if id == "_search" {
		return nil, kerror.New("services.storage.search_as_an_id")
	}
	if !docs[0].Found {
		return nil, kerror.New("services.storage.not_found", id, index, collection)
	}
	return jsonx.RawMessage(appendDocument(nil, id, docs[0].Source, docs[0].Version)), nil
}

func (c *controllers) documentExists(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	docs, err := c.Store.Get(ctx, index, collection, []string{id})
	if err != nil {
		return nil, err
	}
	return docs[0].Found, nil
}

// readIDs reads the ids of mGet and mExists (body.ids, else the ids
// argument), then the target, strict and the fetch limit.
func (c *controllers) readIDs(req *api.Request) (index, collection string, ids []string, strict bool, err error) {
	raw, name := jsonx.RawMessage(nil), "ids"
	if len(req.Body) > 0 && req.Body[0] == '{' {
		if b, _ := req.BodyField("ids"); hasKeys(b) {
			raw, name = b, "body.ids"
		}
	}
	if raw == nil {
		raw = req.Arg("ids")
	}
	if raw == nil {
		return "", "", nil, false, kerror.New("api.assert.missing_argument", name)
	}
	var items []jsonx.RawMessage
	if raw[0] != '[' || jsonx.Unmarshal(raw, &items) != nil {
		return "", "", nil, false, kerror.New("api.assert.invalid_type", name, "array")
	}
	if index, collection, err = target(req); err != nil {
		return "", "", nil, false, err
	}
	strict, kerr := req.Boolean("strict")
	if kerr != nil {
		return "", "", nil, false, kerr
	}
	if len(items) > c.Limits.FetchCount {
		return "", "", nil, false, kerror.New("services.storage.get_limit_exceeded")
	}
	ids = make([]string, len(items))
	for i, item := range items {
		ids[i] = textOf(item)
	}
	return index, collection, ids, strict, nil
}

// hasKeys is JavaScript's Object.keys(v).length > 0 for a JSON value.
func hasKeys(raw jsonx.RawMessage) bool {
	switch {
	case len(raw) == 0:
		return false
	case raw[0] == '[':
		return len(bytes.TrimSpace(raw[1:len(raw)-1])) > 0
	case raw[0] == '{':
		return len(members(raw)) > 0
	case raw[0] == '"':
		return textOf(raw) != ""
	}
	return false
}

// emptyMulti is what Kuzzle answers mGet and mExists without ids: its
// storage client names the successes "item", so they are missing.
const emptyMulti = api.Compact(`{"errors":[]}`)

func (c *controllers) documentMGet(ctx context.Context, req *api.Request) (any, error) {
	return c.readMany(ctx, req, func(d store.Document) any {
		return jsonx.RawMessage(appendDocument(nil, d.ID, d.Source, d.Version))
	})
}

func (c *controllers) documentMExists(ctx context.Context, req *api.Request) (any, error) {
	return c.readMany(ctx, req, func(d store.Document) any { return d.ID })
}

// readMany is mGet and mExists: the ids found become successes (as found
// says), the others errors.
func (c *controllers) readMany(ctx context.Context, req *api.Request, found func(store.Document) any) (any, error) {
	index, collection, ids, strict, err := c.readIDs(req)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return emptyMulti, nil
	}
	docs, err := c.Store.Get(ctx, index, collection, ids)
	if err != nil {
		return nil, err
	}
	errs, successes := []any{}, []any{}
	for _, d := range docs {
		if d.Found {
			successes = append(successes, found(d))
		} else {
			errs = append(errs, d.ID)
		}
	}
	if strict && len(errs) > 0 {
		return nil, kerror.NewPartial("api.process.incomplete_multiple_request", errs, "get")
	}
	return multiResult{Errors: errs, Successes: successes}, nil
}

// documentValidate is document:validate: the specifications' verdict on
// the body, written nowhere.
func (c *controllers) documentValidate(_ context.Context, req *api.Request) (any, error) {
	if req.Body == nil {
		return nil, kerror.New("api.assert.body_required")
	}
	index, collection, kerr := req.IndexAndCollection()
	if kerr != nil {
		return nil, kerr
	}
	body, err := decodeBody(req.Body, "body")
	if err != nil {
		return nil, err
	}
	id, _, kerr := req.String("_id")
	if kerr != nil {
		return nil, kerr
	}
	return c.Specifications.Get(index, collection).Verbose(validation.Write{ID: id, Body: body}), nil
}

// validate applies the collection's specifications to a document about to
// be written and returns it with their default values.
func (c *controllers) validate(index, collection, id string, body jsonx.RawMessage) (jsonx.RawMessage, error) {
	spec := c.Specifications.Get(index, collection)
	if spec == nil {
		return body, nil
	}
	var doc map[string]any
	if err := jsonx.Unmarshal(body, &doc); err != nil {
		return nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	checked, err := spec.Check(validationWrite(id, doc))
	if err != nil {
		return nil, err
	}
	out, err := jsonx.Marshal(checked)
	if err != nil {
		return nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	return out, nil
}
