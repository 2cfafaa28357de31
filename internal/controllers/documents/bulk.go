package documents

import (
	"context"
	"fmt"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
)

// bulk is Kuzzle's bulk controller: import (Elasticsearch's bulk format);
// write and mWrite, which write documents as given, without metadata nor
// validation, and notify only when asked; and the by-query actions
// (bulk_byquery.go).
func (c *controllers) bulk() api.Controller {
	return api.Controller{Name: "bulk", Actions: map[string]api.Action{
		"deleteByQuery": c.bulkDeleteByQuery,
		"import":        c.bulkImport,
		"mWrite":        c.bulkMWrite,
		"updateByQuery": c.bulkUpdateByQuery,
		"write":         c.bulkWrite,
	}}
}

func (c *controllers) bulkWrite(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	id, _, kerr := req.String("_id")
	if kerr != nil {
		return nil, kerr
	}
	raw, kerr := req.BodyObject()
	if kerr != nil {
		return nil, kerr
	}
	notify, kerr := req.Boolean("notify")
	if kerr != nil {
		return nil, kerr
	}
	body, err := decodeBody(raw, "body")
	if err != nil {
		return nil, err
	}
	if err := noRouting(body); err != nil {
		return nil, err
	}
	op := store.Op{Kind: store.OpCreateOrReplace, ID: id, Body: raw, NoMeta: true}
	if id == "" {
		op.Kind = store.OpCreate
	}
	res, err := c.writeOne(ctx, index, collection, op)
	if err != nil {
		return nil, err
	}
	if notify {
		result := mustJSON(docAnswer{ID: res.ID, Source: res.Source, Version: res.Version, Created: &res.Created})
		c.announce(req, index, collection, []Change{writeChange(res, result)})
	}
	return jsonx.RawMessage(appendDocument(nil, res.ID, res.Source, res.Version)), nil
}

// announce sends notifications a request asked for with notify, which
// silent does not suppress.
func (c *controllers) announce(req *api.Request, index, collection string, changes []Change) {
	if c.Notifier != nil && len(changes) > 0 {
		c.Notifier.NotifyDocuments(req, index, collection, changes)
	}
}

func (c *controllers) bulkMWrite(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	docs, err := bodyArray(req, "documents")
	if err != nil {
		return nil, err
	}
	strict, kerr := req.Boolean("strict")
	if kerr != nil {
		return nil, kerr
	}
	notify, kerr := req.Boolean("notify")
	if kerr != nil {
		return nil, kerr
	}
	opts := mOptions{method: "mCreateOrReplace", source: true, silent: true}
	res, changes, err := c.mWrite(ctx, req, index, collection, docs, opts)
	if err != nil {
		return nil, err
	}
	if strict && len(res.Errors) > 0 {
		return nil, kerror.NewPartial("api.process.incomplete_multiple_request", res.Errors, "write")
	}
	if notify {
		c.announce(req, index, collection, changes)
	}
	for i, s := range res.Successes {
		it := s.(item)
		res.Successes[i] = jsonx.RawMessage(appendDocument(nil, it.ID, it.Source, it.Version))
	}
	return res, nil
}

// importAction is one action of a bulk import.
type importAction struct {
	name string // index, create, update or delete
	op   store.Op
	// shown is the payload as errors show it, without metadata; nil for
	// delete.
	shown any
}

func (c *controllers) bulkImport(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	strict, kerr := req.Boolean("strict")
	if kerr != nil {
		return nil, kerr
	}
	lines, err := bodyArray(req, "bulkData")
	if err != nil {
		return nil, err
	}
	actions, err := parseBulk(lines, kuid(ctx), nowMillis())
	if err != nil {
		return nil, err
	}
	ops := make([]store.Op, len(actions))
	for i := range actions {
		ops[i] = actions[i].op
	}
	results, err := c.Store.Write(ctx, index, collection, ops)
	if err != nil {
		return nil, err
	}
	versions, err := c.conflictVersions(ctx, index, collection, results)
	if err != nil {
		return nil, err
	}
	out := multiResult{Errors: []any{}, Successes: []any{}}
	for i, res := range results {
		a := &actions[i]
		if res.Err != nil {
			out.Errors = append(out.Errors, map[string]any{a.name: bulkFailure(a, res, versions[i])})
			continue
		}
		status := 200
		if res.Created {
			status = 201
		}
		out.Successes = append(out.Successes, map[string]any{a.name: bulkStatus{ID: res.ID, Status: status}})
	}
	if strict && len(out.Errors) > 0 {
		return nil, kerror.NewPartial("api.process.incomplete_multiple_request", out.Errors, "import")
	}
	return out, nil
}

// bulkStatus is one action's outcome in a bulk import's answer.
type bulkStatus struct {
	ID     string   `json:"_id"`
	Status int      `json:"status"`
	Source any      `json:"_source,omitempty"`
	Error  *esError `json:"error,omitempty"`
}

// esError is Elasticsearch's error of a bulk item.
type esError struct {
	Reason string `json:"reason"`
	Type   string `json:"type"`
}

// bulkFailure is a failed import action, as Elasticsearch reports it.
func bulkFailure(a *importAction, res store.Result, version int64) bulkStatus {
	out := bulkStatus{ID: res.ID, Source: a.shown}
	switch {
	case a.name == "delete" && isKuzzleError(res.Err, "services.storage.not_found"):
		out.Status = 404
	case isKuzzleError(res.Err, "services.storage.not_found"):
		out.Status = 404
		out.Error = &esError{fmt.Sprintf("[_doc][%s]: document missing", res.ID), "document_missing_exception"}
	case isKuzzleError(res.Err, "services.storage.document_already_exists"):
		out.Status = 409
		out.Error = &esError{fmt.Sprintf("[%s]: version conflict, document already exists (current version [%d])", res.ID, version),
			"version_conflict_engine_exception"}
	default:
		status, reason, typ := esFailure(res.Err)
		out.Status, out.Error = status, &esError{reason, typ}
	}
	return out
}

// isKuzzleError reports whether err is the Kuzzle error id.
func isKuzzleError(err error, id string) bool {
	kerr, ok := err.(*kerror.Error)
	return ok && kerr.ID == id
}

// conflictVersions returns, by result index, the version each create
// found already there, for Elasticsearch's conflict message: the version
// the batch's earlier ops left, else the one its next op on the document
// changed, else the stored one.
func (c *controllers) conflictVersions(ctx context.Context, index, collection string, results []store.Result) (map[int]int64, error) {
	versions := map[int]int64{}
	var unknown []int
	for i, res := range results {
		if !isKuzzleError(res.Err, "services.storage.document_already_exists") {
			continue
		}
		if v, ok := batchVersion(results, i); ok {
			versions[i] = v
		} else {
			unknown = append(unknown, i)
		}
	}
	if len(unknown) == 0 {
		return versions, nil
	}
	ids := make([]string, len(unknown))
	for j, i := range unknown {
		ids[j] = results[i].ID
	}
	docs, err := c.Store.Get(ctx, index, collection, ids)
	if err != nil {
		return nil, err
	}
	for j, i := range unknown {
		versions[i] = docs[j].Version
	}
	return versions, nil
}

// batchVersion is the version of results[i]'s document when its op ran,
// as the other ops of the batch tell it.
func batchVersion(results []store.Result, i int) (int64, bool) {
	id := results[i].ID
	for j := i - 1; j >= 0; j-- {
		if results[j].ID == id && results[j].Err == nil {
			return results[j].Version, true
		}
	}
	for j := i + 1; j < len(results); j++ {
		if results[j].ID == id && results[j].Err == nil {
			return results[j].Version - 1, true
		}
	}
	return 0, false
}

// parseBulk reads Elasticsearch's bulk lines: an action line, then (but
// for delete) its document; Kuzzle adds its metadata to every document.
func parseBulk(lines []jsonx.RawMessage, user string, now int64) ([]importAction, error) {
	if err := scriptCheck(lines); err != nil {
		return nil, err
	}
	var actions []importAction
	for i := 0; i < len(lines); i++ {
		ms := members(lines[i])
		if len(ms) == 0 {
			return nil, malformed(i, "")
		}
		var meta struct {
			ID string `json:"_id"`
		}
		if jsonx.Unmarshal(ms[0].value, &meta) != nil {
			return nil, malformed(i, ms[0].key)
		}
		a := importAction{name: ms[0].key, op: store.Op{ID: meta.ID, NoMeta: true}}
		if a.name == "delete" {
			if meta.ID == "" {
				return nil, kerror.New("services.storage.unexpected_bad_request", "Validation Failed: 1: id is missing;")
			}
			a.op.Kind = store.OpDelete
			actions = append(actions, a)
			continue
		}
		if a.name != "index" && a.name != "create" && a.name != "update" {
			return nil, malformed(i, a.name)
		}
		i++
		var doc map[string]any
		if i >= len(lines) || jsonx.Unmarshal(lines[i], &doc) != nil || doc == nil {
			return nil, kerror.New("services.storage.unexpected_bad_request", "The bulk request must be terminated by a newline [\\n]")
		}
		if err := a.payload(doc, user, now); err != nil {
			return nil, err
		}
		actions = append(actions, a)
	}
	return actions, nil
}

// malformed is Elasticsearch's error for a bad action line.
func malformed(line int, found string) error {
	return kerror.New("services.storage.unexpected_bad_request", fmt.Sprintf(
		"Malformed action/metadata line [%d], expected field [create], [delete], [index] or [update] but found [%s]", line+1, found))
}

// payload sets the op of an index, create or update action from its
// document line.
func (a *importAction) payload(doc map[string]any, user string, now int64) error {
	if a.name != "update" {
		a.shown = withoutInfo(doc)
		a.op.Kind, a.op.Body = store.OpCreateOrReplace, mustJSON(withInfo(doc, createdInfo(user, now)))
		if a.name == "create" || a.op.ID == "" {
			a.op.Kind = store.OpCreate
		}
		return nil
	}
	if a.op.ID == "" {
		return kerror.New("services.storage.unexpected_bad_request", "Validation Failed: 1: id is missing;")
	}
	changes, ok := doc["doc"].(map[string]any)
	if !ok {
		return kerror.New("services.storage.unexpected_bad_request", "Validation Failed: 1: script or doc is missing;")
	}
	a.shown = withoutInfo(changes)
	a.op.Kind, a.op.Body = store.OpUpdate, mustJSON(withInfo(changes, updatedInfo(user, now)))
	if upsert, ok := doc["upsert"].(map[string]any); ok {
		a.op.Kind, a.op.Upsert = store.OpUpsert, mustJSON(withInfo(upsert, updatedInfo(user, now)))
	} else if doc["doc_as_upsert"] == true {
		a.op.Kind, a.op.Upsert = store.OpUpsert, a.op.Body
	}
	return nil
}

// scriptCheck is Kuzzle's _scriptCheck: a script may only name a stored
// script and its parameters.
func scriptCheck(lines []jsonx.RawMessage) error {
	var walk func(v any) error
	walk = func(v any) error {
		switch v := v.(type) {
		case map[string]any:
			for k, sub := range v {
				if k == "script" || k == "_script" {
					if args, ok := sub.(map[string]any); ok {
						for arg := range args {
							if arg != "id" && arg != "params" {
								return kerror.New("services.storage.invalid_query_keyword", k+"."+arg)
							}
						}
					}
					continue
				}
				if err := walk(sub); err != nil {
					return err
				}
			}
		case []any:
			for _, sub := range v {
				if err := walk(sub); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, line := range lines {
		var v any
		if jsonx.Unmarshal(line, &v) == nil {
			if err := walk(v); err != nil {
				return err
			}
		}
	}
	return nil
}
