package documents

import (
	"bytes"
	"context"
	"slices"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// hiddenCollection is the collection name Kuzzle reserves to keep empty
// indexes alive in Elasticsearch.
const hiddenCollection = "_kuzzle_keep"

// acknowledged is the result of the actions that only say they were done.
const acknowledged api.Compact = `{"acknowledged":true}`

// collection is Kuzzle's collection controller.
//
// create makes the index too when it is missing, as Kuzzle 2 does (an
// index exists while one of its collections does), and on an existing
// collection updates its mappings and settings.
//
// Differences from Kuzzle: refresh is accepted and does nothing, documents
// being searchable once their write is acknowledged; getSettings returns
// the settings as given at creation or update (merged as Elasticsearch
// merges them), without the index settings Elasticsearch adds
// (creation_date, uuid, number_of_shards, ...); list reports realtime
// collections only when Deps.RealtimeCollections is set.
func (c *controllers) collection() api.Controller {
	return api.Controller{Name: "collection", Actions: map[string]api.Action{
		"create":        c.collectionCreate,
		"delete":        c.collectionDelete,
		"exists":        c.collectionExists,
		"getMapping":    c.collectionGetMapping,
		"getSettings":   c.collectionGetSettings,
		"list":          c.collectionList,
		"refresh":       c.collectionRefresh,
		"truncate":      c.collectionTruncate,
		"update":        c.collectionUpdate,
		"updateMapping": c.collectionUpdateMapping,

		"deleteSpecifications":   c.deleteSpecifications,
		"getSpecifications":      c.getSpecifications,
		"scrollSpecifications":   c.scrollSpecifications,
		"searchSpecifications":   c.searchSpecifications,
		"updateSpecifications":   c.updateSpecifications,
		"validateSpecifications": c.validateSpecifications,
	}}
}

// collectionConfig is the {mappings, settings} body of collection:create
// and collection:update.
type collectionConfig struct {
	Mappings jsonx.RawMessage `json:"mappings"`
	Settings jsonx.RawMessage `json:"settings"`
}

// parseConfig reads a {mappings, settings} body; with legacy set, a body
// holding properties, dynamic or _meta is the mappings themselves, as
// collection:create accepts since Kuzzle 2.1.
func parseConfig(body jsonx.RawMessage, legacy bool) (*mapping.Mappings, jsonx.RawMessage, error) {
	if body == nil {
		return &mapping.Mappings{}, nil, nil
	}
	if body[0] != '{' {
		return nil, nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	var fields map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(body, &fields); err != nil {
		return nil, nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	var cfg collectionConfig
	if legacy && (truthy(fields["properties"]) || truthy(fields["dynamic"]) || truthy(fields["_meta"])) {
		cfg.Mappings = body
	} else {
		cfg.Mappings, cfg.Settings = fields["mappings"], fields["settings"]
	}
	m, err := mapping.Parse(cfg.Mappings)
	if err != nil {
		return nil, nil, err
	}
	settings := bytes.TrimSpace(cfg.Settings)
	if len(settings) == 0 || string(settings) == "null" {
		return m, nil, nil
	}
	if settings[0] != '{' {
		return nil, nil, kerror.New("api.assert.invalid_type", "body.settings", "object")
	}
	return m, settings, nil
}

// truthy is JavaScript's truthiness of a raw JSON value.
func truthy(raw jsonx.RawMessage) bool {
	switch string(bytes.TrimSpace(raw)) {
	case "", "null", "false", "0", `""`, "-0":
		return false
	}
	return true
}

// emptyMappings reports whether m changes nothing (Kuzzle's _.isEmpty on
// the mappings object).
func emptyMappings(m *mapping.Mappings) bool {
	return m.Dynamic == "" && m.Meta == nil && len(m.Properties) == 0 && m.DynamicTemplates == nil
}

// emptyObject reports whether raw is nil or {}.
func emptyObject(raw jsonx.RawMessage) bool {
	var o map[string]jsonx.RawMessage
	return raw == nil || (jsonx.Unmarshal(raw, &o) == nil && len(o) == 0)
}

// createTarget returns the index and collection a collection:create
// names, checked as Elasticsearch names.
func createTarget(req *api.Request) (string, string, error) {
	index, collection, kerr := req.IndexAndCollection()
	if kerr != nil {
		return "", "", kerr
	}
	if !validName(index) {
		return "", "", kerror.New("services.storage.invalid_index_name", index)
	}
	if collection == hiddenCollection {
		return "", "", kerror.New("services.storage.collection_reserved", hiddenCollection)
	}
	if !validName(collection) {
		return "", "", kerror.New("services.storage.invalid_collection_name", collection)
	}
	return index, collection, nil
}

func (c *controllers) collectionCreate(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := createTarget(req)
	if err != nil {
		return nil, err
	}
	m, settings, err := parseConfig(req.Body, true)
	if err != nil {
		return nil, err
	}
	exists, err := c.Store.HasCollection(ctx, index, collection)
	if err != nil {
		return nil, err
	}
	if exists {
		err = c.updateCollection(ctx, index, collection, m, settings)
	} else {
		err = c.Store.CreateCollection(ctx, index, collection, m, settings)
	}
	if err != nil {
		return nil, err
	}
	return acknowledged, nil
}

// updateCollection applies new settings (merged into the old ones) then
// new mappings (merged too) to an existing collection; empty ones change
// nothing. When the mappings are refused, the old settings are restored,
// as Kuzzle does.
func (c *controllers) updateCollection(ctx context.Context, index, collection string, m *mapping.Mappings, settings jsonx.RawMessage) error {
	old, err := c.Store.Settings(ctx, index, collection)
	if err != nil {
		return err
	}
	if !emptyObject(settings) {
		merged, err := mergeSettings(old, settings)
		if err != nil {
			return err
		}
		if err := c.Store.UpdateSettings(ctx, index, collection, merged); err != nil {
			return err
		}
	}
	if emptyMappings(m) {
		return nil
	}
	if _, err := c.Store.UpdateMapping(ctx, index, collection, m); err != nil {
		if !emptyObject(settings) {
			_ = c.Store.UpdateSettings(ctx, index, collection, old)
		}
		return err
	}
	return nil
}

// mergeSettings deep-merges update into old, as Elasticsearch's
// put-settings keeps the settings it is not given.
func mergeSettings(old, update jsonx.RawMessage) (jsonx.RawMessage, error) {
	var dst, src map[string]any
	if len(old) > 0 {
		if err := jsonx.Unmarshal(old, &dst); err != nil {
			return nil, kerror.New("core.fatal.unexpected_error", "stored settings: "+err.Error())
		}
	}
	if err := jsonx.Unmarshal(update, &src); err != nil {
		return nil, kerror.New("api.assert.invalid_type", "body.settings", "object")
	}
	if dst == nil {
		dst = map[string]any{}
	}
	deepMerge(dst, src)
	return jsonx.Marshal(dst)
}

func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		sub, ok := v.(map[string]any)
		if prev, isObj := dst[k].(map[string]any); ok && isObj {
			deepMerge(prev, sub)
			continue
		}
		dst[k] = v
	}
}

func (c *controllers) collectionUpdate(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	m, settings, err := parseConfig(req.Body, false)
	if err != nil {
		return nil, err
	}
	if err := c.updateCollection(ctx, index, collection, m, settings); err != nil {
		return nil, err
	}
	return nil, nil
}

func (c *controllers) collectionDelete(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	if err := c.Store.DeleteCollection(ctx, index, collection); err != nil {
		return nil, err
	}
	if err := c.dropSpecification(ctx, index, collection); err != nil {
		return nil, err
	}
	return nil, nil
}

func (c *controllers) collectionExists(ctx context.Context, req *api.Request) (any, error) {
	index, collection, kerr := req.IndexAndCollection()
	if kerr != nil {
		return nil, kerr
	}
	if internal(index) {
		return false, nil
	}
	return c.Store.HasCollection(ctx, index, collection)
}

func (c *controllers) collectionTruncate(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	if err := c.Store.Truncate(ctx, index, collection); err != nil {
		return nil, err
	}
	return acknowledged, nil
}

// collectionRefresh checks the collection exists; a write is searchable
// once acknowledged, so there is nothing to refresh.
func (c *controllers) collectionRefresh(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	if _, err := c.Store.Mapping(ctx, index, collection); err != nil {
		return nil, err
	}
	return nil, nil
}

func (c *controllers) collectionGetMapping(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	withMeta, kerr := req.Boolean("includeKuzzleMeta")
	if kerr != nil {
		return nil, kerr
	}
	m, err := c.Store.Mapping(ctx, index, collection)
	if err != nil {
		return nil, err
	}
	return jsonx.RawMessage(filterMappings(m, withMeta)), nil
}

// filterMappings returns {_meta, dynamic, properties} of m, without
// _kuzzle_info unless withMeta.
func filterMappings(m *mapping.Mappings, withMeta bool) []byte {
	var out *mapping.Mappings
	if withMeta {
		out = m.Clone()
	} else {
		out = m.WithoutKuzzleMeta()
	}
	out.DynamicTemplates = nil
	return out.AppendJSON(nil)
}

func (c *controllers) collectionUpdateMapping(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	body, kerr := req.BodyObject()
	if kerr != nil {
		return nil, kerr
	}
	m, err := mapping.Parse(body)
	if err != nil {
		return nil, err
	}
	merged, err := c.Store.UpdateMapping(ctx, index, collection, m)
	if err != nil {
		return nil, err
	}
	return jsonx.RawMessage(filterMappings(merged, true)), nil
}

func (c *controllers) collectionGetSettings(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	settings, err := c.Store.Settings(ctx, index, collection)
	if err != nil {
		return nil, err
	}
	if len(settings) == 0 {
		settings = jsonx.RawMessage(`{}`)
	}
	return settings, nil
}

// listedCollection is one entry of collection:list.
type listedCollection struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// collectionList is collection:list's result.
type collectionList struct {
	Collections []listedCollection `json:"collections"`
	Type        string             `json:"type"`
	From        *int               `json:"from,omitempty"`
	Size        *int               `json:"size,omitempty"`
}

func (c *controllers) collectionList(ctx context.Context, req *api.Request) (any, error) {
	index, err := indexArg(req)
	if err != nil {
		return nil, err
	}
	from, kerr := req.Integer("from", api.Int(0))
	if kerr != nil {
		return nil, kerr
	}
	size, kerr := req.Integer("size", api.Int(0))
	if kerr != nil {
		return nil, kerr
	}
	typ, kerr := req.StringOr("type", "all")
	if kerr != nil {
		return nil, kerr
	}
	if typ != "all" && typ != "stored" && typ != "realtime" {
		return nil, kerror.New("api.assert.invalid_argument", `"all", "stored", "realtime"`)
	}
	list := []listedCollection{}
	if typ != "stored" && c.RealtimeCollections != nil {
		names, err := c.RealtimeCollections(ctx, index)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			list = append(list, listedCollection{name, "realtime"})
		}
	}
	if typ != "realtime" {
		names, err := c.Store.ListCollections(ctx, index)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			list = append(list, listedCollection{name, "stored"})
		}
	}
	slices.SortStableFunc(list, func(a, b listedCollection) int { return compareStrings(a.Name, b.Name) })
	return paginate(collectionList{Collections: list, Type: typ}, from, size), nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// paginate applies from and size as Kuzzle's _paginateCollections does:
// only when either is set, and then from is reported.
func paginate(out collectionList, from, size int) collectionList {
	if from == 0 && size == 0 {
		return out
	}
	from = max(from, 0)
	out.From = &from
	start := min(from, len(out.Collections))
	end := len(out.Collections)
	if size != 0 {
		out.Size = &size
		end = min(max(start+size, start), end)
	}
	out.Collections = out.Collections[start:end]
	return out
}
