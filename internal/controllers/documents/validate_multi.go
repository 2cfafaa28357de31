package documents

import (
	"context"

	"github.com/starlingmq/starling/internal/validation"
)

// validateM applies the collection's specifications to the documents of
// mCreate, mCreateOrReplace, mReplace and mUpdate, which Kuzzle writes
// unchecked: a refused document becomes an error item, the others get
// their default values. Upserts and the bulk controller's writes stay
// unchecked, as in Kuzzle.
func (c *controllers) validateM(ctx context.Context, index, collection string, opts mOptions, todo []mDoc) ([]mDoc, []any, error) {
	spec := c.Specifications.Get(index, collection)
	if spec == nil || !opts.meta || opts.method == "mUpsert" {
		return todo, nil, nil
	}
	stored, err := c.storedOf(ctx, index, collection, opts, todo)
	if err != nil {
		return nil, nil, err
	}
	var refused []any
	kept := todo[:0]
	for _, d := range todo {
		w := validation.Write{ID: d.op.ID, Body: d.body}
		if opts.method == "mUpdate" {
			doc, ok := stored[d.op.ID]
			if !ok {
				kept = append(kept, d) // the store reports it missing
				continue
			}
			w.Update, w.Stored = true, doc
		}
		checked, err := spec.Check(w)
		if err != nil {
			refused = append(refused, itemError{Document: idBody{nonEmpty(d.op.ID), d.body}, Reason: err.Error(), Status: 400})
			continue
		}
		if sent, ok := d.sent.(map[string]any); ok {
			info, _ := sent["_kuzzle_info"].(map[string]any)
			d.sent = withInfo(checked, info)
		} else {
			d.sent = checked
		}
		d.op.Body = mustJSON(d.sent)
		kept = append(kept, d)
	}
	return kept, refused, nil
}

// storedOf reads, for mUpdate, the stored documents the changes apply to,
// without their metadata.
func (c *controllers) storedOf(ctx context.Context, index, collection string, opts mOptions, todo []mDoc) (map[string]map[string]any, error) {
	if opts.method != "mUpdate" {
		return nil, nil
	}
	ids := make([]string, len(todo))
	for i, d := range todo {
		ids[i] = d.op.ID
	}
	docs, err := c.Store.Get(ctx, index, collection, ids)
	if err != nil {
		return nil, err
	}
	stored := make(map[string]map[string]any, len(docs))
	for _, doc := range docs {
		if !doc.Found {
			continue
		}
		body, err := decodeBody(doc.Source, "_source")
		if err != nil {
			return nil, err
		}
		stored[doc.ID] = withoutInfo(body)
	}
	return stored, nil
}

// nonEmpty is an id as errors show it: absent when empty.
func nonEmpty(id string) any {
	if id == "" {
		return nil
	}
	return id
}
