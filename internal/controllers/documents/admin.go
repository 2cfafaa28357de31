package documents

import (
	"context"
	"errors"
	"slices"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// acknowledge is the result of Kuzzle's admin actions (sic: not
// "acknowledged").
const acknowledge api.Compact = `{"acknowledge":true}`

// admin is Kuzzle 2.56's admin controller.
//
//   - resetDatabase deletes every public index, with its collections,
//     documents and specifications; api.process.action_locked while
//     another reset runs.
//   - loadMappings creates the indexes and collections of a
//     {index: {collection: mappings}} body (or updates their mappings);
//     loadFixtures imports {index: {collection: [bulk lines]}} into
//     existing collections (create, index, update and delete lines), without
//     specifications or notifications, as Kuzzle's import does, and fails
//     with services.storage.import_failed listing the lines refused.
//   - refreshIndexCache does nothing: the store's catalogue is the only
//     one, there is no cache to refresh.
//   - resetCache checks its database argument ("internalCache" or
//     "memoryStorage", services.cache.database_not_found otherwise) and
//     answers {acknowledge: true}: Starling has no Redis, so no cache to
//     flush.
//   - dump answers {acknowledge: true} and logs that Starling writes no
//     diagnostic dump (Kuzzle's dump copies Node.js reports, a core dump
//     and Redis and Elasticsearch information, none of which exist here).
//   - shutdown is refused with security.rights.unauthorized; resetSecurity
//     and loadSecurities too, until the node replaces them with the
//     security controller's (internal/controllers/security.AdminActions).
func (c *controllers) admin() api.Controller {
	return api.Controller{Name: "admin", Actions: map[string]api.Action{
		"dump":              c.adminDump,
		"loadFixtures":      c.adminLoadFixtures,
		"loadMappings":      c.adminLoadMappings,
		"loadSecurities":    adminNeedsAdministrator,
		"refreshIndexCache": adminRefreshIndexCache,
		"resetCache":        adminResetCache,
		"resetDatabase":     c.adminResetDatabase,
		"resetSecurity":     adminNeedsAdministrator,
		"shutdown":          adminNeedsAdministrator,
	}}
}

// adminNeedsAdministrator refuses an action only an authenticated
// administrator may run.
func adminNeedsAdministrator(_ context.Context, req *api.Request) (any, error) {
	return nil, kerror.New("security.rights.unauthorized", req.Controller, req.Action)
}

func adminRefreshIndexCache(context.Context, *api.Request) (any, error) { return nil, nil }

func adminResetCache(_ context.Context, req *api.Request) (any, error) {
	database, ok, kerr := req.String("database")
	if kerr != nil {
		return nil, kerr
	}
	if !ok {
		return nil, kerror.New("api.assert.missing_argument", "database")
	}
	if database != "internalCache" && database != "memoryStorage" {
		return nil, kerror.New("services.cache.database_not_found", database)
	}
	return acknowledge, nil
}

func (c *controllers) adminDump(context.Context, *api.Request) (any, error) {
	c.Logger.Warn("admin:dump: Starling writes no diagnostic dump")
	return acknowledge, nil
}

func (c *controllers) adminResetDatabase(ctx context.Context, _ *api.Request) (any, error) {
	if !c.resetting.CompareAndSwap(false, true) {
		return nil, kerror.New("api.process.action_locked", "Kuzzle is already reseting all indexes.")
	}
	defer c.resetting.Store(false)
	indexes, err := c.publicIndexes(ctx)
	if err != nil {
		return nil, err
	}
	deleted, err := c.Store.DeleteIndexes(ctx, indexes)
	if err != nil {
		return nil, err
	}
	for _, index := range deleted {
		if err := c.dropIndexSpecifications(ctx, index); err != nil {
			return nil, err
		}
	}
	return acknowledge, nil
}

// adminBody decodes a {index: {collection: value}} body; every index must
// hold an object (api.assert.invalid_argument otherwise).
func adminBody(req *api.Request) (map[string]map[string]jsonx.RawMessage, error) {
	body, kerr := req.BodyObject()
	if kerr != nil {
		return nil, kerr
	}
	var indexes map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(body, &indexes); err != nil {
		return nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	out := make(map[string]map[string]jsonx.RawMessage, len(indexes))
	for index, raw := range indexes {
		var collections map[string]jsonx.RawMessage
		if len(raw) == 0 || raw[0] != '{' || jsonx.Unmarshal(raw, &collections) != nil {
			return nil, kerror.New("api.assert.invalid_argument", string(raw), "object")
		}
		out[index] = collections
	}
	return out, nil
}

// sortedNames returns the keys of m, sorted, so that loads run in a stable
// order.
func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func (c *controllers) adminLoadMappings(ctx context.Context, req *api.Request) (any, error) {
	body, err := adminBody(req)
	if err != nil {
		return nil, err
	}
	for _, index := range sortedNames(body) {
		if !validName(index) {
			return nil, kerror.New("services.storage.invalid_index_name", index)
		}
		for _, collection := range sortedNames(body[index]) {
			if err := c.loadMapping(ctx, index, collection, body[index][collection]); err != nil {
				return nil, err
			}
		}
	}
	return acknowledge, nil
}

// loadMapping creates a collection with mappings, or merges them into the
// existing collection's.
func (c *controllers) loadMapping(ctx context.Context, index, collection string, raw jsonx.RawMessage) error {
	if collection == hiddenCollection {
		return kerror.New("services.storage.collection_reserved", hiddenCollection)
	}
	if !validName(collection) {
		return kerror.New("services.storage.invalid_collection_name", collection)
	}
	m, err := mapping.Parse(raw)
	if err != nil {
		return err
	}
	exists, err := c.Store.HasCollection(ctx, index, collection)
	if err != nil {
		return err
	}
	if exists {
		return c.updateCollection(ctx, index, collection, m, nil)
	}
	return c.Store.CreateCollection(ctx, index, collection, m, nil)
}

func (c *controllers) adminLoadFixtures(ctx context.Context, req *api.Request) (any, error) {
	body, err := adminBody(req)
	if err != nil {
		return nil, err
	}
	for _, index := range sortedNames(body) {
		for _, collection := range sortedNames(body[index]) {
			if internal(index) {
				return nil, kerror.New("services.storage.unknown_index", index)
			}
			if _, err := c.Store.Mapping(ctx, index, collection); err != nil {
				return nil, err
			}
			if err := c.importFixtures(ctx, index, collection, body[index][collection]); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// bulkAction is the action line of an Elasticsearch bulk body.
type bulkAction struct {
	Create *bulkTarget `json:"create"`
	Index  *bulkTarget `json:"index"`
	Update *bulkTarget `json:"update"`
	Delete *bulkTarget `json:"delete"`
}

// bulkTarget names the document of a bulk action line.
type bulkTarget struct {
	ID string `json:"_id"`
}

// importFixtures writes one collection's bulk lines.
func (c *controllers) importFixtures(ctx context.Context, index, collection string, raw jsonx.RawMessage) error {
	var lines []jsonx.RawMessage
	if err := jsonx.Unmarshal(raw, &lines); err != nil {
		return kerror.New("api.assert.invalid_type", "body."+index+"."+collection, "array")
	}
	ops, err := bulkOps(lines)
	if err != nil {
		return err
	}
	results, err := c.Store.Write(ctx, index, collection, ops)
	if err != nil {
		return err
	}
	var failed []any
	for i, r := range results {
		if r.Err == nil {
			continue
		}
		item := map[string]any{"_id": ops[i].ID, "status": 500, "error": map[string]any{"message": r.Err.Error()}}
		var kerr *kerror.Error
		if errors.As(r.Err, &kerr) {
			item["status"], item["error"] = kerr.Status, map[string]any{"id": kerr.ID, "message": kerr.Message}
		}
		failed = append(failed, item)
	}
	if failed != nil {
		return kerror.NewPartial("services.storage.import_failed", failed)
	}
	return nil
}

// bulkOps turns bulk lines (an action line, then a document line but for
// delete) into store ops.
func bulkOps(lines []jsonx.RawMessage) ([]store.Op, error) {
	bad := func() error { return kerror.New("api.assert.invalid_argument", "body", "bulk lines") }
	var ops []store.Op
	for i := 0; i < len(lines); i++ {
		var a bulkAction
		if err := jsonx.Unmarshal(lines[i], &a); err != nil {
			return nil, bad()
		}
		if a.Delete != nil {
			ops = append(ops, store.Op{Kind: store.OpDelete, ID: a.Delete.ID})
			continue
		}
		if i+1 >= len(lines) || len(lines[i+1]) == 0 || lines[i+1][0] != '{' {
			return nil, bad()
		}
		doc := lines[i+1]
		i++
		switch {
		case a.Create != nil:
			ops = append(ops, store.Op{Kind: store.OpCreate, ID: a.Create.ID, Body: doc})
		case a.Index != nil && a.Index.ID == "":
			ops = append(ops, store.Op{Kind: store.OpCreate, Body: doc})
		case a.Index != nil:
			ops = append(ops, store.Op{Kind: store.OpCreateOrReplace, ID: a.Index.ID, Body: doc})
		case a.Update != nil:
			var u struct {
				Doc jsonx.RawMessage `json:"doc"`
			}
			if jsonx.Unmarshal(doc, &u) != nil || len(u.Doc) == 0 || u.Doc[0] != '{' {
				return nil, bad()
			}
			ops = append(ops, store.Op{Kind: store.OpUpdate, ID: a.Update.ID, Body: u.Doc})
		default:
			return nil, bad()
		}
	}
	return ops, nil
}
