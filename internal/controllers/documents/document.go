package documents

import (
	"context"
	"strconv"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
)

// document is Kuzzle's document controller.
func (c *controllers) document() api.Controller {
	return api.Controller{Name: "document", Actions: map[string]api.Action{
		"count":         c.documentCount,
		"create":        c.documentCreate,
		"deleteByQuery": c.documentDeleteByQuery,
		"export":        c.documentExport,
		"get":           c.documentGet,
		"scroll":        c.documentScroll,
		"search":        c.documentSearch,
		"updateByQuery": c.documentUpdateByQuery,
	}}
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
	res, err := c.writeOne(ctx, index, collection, store.Op{Kind: store.OpCreate, ID: id, Body: body, User: kuid(req)})
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
	if !docs[0].Found {
		return nil, kerror.New("services.storage.not_found", id, index, collection)
	}
	return jsonx.RawMessage(appendDocument(nil, id, docs[0].Source, docs[0].Version)), nil
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
