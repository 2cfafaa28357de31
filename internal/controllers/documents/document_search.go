package documents

import (
	"context"
	"strconv"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/query"
)

// searchArgs are Kuzzle's getSearchParams: from, size and scroll.
type searchArgs struct {
	from, size int
	// scroll is the scroll argument's duration, 0 without; scrollText is
	// the argument as given, for errors.
	scroll     time.Duration
	scrollText string
}

// searchParams reads from (default 0), size (default 10) and scroll.
func (c *controllers) searchParams(req *api.Request) (searchArgs, error) {
	var a searchArgs
	var kerr *kerror.Error
	if a.from, kerr = req.Integer("from", api.Int(0)); kerr != nil {
		return a, kerr
	}
	if a.size, kerr = req.Integer("size", api.Int(10)); kerr != nil {
		return a, kerr
	}
	if a.from < 0 {
		return a, kerror.New("services.storage.invalid_argument", "from", "a non-negative integer")
	}
	if a.size < 0 {
		return a, kerror.New("services.storage.invalid_argument", "size", "a non-negative integer")
	}
	if a.scroll, a.scrollText, kerr = req.Scroll(c.MaxScrollTTL); kerr != nil {
		return a, kerr
	}
	return a, nil
}

// assertFetch is Kuzzle's assertNotExceedMaxFetch.
func (c *controllers) assertFetch(asked int) error {
	if c.Limits.FetchCount > 0 && asked > c.Limits.FetchCount {
		return kerror.New("services.storage.get_limit_exceeded")
	}
	return nil
}

// searchBody is Kuzzle's getSearchBody: the body, or {} without one.
func searchBody(req *api.Request) jsonx.RawMessage {
	if req.Body == nil {
		return jsonx.RawMessage("{}")
	}
	return req.Body
}

// parseSearch parses a search body against a collection's mappings.
func (c *controllers) parseSearch(ctx context.Context, index, collection string, body jsonx.RawMessage, lang string) (*query.Search, error) {
	m, err := c.Store.Mapping(ctx, index, collection)
	if err != nil {
		return nil, err
	}
	return query.ParseSearch(body, lang, m)
}

// parseQuery parses a bare query against a collection's mappings.
func (c *controllers) parseQuery(ctx context.Context, index, collection string, raw jsonx.RawMessage, lang string) (query.Node, error) {
	m, err := c.Store.Mapping(ctx, index, collection)
	if err != nil {
		return nil, err
	}
	return query.ParseQuery(raw, lang, m)
}

func (c *controllers) documentSearch(ctx context.Context, req *api.Request) (any, error) {
	args, err := c.searchParams(req)
	if err != nil {
		return nil, err
	}
	index, collection := req.Index(), req.Collection()
	targets, err := targetsArg(req)
	if err != nil {
		return nil, err
	}
	lang, kerr := req.Lang()
	if kerr != nil {
		return nil, kerr
	}
	if index == "" && collection == "" && len(targets) == 0 {
		return nil, kerror.New("api.assert.missing_argument", "index, collection or targets")
	}
	if index != "" && collection != "" && (multiTarget(index) || multiTarget(collection)) {
		return nil, kerror.New("services.storage.invalid_multi_index_collection_usage")
	}
	if err := c.assertFetch(args.size - args.from); err != nil {
		return nil, err
	}
	if len(targets) > 0 {
		return c.multiSearch(ctx, targets, searchBody(req), lang, args)
	}
	if index == "" {
		return nil, kerror.New("api.assert.missing_argument", "index")
	}
	if collection == "" {
		return nil, kerror.New("api.assert.missing_argument", "collection")
	}
	if internal(index) {
		return nil, kerror.New("services.storage.unknown_index", index)
	}
	s, err := c.parseSearch(ctx, index, collection, searchBody(req), lang)
	if err != nil {
		return nil, err
	}
	s.From, s.Size, s.Scroll = args.from, args.size, args.scroll
	res, err := c.Store.Search(ctx, index, collection, s)
	if err != nil {
		return nil, err
	}
	hits := appendHits(nil, res, func(int) (string, string) { return index, collection })
	remaining := -1
	if res.ScrollID != "" {
		remaining = res.Total - len(res.Hits)
	}
	return c.searchResult(res, hits, remaining)
}

// searchResult writes document:search's result, keys in Kuzzle's order,
// without those Kuzzle leaves undefined: aggregations without any,
// remaining (-1) and scrollId without a scroll; suggest is never set.
func (c *controllers) searchResult(res *store.SearchResult, hits []byte, remaining int) (any, error) {
	out := []byte{'{'}
	if res.Aggregations != nil {
		aggs, err := jsonx.Marshal(res.Aggregations)
		if err != nil {
			return nil, kerror.New("services.storage.unexpected_error", "aggregations: "+err.Error())
		}
		out = append(append(out, `"aggregations":`...), aggs...)
		out = append(out, ',')
	}
	out = append(append(out, `"hits":`...), hits...)
	if remaining >= 0 {
		out = strconv.AppendInt(append(out, `,"remaining":`...), int64(remaining), 10)
	}
	if res.ScrollID != "" {
		out = jsonx.AppendString(append(out, `,"scrollId":`...), res.ScrollID)
	}
	out = strconv.AppendInt(append(out, `,"total":`...), int64(res.Total), 10)
	return jsonx.RawMessage(append(out, '}')), nil
}

// appendHits appends Kuzzle's hits array: {_id, _score, _source,
// collection, index} per hit, _source omitted when disabled and _score
// null when the search sorted on fields; where names each hit's index and
// collection.
func appendHits(dst []byte, res *store.SearchResult, where func(i int) (string, string)) []byte {
	dst = append(dst, '[')
	for i, h := range res.Hits {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonx.AppendString(append(dst, `{"_id":`...), h.ID)
		dst = append(dst, `,"_score":`...)
		if res.Unscored {
			dst = append(dst, "null"...)
		} else {
			dst = strconv.AppendFloat(dst, h.Score, 'g', -1, 64)
		}
		if h.Source != nil {
			dst = append(append(dst, `,"_source":`...), h.Source...)
		}
		index, collection := where(i)
		dst = jsonx.AppendString(append(dst, `,"collection":`...), collection)
		dst = jsonx.AppendString(append(dst, `,"index":`...), index)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

func (c *controllers) documentScroll(ctx context.Context, req *api.Request) (any, error) {
	ttl, _, kerr := req.Scroll(c.MaxScrollTTL)
	if kerr != nil {
		return nil, kerr
	}
	id, ok, kerr := req.String("scrollId")
	if kerr != nil {
		return nil, kerr
	}
	if !ok {
		return nil, kerror.New("api.assert.missing_argument", "scrollId")
	}
	if ttl == 0 {
		ttl = c.ScrollTTL
	}
	res, err := c.Store.Scroll(ctx, id, ttl)
	if err != nil {
		return nil, err
	}
	hits := appendHits(nil, res, func(int) (string, string) { return res.Index, res.Collection })
	out := append([]byte(`{"hits":`), hits...)
	out = strconv.AppendInt(append(out, `,"remaining":`...), int64(res.Remaining), 10)
	out = jsonx.AppendString(append(out, `,"scrollId":`...), res.ScrollID)
	out = strconv.AppendInt(append(out, `,"total":`...), int64(res.Total), 10)
	return jsonx.RawMessage(append(out, '}')), nil
}

func (c *controllers) documentCount(ctx context.Context, req *api.Request) (any, error) {
	if _, err := c.searchParams(req); err != nil {
		return nil, err
	}
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	lang, kerr := req.Lang()
	if kerr != nil {
		return nil, kerr
	}
	s, err := c.parseSearch(ctx, index, collection, searchBody(req), lang)
	if err != nil {
		return nil, err
	}
	n, err := c.Store.Count(ctx, index, collection, s.Query)
	if err != nil {
		return nil, err
	}
	return map[string]int{"count": n}, nil
}

// documentExport is Kuzzle's document:export, which streams a file over
// HTTP only: over any other protocol it answers
// api.assert.unsupported_protocol after checking its arguments, as Kuzzle
// does.
func (c *controllers) documentExport(_ context.Context, req *api.Request) (any, error) {
	if _, _, err := target(req); err != nil {
		return nil, err
	}
	if _, err := c.searchParams(req); err != nil {
		return nil, err
	}
	if _, kerr := req.Lang(); kerr != nil {
		return nil, kerr
	}
	for _, name := range []string{"format", "separator"} {
		if _, _, kerr := req.String(name); kerr != nil {
			return nil, kerr
		}
	}
	return nil, kerror.New("api.assert.unsupported_protocol", req.Connection.Protocol, "document:export")
}
