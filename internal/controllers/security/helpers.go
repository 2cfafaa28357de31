package security

import (
	"context"
	"errors"
	"fmt"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/store"
)

// bodyFields decodes an object body into its raw fields: nil for an
// absent body, no field for an array body (Kuzzle's lodash get finds
// nothing there).
func bodyFields(req *api.Request) map[string]jsonx.RawMessage {
	if req.Body == nil {
		return nil
	}
	fields := map[string]jsonx.RawMessage{}
	if req.Body[0] == '{' {
		_ = jsonx.Unmarshal(req.Body, &fields) // api.Parse checked it is JSON
	}
	return fields
}

// isNull reports whether a raw value is JSON null.
func isNull(raw jsonx.RawMessage) bool { return string(raw) == "null" }

// bodyArray is Kuzzle's request.getBodyArray(name): body_required without
// a body, missing_argument without the field, invalid_type unless it is
// an array (null included).
func bodyArray(req *api.Request, name string) ([]any, *kerror.Error) {
	fields := bodyFields(req)
	if fields == nil {
		return nil, kerror.New("api.assert.body_required")
	}
	return arrayField(fields, name, "body."+name)
}

// arrayField reads fields[name] as an array; path names it in errors.
func arrayField(fields map[string]jsonx.RawMessage, name, path string) ([]any, *kerror.Error) {
	raw, ok := fields[name]
	if !ok {
		return nil, kerror.New("api.assert.missing_argument", path)
	}
	var array []any
	if raw[0] != '[' || jsonx.Unmarshal(raw, &array) != nil {
		return nil, kerror.New("api.assert.invalid_type", path, "array")
	}
	return array, nil
}

// bodyObjectOr is Kuzzle's request.getBodyObject(name, {}): def without a
// body or without the field, invalid_type unless it is an object.
func bodyObjectOr(req *api.Request, name string, def jsonx.RawMessage) (jsonx.RawMessage, *kerror.Error) {
	fields := bodyFields(req)
	raw, ok := fields[name]
	if !ok {
		return def, nil
	}
	if raw[0] != '{' {
		return nil, kerror.New("api.assert.invalid_type", "body."+name, "object")
	}
	return raw, nil
}

// stringIDs reads an ids array whose elements must be strings.
func stringIDs(array []any, path string) ([]string, *kerror.Error) {
	ids := make([]string, len(array))
	for i, v := range array {
		id, ok := v.(string)
		if !ok {
			return nil, kerror.New("api.assert.invalid_type", path, "string[]")
		}
		ids[i] = id
	}
	return ids, nil
}

// body is Kuzzle's request.getBody(): the raw body, body_required without.
func body(req *api.Request) (jsonx.RawMessage, *kerror.Error) {
	if req.Body == nil {
		return nil, kerror.New("api.assert.body_required")
	}
	return req.Body, nil
}

// documents reads stored definitions of collection; missing ones are
// returned with Found false.
func (c *controller) documents(ctx context.Context, collection string, ids []string) ([]store.Document, error) {
	docs, err := c.Store.Get(ctx, repository.Index, collection, ids)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", collection, err)
	}
	return docs, nil
}

// document reads one stored definition; notFound is the error id when it
// is missing.
func (c *controller) document(ctx context.Context, collection, id, notFound string) (store.Document, error) {
	docs, err := c.documents(ctx, collection, []string{id})
	if err != nil {
		return store.Document{}, err
	}
	if !docs[0].Found {
		return store.Document{}, kerror.New(notFound, id)
	}
	return docs[0], nil
}

// serialized is formatProcessing's {_id, _source} of a stored definition.
func serialized(id string, source jsonx.RawMessage) jsonx.RawMessage {
	out := jsonx.AppendString([]byte(`{"_id":`), id)
	out = append(out, `,"_source":`...)
	out = append(out, source...)
	return append(out, '}')
}

// hitsResult is {hits: [...]} of serialized definitions.
func hitsResult(hits []jsonx.RawMessage) jsonx.RawMessage {
	out := []byte(`{"hits":[`)
	for i, h := range hits {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, h...)
	}
	return append(out, "]}"...)
}

// isKuzzleError reports whether err is a Kuzzle error with id.
func isKuzzleError(err error, id string) bool {
	var kerr *kerror.Error
	return errors.As(err, &kerr) && kerr.ID == id
}

// mDelete is Kuzzle's _mDelete: the ids of body.ids deleted one by one,
// the deleted ones answered; when some fail, the partial error
// services.storage.incomplete_delete lists their errors.
func (c *controller) mDelete(ctx context.Context, req *api.Request, kind string, del func(ctx context.Context, id string) error) (any, error) {
	array, kerr := bodyArray(req, "ids")
	if kerr != nil {
		return nil, kerr
	}
	if len(array) > c.Config.WriteCount {
		return nil, kerror.New("services.storage.write_limit_exceeded")
	}
	ids, kerr := stringIDs(array, "body.ids")
	if kerr != nil {
		return nil, kerr
	}
	successes := []string{}
	var failed []any
	for _, id := range ids {
		if err := del(ctx, id); err != nil {
			var e *kerror.Error
			if !errors.As(err, &e) {
				return nil, err
			}
			failed = append(failed, e)
			continue
		}
		successes = append(successes, id)
	}
	c.Logger.Info("[SECURITY] deleted "+kind+"s", "user", kuid(ctx), "ids", successes)
	if failed != nil {
		return nil, kerror.NewPartial("services.storage.incomplete_delete", failed)
	}
	return successes, nil
}
