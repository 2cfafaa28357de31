package security

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
)

// searchArgs page a search.
type searchArgs struct {
	from, size int
	scroll     time.Duration
}

// pageSize is Kuzzle's _getSearchPageSize: the size argument, by default
// the fetch limit, which it may not exceed
// (services.storage.get_limit_exceeded).
func (c *controller) pageSize(req *api.Request) (int, error) {
	size, kerr := req.Integer("size", api.Int(c.Config.FetchCount))
	if kerr != nil {
		return 0, kerr
	}
	if size > c.Config.FetchCount {
		return 0, kerror.New("services.storage.get_limit_exceeded")
	}
	return size, nil
}

// searchParams is pageSize then Kuzzle's getSearchParams: from (default
// 0), scroll (a string), body.query (an object when given).
func (c *controller) searchParams(req *api.Request) (searchArgs, error) {
	var a searchArgs
	var err error
	if a.size, err = c.pageSize(req); err != nil {
		return a, err
	}
	var kerr *kerror.Error
	if a.from, kerr = req.Integer("from", api.Int(0)); kerr != nil {
		return a, kerr
	}
	if a.scroll, err = c.scrollArg(req); err != nil {
		return a, err
	}
	if _, kerr = bodyObjectOr(req, "query", nil); kerr != nil {
		return a, kerr
	}
	return a, nil
}

// scrollArg reads the scroll argument, at most the configured maximum.
func (c *controller) scrollArg(req *api.Request) (time.Duration, error) {
	ttl, _, kerr := req.Scroll(c.Config.MaxScrollTTL)
	if kerr != nil {
		return 0, kerr
	}
	return ttl, nil
}

// truthy is JavaScript's truthiness of a raw JSON value (absent: false).
func truthy(raw jsonx.RawMessage) bool {
	switch string(raw) {
	case "", "null", "false", "0", "-0", `""`:
		return false
	}
	return true
}

// searchBody is Kuzzle's getBody({}): the body, {} without one.
func searchBody(req *api.Request) jsonx.RawMessage {
	if req.Body == nil {
		return jsonx.RawMessage("{}")
	}
	return req.Body
}

// searchSpec is one search of a security collection.
type searchSpec struct {
	collection string
	body       jsonx.RawMessage
	lang       string
	args       searchArgs
	// extend changes each hit's source before it is serialized (nil: as
	// stored).
	extend func(jsonx.RawMessage) (jsonx.RawMessage, error)
	// aggregations answers the search's aggregations.
	aggregations bool
}

// search runs a search and answers Kuzzle's formatted search result:
// {aggregations, hits, scrollId, total}, without aggregations and
// scrollId when there are none.
func (c *controller) search(ctx context.Context, spec searchSpec) (any, error) {
	m, err := c.Store.Mapping(ctx, repository.Index, spec.collection)
	if err != nil {
		return nil, err
	}
	s, err := query.ParseSearch(spec.body, spec.lang, m)
	if err != nil {
		return nil, err
	}
	s.From, s.Size, s.Scroll = spec.args.from, spec.args.size, spec.args.scroll
	res, err := c.Store.Search(ctx, repository.Index, spec.collection, s)
	if err != nil {
		return nil, err
	}
	out := []byte{'{'}
	if spec.aggregations && res.Aggregations != nil {
		aggs, err := jsonx.Marshal(res.Aggregations)
		if err != nil {
			return nil, kerror.New("services.storage.unexpected_error", "aggregations: "+err.Error())
		}
		out = append(append(out, `"aggregations":`...), aggs...)
		out = append(out, ',')
	}
	out = append(out, `"hits":[`...)
	for i, hit := range res.Hits {
		if i > 0 {
			out = append(out, ',')
		}
		source := hit.Source
		if spec.extend != nil {
			if source, err = spec.extend(source); err != nil {
				return nil, err
			}
		}
		out = append(out, serialized(hit.ID, source)...)
	}
	out = append(out, ']')
	if res.ScrollID != "" {
		out = jsonx.AppendString(append(out, `,"scrollId":`...), res.ScrollID)
	}
	out = strconv.AppendInt(append(out, `,"total":`...), int64(res.Total), 10)
	return jsonx.RawMessage(append(out, '}')), nil
}

// hitsTotal is {hits, total}.
func hitsTotal(hits []jsonx.RawMessage, total int) jsonx.RawMessage {
	out := hitsResult(hits)
	out = append(out[:len(out)-1], `,"total":`...)
	out = strconv.AppendInt(out, int64(total), 10)
	return append(out, '}')
}

// mappingGetter is get{Role,Profile,User}Mapping: {mapping: properties},
// without _kuzzle_info.
func (c *controller) mappingGetter(collection string) api.Action {
	return func(ctx context.Context, _ *api.Request) (any, error) {
		m, err := c.Store.Mapping(ctx, repository.Index, collection)
		if err != nil {
			return nil, err
		}
		props, err := jsonx.Marshal(m.WithoutKuzzleMeta().Properties)
		if err != nil {
			return nil, err
		}
		return jsonx.RawMessage(append(append([]byte(`{"mapping":`), props...), '}')), nil
	}
}

// mappingUpdater is update{Role,Profile,User}Mapping: the body's mappings
// merged into the collection's, answered whole ({_meta, dynamic,
// properties}, _kuzzle_info included).
func (c *controller) mappingUpdater(collection string) api.Action {
	return func(ctx context.Context, req *api.Request) (any, error) {
		raw, kerr := body(req)
		if kerr != nil {
			return nil, kerr
		}
		m, err := mapping.Parse(raw)
		if err != nil {
			return nil, err
		}
		merged, err := c.Store.UpdateMapping(ctx, repository.Index, collection, m)
		if err != nil {
			return nil, err
		}
		out := merged.Clone()
		out.DynamicTemplates = nil
		return jsonx.RawMessage(out.AppendJSON(nil)), nil
	}
}

// refresh accepts a security collection and changes nothing: searches see
// writes at once.
func (c *controller) refresh(_ context.Context, req *api.Request) (any, error) {
	raw := req.Arg("collection")
	if !truthy(raw) {
		return nil, kerror.New("api.assert.missing_argument", "collection")
	}
	collection := strings.Trim(string(raw), `"`)
	securityCollections := []string{repository.Users, repository.Profiles, repository.Roles}
	for _, name := range securityCollections {
		if collection == name {
			return nil, nil
		}
	}
	return nil, kerror.New("api.assert.unexpected_argument", collection, strings.Join(securityCollections, ","))
}
