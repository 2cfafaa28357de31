package documents

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/query"
)

// maxRounds bounds how many times a by-query write searches again for the
// documents that changed while it ran.
const maxRounds = 3

// written is a by-query write's outcome on one document.
type written struct {
	// hit is the document as the search found it.
	hit store.Hit
	res store.Result
}

// writeMatching finds every document of a collection that q matches
// (services.storage.write_limit_exceeded when they are more than limit; 0
// for no limit) and applies build's op to each, conditioned on the version
// the search saw, so that a concurrent change is never overwritten: the
// documents changed meanwhile are searched again, and written if they
// still match, up to maxRounds times. It returns the writes that succeeded
// and those that failed, the conflicts left after the last round included.
func (c *controllers) writeMatching(ctx context.Context, index, collection string, q query.Node, limit int, build func(store.Hit) store.Op) (done, failed []written, err error) {
	node := q
	for round := 0; ; round++ {
		hits, err := c.matching(ctx, index, collection, node, limit)
		if err != nil || len(hits) == 0 {
			return done, failed, err
		}
		limit = 0
		ops := make([]store.Op, len(hits))
		for i, h := range hits {
			ops[i] = build(h)
			ops[i].ID, ops[i].IfVersion = h.ID, h.Version
		}
		results, err := c.Store.Write(ctx, index, collection, ops)
		if err != nil {
			return done, failed, err
		}
		var changed []string
		var conflicts []written
		for i, r := range results {
			w := written{hit: hits[i], res: r}
			switch {
			case r.Err == nil:
				done = append(done, w)
			case isConflict(r.Err):
				changed = append(changed, r.ID)
				conflicts = append(conflicts, w)
			default:
				failed = append(failed, w)
			}
		}
		if len(changed) == 0 {
			return done, failed, nil
		}
		if round == maxRounds-1 {
			return done, append(failed, conflicts...), nil
		}
		node = &query.Bool{Must: []query.Node{q}, Filter: []query.Node{&query.IDs{Values: changed}}}
	}
}

// byQueryPage is how many documents a by-query write reads per page, as
// Kuzzle's deleteByQuery and updateByQuery do.
const byQueryPage = 1000

// matching returns the documents q matches, in insertion order, read by
// pages through a scroll; services.storage.write_limit_exceeded when they
// are more than limit (0 for no limit).
func (c *controllers) matching(ctx context.Context, index, collection string, q query.Node, limit int) ([]store.Hit, error) {
	ttl := c.ScrollTTL
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	res, err := c.Store.Search(ctx, index, collection, &query.Search{Query: q, Size: byQueryPage, Scroll: ttl})
	if err != nil {
		return nil, err
	}
	if limit > 0 && res.Total > limit {
		_ = c.Store.ClearScroll(ctx, res.ScrollID)
		return nil, kerror.New("services.storage.write_limit_exceeded")
	}
	hits := res.Hits
	if len(hits) >= res.Total {
		_ = c.Store.ClearScroll(ctx, res.ScrollID)
		return hits, nil
	}
	for id := res.ScrollID; ; {
		page, err := c.Store.Scroll(ctx, id, ttl)
		if err != nil {
			return nil, err
		}
		hits = append(hits, page.Hits...)
		if page.Remaining == 0 || len(page.Hits) == 0 {
			if page.Remaining > 0 {
				_ = c.Store.ClearScroll(ctx, id)
			}
			return hits, nil
		}
	}
}

// isConflict reports whether err is the store's version conflict.
func isConflict(err error) bool {
	var kerr *kerror.Error
	return errors.As(err, &kerr) && kerr.ID == "services.storage.unexpected_bad_request" &&
		strings.Contains(kerr.Message, "version conflict")
}

// isNotFound reports whether err is the store's missing document.
func isNotFound(err error) bool {
	var kerr *kerror.Error
	return errors.As(err, &kerr) && kerr.ID == "services.storage.not_found"
}

// bodyObject is Kuzzle's getBodyObject(name): the object field name of
// the body. Without the body or the field, it is nil when optional, else
// api.assert.body_required or api.assert.missing_argument.
func bodyObject(req *api.Request, name string, required bool) (jsonx.RawMessage, error) {
	if req.Body == nil {
		if required {
			return nil, kerror.New("api.assert.body_required")
		}
		return nil, nil
	}
	raw, kerr := req.BodyField(name)
	if kerr != nil {
		return nil, kerr
	}
	if raw == nil {
		if required {
			return nil, kerror.New("api.assert.missing_argument", "body."+name)
		}
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, kerror.New("api.assert.invalid_type", "body."+name, "object")
	}
	return raw, nil
}

// byQueryArgs reads what document:deleteByQuery and updateByQuery share:
// the collection, lang, source and refresh, and parses the body's query.
func (c *controllers) byQueryArgs(ctx context.Context, req *api.Request, queryRequired bool) (index, collection string, q query.Node, source bool, err error) {
	raw, err := bodyObject(req, "query", queryRequired)
	if err != nil {
		return "", "", nil, false, err
	}
	if _, kerr := req.Boolean("silent"); kerr != nil {
		return "", "", nil, false, kerr
	}
	if _, _, kerr := req.String("refresh"); kerr != nil {
		return "", "", nil, false, kerr
	}
	source, kerr := req.Boolean("source")
	if kerr != nil {
		return "", "", nil, false, kerr
	}
	if index, collection, err = target(req); err != nil {
		return "", "", nil, false, err
	}
	lang, kerr := req.Lang()
	if kerr != nil {
		return "", "", nil, false, kerr
	}
	q, err = c.parseQuery(ctx, index, collection, raw, lang)
	return index, collection, q, source, err
}

// appendIDSource appends {"_id", "_source"}, _source only with source.
func appendIDSource(dst []byte, id string, src []byte, source bool) []byte {
	dst = jsonx.AppendString(append(dst, `{"_id":`...), id)
	if source {
		dst = append(append(dst, `,"_source":`...), src...)
	}
	return dst
}

func (c *controllers) documentDeleteByQuery(ctx context.Context, req *api.Request) (any, error) {
	index, collection, q, source, err := c.byQueryArgs(ctx, req, false)
	if err != nil {
		return nil, err
	}
	done, failed, err := c.writeMatching(ctx, index, collection, q, c.Limits.WriteCount,
		func(store.Hit) store.Op { return store.Op{Kind: store.OpDelete} })
	if err != nil {
		return nil, err
	}
	changes := make([]Change, len(done))
	docs, ids := []byte{'['}, []byte{'['}
	for i, w := range done {
		result := append(appendIDSource(nil, w.res.ID, w.res.Source, true), '}')
		changes[i] = Change{Action: "delete", ID: w.res.ID, Source: w.res.Source, Result: result}
		if i > 0 {
			docs, ids = append(docs, ','), append(ids, ',')
		}
		docs = append(appendIDSource(docs, w.res.ID, w.res.Source, source), '}')
		ids = jsonx.AppendString(ids, w.res.ID)
	}
	c.notify(req, index, collection, changes)
	if err := firstConflict(failed); err != nil {
		return nil, err
	}
	out := append(append([]byte(`{"documents":`), docs...), `],"ids":`...)
	return jsonx.RawMessage(append(append(out, ids...), "]}"...)), nil
}

// firstConflict returns services.storage.too_many_changes for the first
// document a by-query delete could not delete because it kept changing,
// nil when there is none (documents deleted meanwhile are not failures).
func firstConflict(failed []written) error {
	for _, w := range failed {
		if !isNotFound(w.res.Err) {
			return kerror.New("services.storage.too_many_changes", w.res.ID)
		}
	}
	return nil
}

func (c *controllers) documentUpdateByQuery(ctx context.Context, req *api.Request) (any, error) {
	index, collection, q, source, err := c.byQueryArgs(ctx, req, true)
	if err != nil {
		return nil, err
	}
	raw, err := bodyObject(req, "changes", true)
	if err != nil {
		return nil, err
	}
	changes, err := withoutKuzzleInfo(raw)
	if err != nil {
		return nil, err
	}
	user := kuid(ctx)
	done, failed, err := c.writeMatching(ctx, index, collection, q, c.Limits.WriteCount,
		func(store.Hit) store.Op { return store.Op{Kind: store.OpUpdate, Body: changes, User: user} })
	if err != nil {
		return nil, err
	}
	fields := appendStrings(nil, updatedFields(raw, nil, ""))
	notes := make([]Change, len(done))
	out := []byte(`{"errors":`)
	out = appendUpdateErrors(out, failed, changes)
	out = append(out, `,"successes":[`...)
	for i, w := range done {
		result := append(appendIDSource(nil, w.res.ID, w.res.Source, true), `,"_updatedFields":`...)
		notes[i] = Change{Action: "update", ID: w.res.ID, Source: w.res.Source, Previous: w.res.Previous, Result: append(append(result, fields...), '}')}
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendInt(append(appendIDSource(out, w.res.ID, w.res.Source, source), `,"_version":`...), w.res.Version, 10)
		out = append(out, `,"status":200}`...)
	}
	c.notify(req, index, collection, notes)
	return jsonx.RawMessage(append(out, "]}"...)), nil
}

// appendUpdateErrors appends the errors array of updateByQuery, in the
// shapes of Kuzzle's mUpdate: {document: {_id, body}, reason: "document
// not found", status: 404} for a document deleted meanwhile, else
// {document: {_id, _source}, reason, status}.
func appendUpdateErrors(dst []byte, failed []written, changes jsonx.RawMessage) []byte {
	dst = append(dst, '[')
	for i, w := range failed {
		if i > 0 {
			dst = append(dst, ',')
		}
		reason, status := w.res.Err.Error(), 500
		var kerr *kerror.Error
		if errors.As(w.res.Err, &kerr) {
			reason, status = kerr.Message, kerr.Status
		}
		key := `,"_source":`
		switch {
		case isNotFound(w.res.Err):
			key, reason = `,"body":`, "document not found"
		case isConflict(w.res.Err):
			status = 409
		}
		dst = jsonx.AppendString(append(dst, `{"document":{"_id":`...), w.res.ID)
		dst = append(append(append(dst, key...), changes...), `},"reason":`...)
		dst = jsonx.AppendString(dst, reason)
		dst = strconv.AppendInt(append(dst, `,"status":`...), int64(status), 10)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// withoutKuzzleInfo returns an update's changes without their
// _kuzzle_info, which clients may not write.
func withoutKuzzleInfo(raw jsonx.RawMessage) (jsonx.RawMessage, error) {
	var changes map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(raw, &changes); err != nil {
		return nil, kerror.New("api.assert.invalid_type", "body.changes", "object")
	}
	if _, ok := changes["_kuzzle_info"]; !ok {
		return raw, nil
	}
	delete(changes, "_kuzzle_info")
	out, err := jsonx.Marshal(changes)
	if err != nil {
		return nil, kerror.New("api.assert.invalid_type", "body.changes", "object")
	}
	return out, nil
}

// appendStrings appends a JSON array of strings.
func appendStrings(dst []byte, list []string) []byte {
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonx.AppendString(dst, s)
	}
	return append(dst, ']')
}
