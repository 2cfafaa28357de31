package documents

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/query"
)

// searchTarget is one entry of document:search's targets argument.
type searchTarget struct {
	Index       string   `json:"index"`
	Collections []string `json:"collections"`
}

// multiTarget reports whether name would address several indexes or
// collections in Elasticsearch (Kuzzle's _hasMultiTargets).
func multiTarget(name string) bool {
	return strings.ContainsAny(name, ",*+") || name == "_all"
}

// targetsArg reads the targets argument (default none) and checks it as
// Kuzzle's assertTargetsAreValid does.
func targetsArg(req *api.Request) ([]searchTarget, error) {
	raw := req.Arg("targets")
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	var list []map[string]jsonx.RawMessage
	if raw[0] != '[' || jsonx.Unmarshal(raw, &list) != nil {
		return nil, kerror.New("api.assert.invalid_type", "targets", "array")
	}
	targets := make([]searchTarget, len(list))
	for i, t := range list {
		name := fmt.Sprintf("targets[%d]", i)
		var index string
		if jsonx.Unmarshal(t["index"], &index) != nil || index == "" {
			return nil, kerror.New("api.assert.missing_argument", name+".index")
		}
		if multiTarget(index) {
			return nil, kerror.New("services.storage.invalid_target_format", name+".index", index)
		}
		cols := t["collections"]
		if cols == nil || string(cols) == "null" {
			return nil, kerror.New("api.assert.missing_argument", name+".collections")
		}
		var items []jsonx.RawMessage
		if cols[0] != '[' || jsonx.Unmarshal(cols, &items) != nil {
			return nil, kerror.New("api.assert.invalid_type", name+".collections", "array")
		}
		if len(items) == 0 {
			return nil, kerror.New("api.assert.empty_argument", name+".collections")
		}
		targets[i].Index = index
		for j, item := range items {
			var col string
			if item[0] != '"' || jsonx.Unmarshal(item, &col) != nil {
				return nil, kerror.New("api.assert.invalid_type", fmt.Sprintf("%s.collections[%d]", name, j), "string")
			}
			if multiTarget(col) {
				return nil, kerror.New("services.storage.invalid_target_format", fmt.Sprintf("%s.collections[%d]", name, j), col)
			}
			targets[i].Collections = append(targets[i].Collections, col)
		}
	}
	return targets, nil
}

// targetHit is a hit of a multi-collection search, with its collection.
type targetHit struct {
	hit               store.Hit
	index, collection string
}

// multiSearch runs a search over several collections, as Elasticsearch
// does over several indexes: totals add up, hits are merged by the sort
// (without one, in the order of the targets) and paged once merged. Scroll
// and aggregations need one collection.
func (c *controllers) multiSearch(ctx context.Context, targets []searchTarget, body jsonx.RawMessage, lang string, args searchArgs) (any, error) {
	if args.scroll > 0 {
		return nil, kerror.New("services.storage.invalid_argument", "targets", "a single collection (index and collection arguments) to scroll a search")
	}
	var hits []targetHit
	merged := &store.SearchResult{}
	seen := map[[2]string]bool{}
	var sort []query.SortField
	for _, t := range targets {
		if internal(t.Index) {
			return nil, kerror.New("services.storage.unknown_index", t.Index)
		}
		for _, col := range t.Collections {
			if seen[[2]string{t.Index, col}] {
				continue
			}
			seen[[2]string{t.Index, col}] = true
			s, err := c.parseSearch(ctx, t.Index, col, body, lang)
			if err != nil {
				return nil, err
			}
			if len(s.Aggregations) > 0 {
				return nil, kerror.New("services.storage.invalid_argument", "targets", "a single collection (index and collection arguments) to compute aggregations")
			}
			s.From, s.Size, sort = 0, args.from+args.size, s.Sort
			res, err := c.Store.Search(ctx, t.Index, col, s)
			if err != nil {
				return nil, err
			}
			merged.Total += res.Total
			merged.Unscored = merged.Unscored || res.Unscored
			for _, h := range res.Hits {
				hits = append(hits, targetHit{hit: h, index: t.Index, collection: col})
			}
		}
	}
	if len(sort) > 0 {
		slices.SortStableFunc(hits, func(a, b targetHit) int { return query.Compare(a.hit.Sort, b.hit.Sort, sort) })
	}
	hits = hits[min(args.from, len(hits)):min(args.from+args.size, len(hits))]
	for _, h := range hits {
		merged.Hits = append(merged.Hits, h.hit)
	}
	out := appendHits(nil, merged, func(i int) (string, string) { return hits[i].index, hits[i].collection })
	return c.searchResult(merged, out, -1)
}
