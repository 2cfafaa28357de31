package documents

import (
	"context"
	"errors"
	"fmt"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
)

// The document controller's m* writes, as Kuzzle 2.56's _mChanges and its
// Elasticsearch client's _extractMDocuments and _mExecute do them: every
// document is written or refused on its own, and the answer lists
// {successes, errors}.

// itemError is one refused document of an m* write.
type itemError struct {
	Document any    `json:"document"`
	Reason   string `json:"reason"`
	Status   int    `json:"status"`
}

// item is one written document of an m* write.
type item struct {
	ID            string           `json:"_id"`
	Source        jsonx.RawMessage `json:"_source,omitempty"`
	Version       int64            `json:"_version"`
	Created       *bool            `json:"created,omitempty"`
	Result        string           `json:"result,omitempty"`
	Status        int              `json:"status"`
	UpdatedFields jsonx.RawMessage `json:"_updatedFields,omitempty"`
}

// multiResult is the answer of the m* actions.
type multiResult struct {
	Errors    []any `json:"errors"`
	Successes []any `json:"successes"`
}

// mOptions are how one m* action writes.
type mOptions struct {
	// method is the storage method Kuzzle names in its errors.
	method string
	// meta adds Kuzzle's metadata; off for bulk:mWrite.
	meta bool
	// source keeps _source in the successes (mCreateOrReplace's option).
	source bool
	// silent is the request's silent flag: no _updatedFields either.
	silent bool
}

// mDoc is one document of an m* request on its way to the store.
type mDoc struct {
	op store.Op
	// rawID is the document's _id as given, nil when absent or falsy.
	rawID jsonx.RawMessage
	// body is the document as errors show it: without metadata.
	body map[string]any
	// sent is the document written, metadata included (errors show it
	// too, Elasticsearch's errors in _mExecute).
	sent any
	// changes is the raw body or changes, for _updatedFields.
	changes jsonx.RawMessage
}

func (c *controllers) documentMCreate(ctx context.Context, req *api.Request) (any, error) {
	return c.mChanges(ctx, req, "mCreate")
}

func (c *controllers) documentMCreateOrReplace(ctx context.Context, req *api.Request) (any, error) {
	return c.mChanges(ctx, req, "mCreateOrReplace")
}

func (c *controllers) documentMReplace(ctx context.Context, req *api.Request) (any, error) {
	return c.mChanges(ctx, req, "mReplace")
}

func (c *controllers) documentMUpdate(ctx context.Context, req *api.Request) (any, error) {
	return c.mChanges(ctx, req, "mUpdate")
}

func (c *controllers) documentMUpsert(ctx context.Context, req *api.Request) (any, error) {
	return c.mChanges(ctx, req, "mUpsert")
}

// mChanges is Kuzzle's _mChanges: the arguments of every m* write, the
// write limit, then the writes and their notifications.
func (c *controllers) mChanges(ctx context.Context, req *api.Request, method string) (any, error) {
	strict, kerr := req.Boolean("strict")
	if kerr != nil {
		return nil, kerr
	}
	silent, kerr := req.Boolean("silent")
	if kerr != nil {
		return nil, kerr
	}
	if err := refreshArg(req); err != nil {
		return nil, err
	}
	docs, err := bodyArray(req, "documents")
	if err != nil {
		return nil, err
	}
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	if method == "mUpdate" || method == "mUpsert" {
		if _, kerr := req.Integer("retryOnConflict", api.Int(0)); kerr != nil {
			return nil, kerr
		}
	}
	if len(docs) > c.Limits.WriteCount {
		return nil, kerror.New("services.storage.write_limit_exceeded")
	}
	source, err := sourceArg(req)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return multiResult{Errors: []any{}, Successes: []any{}}, nil
	}
	for i, raw := range docs {
		var d struct {
			Source any `json:"_source"`
		}
		if jsonx.Unmarshal(raw, &d) == nil && jsTruthy(d.Source) {
			return nil, kerror.New("api.assert.unexpected_argument",
				fmt.Sprintf("documents[%d]._source", i), fmt.Sprintf("documents[%d].body", i))
		}
	}
	opts := mOptions{method: method, meta: true, source: source, silent: silent}
	res, changes, err := c.mWrite(ctx, req, index, collection, docs, opts)
	if err != nil {
		return nil, err
	}
	if strict && len(res.Errors) > 0 {
		return nil, kerror.NewPartial("api.process.incomplete_multiple_request", res.Errors, method)
	}
	c.notify(req, index, collection, changes)
	return res, nil
}

// sourceArg is _mChanges's source argument: true unless given false (or
// "false").
func sourceArg(req *api.Request) (bool, error) {
	raw := req.Arg("source")
	if raw == nil || string(raw) == `"false"` {
		return raw == nil, nil
	}
	source, kerr := req.Boolean("source")
	if kerr != nil {
		return false, kerr
	}
	return source, nil
}

// mWrite prepares, writes and reports the documents of an m* write; it
// returns the answer and the notifications to send.
func (c *controllers) mWrite(ctx context.Context, req *api.Request, index, collection string, docs []jsonx.RawMessage, opts mOptions) (multiResult, []Change, error) {
	user, now := kuid(ctx), nowMillis()
	var rejected, late, prechecked, failed []any
	var todo []mDoc
	for _, raw := range docs {
		d, refusal, isLate := prepareM(opts, raw, user, now)
		switch {
		case refusal == nil:
			todo = append(todo, d)
		case isLate:
			late = append(late, *refusal)
		default:
			rejected = append(rejected, *refusal)
		}
	}
	todo, refused, err := c.validateM(ctx, index, collection, opts, todo)
	if err != nil {
		return multiResult{}, nil, err
	}
	rejected = append(rejected, refused...)
	ops := make([]store.Op, len(todo))
	for i := range todo {
		ops[i] = todo[i].op
	}
	results, err := c.Store.Write(ctx, index, collection, ops)
	if err != nil {
		return multiResult{}, nil, err
	}
	out := multiResult{Successes: []any{}}
	var changes []Change
	for i, res := range results {
		d := &todo[i]
		if res.Err != nil {
			e, early := mFailure(opts.method, d, res.Err)
			if early {
				prechecked = append(prechecked, e)
			} else {
				failed = append(failed, e)
			}
			continue
		}
		it := mItem(opts, d, res)
		out.Successes = append(out.Successes, it)
		changes = append(changes, mChange(opts.method, res, mustJSON(it)))
	}
	out.Errors = append(append(append(append([]any{}, rejected...), late...), prechecked...), failed...)
	return out, changes, nil
}

// mItem is the success item of a written document.
func mItem(opts mOptions, d *mDoc, res store.Result) item {
	it := item{ID: res.ID, Source: res.Source, Version: res.Version, Status: 200}
	created := res.Created
	if created {
		it.Status = 201
	}
	switch opts.method {
	case "mUpdate":
	case "mUpsert":
		it.Created = &created
	default:
		it.Created, it.Result = &created, "updated"
		if created {
			it.Result = "created"
		}
	}
	if !opts.source {
		it.Source = nil
	}
	if (opts.method == "mUpdate" || opts.method == "mUpsert") && !created && !opts.silent {
		it.UpdatedFields = updatedFieldsJSON(d.changes)
	}
	return it
}

// mChange is the notification of one written document.
func mChange(method string, res store.Result, result jsonx.RawMessage) Change {
	ch := Change{ID: res.ID, Source: res.Source, Previous: res.Previous, Result: result}
	switch {
	case res.Created:
		ch.Action, ch.Previous = "create", nil
	case method == "mUpdate" || method == "mUpsert":
		ch.Action = "update"
	default:
		ch.Action = "replace"
	}
	return ch
}

// mFailure is the error item of a document the store refused; early is
// true for the failures Kuzzle finds before writing (its mget).
func mFailure(method string, d *mDoc, err error) (itemError, bool) {
	var kerr *kerror.Error
	errors.As(err, &kerr)
	var id any
	if d.op.ID != "" {
		id = d.op.ID
	}
	switch {
	case kerr != nil && kerr.ID == "services.storage.document_already_exists":
		return itemError{Document: idBody{id, d.body}, Reason: "document already exists", Status: 400}, true
	case kerr != nil && kerr.ID == "services.storage.not_found" && method == "mReplace":
		return itemError{Document: idBody{id, d.body}, Reason: "document not found", Status: 404}, true
	case kerr != nil && kerr.ID == "services.storage.not_found":
		return itemError{Document: idBody{id, d.sent}, Reason: "document not found", Status: 404}, false
	}
	status, reason, _ := esFailure(err)
	return itemError{Document: idSource{id, d.sent}, Reason: reason, Status: status}, false
}

// idBody is {_id, body}, how Kuzzle shows most refused documents.
type idBody struct {
	ID   any `json:"_id,omitempty"`
	Body any `json:"body"`
}

// idSource is {_id, _source}, how Kuzzle shows the documents
// Elasticsearch refused.
type idSource struct {
	ID     any `json:"_id,omitempty"`
	Source any `json:"_source"`
}

// esFailure is how Elasticsearch reports a document it refused: its
// status, reason and error type.
func esFailure(err error) (int, string, string) {
	var kerr *kerror.Error
	if !errors.As(err, &kerr) {
		return 500, err.Error(), "exception"
	}
	switch kerr.ID {
	case "services.storage.strict_mapping_rejection":
		return 400, fmt.Sprintf("mapping set to strict, dynamic introduction of [%v] within [_doc] is not allowed", kerr.Props[0]),
			"strict_dynamic_mapping_exception"
	case "services.storage.unexpected_bad_request":
		return 400, kerr.Message, "mapper_parsing_exception"
	case "api.assert.invalid_type":
		return 400, "failed to parse", "mapper_parsing_exception"
	}
	return kerr.Status, kerr.Message, "illegal_argument_exception"
}

// prepareM is Kuzzle's _extractMDocuments of one document: its checks and
// metadata. A refused document comes with its error; late is true for the
// refusals mUpdate makes after the others.
func prepareM(opts mOptions, raw jsonx.RawMessage, user string, now int64) (d mDoc, refusal *itemError, late bool) {
	var doc map[string]any
	var shown any = raw
	if jsonx.Unmarshal(raw, &doc) == nil && doc != nil {
		shown = doc
	}
	refuse := func(reason string) (mDoc, *itemError, bool) {
		return mDoc{}, &itemError{Document: shown, Reason: reason, Status: 400}, false
	}
	body, isBody := doc["body"].(map[string]any)
	if isBody && opts.meta {
		delete(body, "_kuzzle_info")
	}
	id, isString := doc["_id"].(string)
	if opts.method == "mUpsert" {
		if _, ok := doc["changes"].(map[string]any); !ok {
			return refuse("document changes must be an object")
		}
		if _, ok := doc["default"].(map[string]any); jsTruthy(doc["default"]) && !ok {
			return refuse("document default must be an object")
		}
		if !isString {
			return refuse("document _id must be a string")
		}
		if id == "" {
			return mDoc{}, &itemError{Document: shown, Reason: "id is missing", Status: 400}, true
		}
		return prepareUpsert(doc, raw, user, now), nil, false
	}
	if !isBody {
		return refuse("document body must be an object")
	}
	if opts.method == "mReplace" && !isString {
		return refuse("document _id must be a string")
	}
	d = mDoc{body: body, sent: body, changes: fieldOf(raw, "body")}
	if jsTruthy(doc["_id"]) {
		d.rawID = mustJSON(doc["_id"])
	}
	if opts.method == "mUpdate" && !isString {
		var shownID any
		if d.rawID != nil {
			shownID = d.rawID
		}
		return mDoc{}, &itemError{Document: idBody{shownID, body}, Reason: "document _id must be a string", Status: 400}, true
	}
	if (opts.method == "mUpdate" || opts.method == "mReplace") && id == "" {
		return mDoc{}, &itemError{Document: idBody{nil, body}, Reason: "id is missing", Status: 400}, true
	}
	kind, info := store.OpCreateOrReplace, createdInfo(user, now)
	switch {
	case opts.method == "mCreate" || id == "" && opts.method == "mCreateOrReplace":
		kind = store.OpCreate
	case opts.method == "mReplace":
		kind = store.OpReplace
	case opts.method == "mUpdate":
		kind, info = store.OpUpdate, updatedInfo(user, now)
	}
	if opts.meta {
		d.sent = withInfo(body, info)
	}
	d.op = store.Op{Kind: kind, ID: id, Body: mustJSON(d.sent), NoMeta: true}
	return d, nil, false
}

// prepareUpsert is one mUpsert document: the changes with the update's
// metadata, and the document to create ({...changes, ...default} with the
// creation's metadata).
func prepareUpsert(doc map[string]any, raw jsonx.RawMessage, user string, now int64) mDoc {
	changes := doc["changes"].(map[string]any)
	delete(changes, "_kuzzle_info")
	sent := withInfo(changes, updatedInfo(user, now))
	created := map[string]any{"_kuzzle_info": map[string]any{"author": user, "createdAt": now}}
	for k, v := range changes {
		created[k] = v
	}
	if defaults, ok := doc["default"].(map[string]any); ok {
		for k, v := range defaults {
			created[k] = v
		}
	}
	id := doc["_id"].(string)
	return mDoc{
		op:      store.Op{Kind: store.OpUpsert, ID: id, Body: mustJSON(sent), Upsert: mustJSON(created), NoMeta: true},
		body:    changes,
		sent:    map[string]any{"changes": sent, "default": created},
		changes: fieldOf(raw, "changes"),
	}
}

// idError is one refused id of mDelete.
type idError struct {
	ID     any    `json:"_id"`
	Reason string `json:"reason"`
	Status int    `json:"status"`
}

func (c *controllers) documentMDelete(ctx context.Context, req *api.Request) (any, error) {
	raw, err := bodyArray(req, "ids")
	if err != nil {
		return nil, err
	}
	strict, kerr := req.Boolean("strict")
	if kerr != nil {
		return nil, kerr
	}
	if err := refreshArg(req); err != nil {
		return nil, err
	}
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	errs := []any{}
	var ids []string
	for _, r := range raw {
		var id string
		if r[0] != '"' || jsonx.Unmarshal(r, &id) != nil {
			errs = append(errs, idError{ID: r, Reason: "document _id must be a string", Status: 400})
			continue
		}
		ids = append(ids, id)
	}
	found, errs, err := c.existing(ctx, index, collection, ids, errs)
	if err != nil {
		return nil, err
	}
	if len(found) > c.Limits.WriteCount {
		return nil, kerror.New("services.storage.write_limit_exceeded")
	}
	successes, changes := []string{}, []Change(nil)
	if len(found) > 0 {
		ops := make([]store.Op, len(found))
		for i, id := range found {
			ops[i] = store.Op{Kind: store.OpDelete, ID: id}
		}
		results, err := c.Store.Write(ctx, index, collection, ops)
		if err != nil {
			return nil, err
		}
		for _, res := range results {
			if res.Err != nil {
				errs = append(errs, idError{ID: res.ID, Reason: "document not found", Status: 404})
				continue
			}
			successes = append(successes, res.ID)
			changes = append(changes, Change{Action: "delete", ID: res.ID, Source: res.Source,
				Result: mustJSON(idSource{res.ID, res.Source})})
		}
	}
	if strict && len(errs) > 0 {
		return nil, kerror.NewPartial("api.process.incomplete_multiple_request", errs, "delete")
	}
	c.notify(req, index, collection, changes)
	return struct {
		Errors    []any    `json:"errors"`
		Successes []string `json:"successes"`
	}{errs, successes}, nil
}

// existing returns the ids of documents that exist, once each, and adds
// a "document not found" error for the others.
func (c *controllers) existing(ctx context.Context, index, collection string, ids []string, errs []any) ([]string, []any, error) {
	docs, err := c.Store.Get(ctx, index, collection, ids)
	if err != nil {
		return nil, nil, err
	}
	var found []string
	seen := make(map[string]bool, len(docs))
	for _, d := range docs {
		switch {
		case !d.Found:
			errs = append(errs, idError{ID: d.ID, Reason: "document not found", Status: 404})
		case !seen[d.ID]:
			seen[d.ID] = true
			found = append(found, d.ID)
		}
	}
	return found, errs, nil
}
