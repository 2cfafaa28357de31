package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/query"
)

// maxResultWindow bounds from+size of a search, as Elasticsearch's
// index.max_result_window does: deeper pages are read with a scroll.
const maxResultWindow = 10000

// Search implements store.Documents.
func (e *Engine) Search(ctx context.Context, index, name string, s *query.Search) (*store.SearchResult, error) {
	col, err := e.resolve(ctx, index, name)
	if err != nil {
		return nil, err
	}
	if window := s.From + max(s.Size, 0); s.Scroll == 0 && window > maxResultWindow {
		return nil, kerror.New("services.storage.unexpected_bad_request", fmt.Sprintf(
			"Result window is too large, from + size must be less than or equal to: [%d] but was [%d]. See the scroll api for a more efficient way to request large data sets.",
			maxResultWindow, window))
	}
	res, last, err := e.search(ctx, col, s, page{from: s.From})
	if err != nil {
		return nil, err
	}
	if s.Scroll > 0 {
		fetched := s.From + len(res.Hits)
		id, err := e.scroll.add(&scroll{index: index, collection: name, search: s, offset: fetched, after: last, ttl: s.Scroll})
		if err != nil {
			return nil, err
		}
		res.ScrollID = id
	}
	return res, nil
}

// page says where a page of hits starts: after from hits, or, when after
// is set, after the document of that insertion sequence (a scroll of an
// unsorted search continues from its last hit instead of counting again).
type page struct {
	from  int
	after int64
}

// Count implements store.Documents.
func (e *Engine) Count(ctx context.Context, index, name string, q query.Node) (int, error) {
	col, err := e.resolve(ctx, index, name)
	if err != nil {
		return 0, err
	}
	where, args, exact, err := e.where(ctx, col, q)
	if err != nil {
		return 0, err
	}
	if exact {
		var n int
		err := e.queryRow(ctx, "SELECT count(*) FROM "+col.table+" WHERE "+where, args...).Scan(&n)
		if err != nil {
			return 0, e.readError(col, err)
		}
		return n, nil
	}
	n := 0
	err = e.scan(ctx, col, where, args, func(id string, _ int64, _ []byte, doc map[string]any) bool {
		if query.Matches(q, doc, id) {
			n++
		}
		return true
	})
	return n, err
}

// Exact reports whether the database alone answers a search of q in a
// collection: false when the engine tests the documents its SQL selects
// in Go (a dotted path through an array, a geo query, a pattern). For
// tests and diagnostics; it reads nothing.
func (e *Engine) Exact(ctx context.Context, index, name string, q query.Node) (bool, error) {
	col, err := lookup(e.current(), index, name)
	if err != nil {
		return false, err
	}
	_, _, exact, err := e.where(ctx, col, q)
	return exact, err
}

// search runs s, returning size hits of the page pg, and the insertion
// sequence of the last hit when the database ordered them by insertion (0
// otherwise).
func (e *Engine) search(ctx context.Context, col *collection, s *query.Search, pg page) (*store.SearchResult, int64, error) {
	size := s.Size
	if size < 0 {
		size = 10
	}
	where, args, exact, err := e.where(ctx, col, s.Query)
	if err != nil {
		return nil, 0, err
	}
	order, ordered := query.OrderBy(s.Sort, e.d)
	var res *store.SearchResult
	var last int64
	if exact && ordered && len(s.Aggregations) == 0 && len(s.SearchAfter) == 0 {
		res, last, err = e.searchSQL(ctx, col, s, where, args, order, pg, size)
	} else {
		res, err = e.searchScan(ctx, col, s, where, args, exact, pg.from, size)
	}
	if err != nil {
		return nil, 0, err
	}
	res.Unscored = unscored(s.Sort)
	return res, last, nil
}

// unscored reports whether a sort leaves hits without a score, as
// Elasticsearch does when it sorts on fields only.
func unscored(sort []query.SortField) bool {
	for _, sf := range sort {
		if sf.Field.Name == "_score" {
			return false
		}
	}
	return len(sort) > 0
}

// searchSQL runs a search the database answers alone.
func (e *Engine) searchSQL(ctx context.Context, col *collection, s *query.Search, where string, args []any, order string, pg page, size int) (*store.SearchResult, int64, error) {
	res := &store.SearchResult{Hits: []store.Hit{}}
	if err := e.queryRow(ctx, "SELECT count(*) FROM "+col.table+" WHERE "+where, args...).Scan(&res.Total); err != nil {
		return nil, 0, e.readError(col, err)
	}
	if size == 0 || pg.from >= res.Total {
		return res, 0, nil
	}
	seq := e.d.InsertionOrder()
	offset := pg.from
	if order == "" {
		order = seq
		if pg.after > 0 {
			where = "(" + where + ") AND " + seq + " > " + e.d.Placeholder(len(args)+1)
			args = append(args[:len(args):len(args)], pg.after)
			offset = 0
		}
	}
	q := "SELECT id, version, " + e.d.Document() + ", " + seq + " FROM " + col.table + " WHERE " + where + " ORDER BY " + order +
		fmt.Sprintf(" LIMIT %d OFFSET %d", size, offset)
	rows, err := e.query(ctx, q, args...)
	if err != nil {
		return nil, 0, e.readError(col, err)
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		var h store.Hit
		var src []byte
		if err := rows.Scan(&h.ID, &h.Version, &src, &last); err != nil {
			return nil, 0, fmt.Errorf("search %s:%s: %w", col.index, col.name, err)
		}
		h.Score = 1
		h.Source = query.FilterSource(src, s.Source)
		if len(s.Sort) > 0 {
			var doc map[string]any
			_ = jsonx.Unmarshal(src, &doc)
			h.Sort = query.SortValues(doc, h.ID, 1, s.Sort)
		}
		res.Hits = append(res.Hits, h)
	}
	if order != seq {
		last = 0
	}
	return res, last, rows.Err()
}

// matched is a document a scanned search keeps.
type matched struct {
	id      string
	version int64
	src     []byte
	sort    []any
}

// maxAggregated bounds the documents one search's aggregations read: they
// are computed in memory.
const maxAggregated = 200_000

// searchScan runs a search whose filtering, ordering or aggregations end
// in Go: the database narrows the candidates, Go does the rest. It keeps
// at most from+size hits (the best ones when sorted), so its memory does
// not grow with the collection; aggregations keep up to maxAggregated
// documents.
func (e *Engine) searchScan(ctx context.Context, col *collection, s *query.Search, where string, args []any, exact bool, from, size int) (*store.SearchResult, error) {
	keep := from + size
	top := &bestHits{sort: s.Sort, max: keep}
	var docs []map[string]any
	total := 0
	var tooMany bool
	err := e.scan(ctx, col, where, args, func(id string, version int64, src []byte, doc map[string]any) bool {
		if !exact && !query.Matches(s.Query, doc, id) {
			return true
		}
		total++ // search_after leaves the total alone, as in Elasticsearch
		var values []any
		if len(s.Sort) > 0 || len(s.SearchAfter) > 0 {
			values = query.SortValues(doc, id, 1, s.Sort)
		}
		if len(s.SearchAfter) > 0 && query.Compare(values, s.SearchAfter, s.Sort) <= 0 {
			return true
		}
		if len(s.Aggregations) > 0 {
			if len(docs) == maxAggregated {
				tooMany = true
				return false
			}
			docs = append(docs, doc)
		}
		top.add(matched{id: id, version: version, src: src, sort: values})
		return true
	})
	if err != nil {
		return nil, err
	}
	if tooMany {
		return nil, kerror.New("services.storage.unexpected_bad_request",
			fmt.Sprintf("aggregations read at most %d documents: narrow the query", maxAggregated))
	}
	res := &store.SearchResult{Hits: []store.Hit{}, Total: total}
	if len(s.Aggregations) > 0 {
		res.Aggregations = query.Aggregate(s.Aggregations, docs)
	}
	hits := top.sorted()
	for i := from; i < len(hits) && i < keep; i++ {
		h := hits[i]
		hit := store.Hit{ID: h.id, Version: h.version, Score: 1, Source: query.FilterSource(h.src, s.Source)}
		if len(s.Sort) > 0 {
			hit.Sort = h.sort
		}
		res.Hits = append(res.Hits, hit)
	}
	return res, nil
}

// bestHits keeps the first max hits in sort order (in scan order when
// unsorted).
type bestHits struct {
	sort []query.SortField
	max  int
	hits []matched
}

// add offers a hit.
func (b *bestHits) add(m matched) {
	if b.max <= 0 {
		return
	}
	if len(b.sort) == 0 {
		if len(b.hits) < b.max {
			b.hits = append(b.hits, m)
		}
		return
	}
	// A sorted insert: max is at most the fetch limit, and most hits
	// fall after the last kept one.
	if len(b.hits) == b.max && query.Compare(m.sort, b.hits[len(b.hits)-1].sort, b.sort) >= 0 {
		return
	}
	at, _ := slices.BinarySearchFunc(b.hits, m, func(a, m matched) int {
		if c := query.Compare(a.sort, m.sort, b.sort); c != 0 {
			return c
		}
		return -1 // equal values keep scan order
	})
	b.hits = slices.Insert(b.hits, at, m)
	if len(b.hits) > b.max {
		b.hits = b.hits[:b.max]
	}
}

// sorted returns the kept hits.
func (b *bestHits) sorted() []matched { return b.hits }

// scan decodes the documents of col matching where, in insertion order,
// until fn returns false.
func (e *Engine) scan(ctx context.Context, col *collection, where string, args []any, fn func(id string, version int64, src []byte, doc map[string]any) bool) error {
	q := "SELECT id, version, " + e.d.Document() + " FROM " + col.table + " WHERE " + where + " ORDER BY " + e.d.InsertionOrder()
	rows, err := e.query(ctx, q, args...)
	if err != nil {
		return e.readError(col, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var version int64
		var src []byte
		if err := rows.Scan(&id, &version, &src); err != nil {
			return fmt.Errorf("search %s:%s: %w", col.index, col.name, err)
		}
		var doc map[string]any
		if err := jsonx.Unmarshal(src, &doc); err != nil {
			return fmt.Errorf("decode %s in %s:%s: %w", id, col.index, col.name, err)
		}
		if !fn(id, version, src, doc) {
			break
		}
	}
	if err := rows.Err(); err != nil && !strings.Contains(err.Error(), "interrupted") {
		return fmt.Errorf("search %s:%s: %w", col.index, col.name, err)
	}
	return ctx.Err()
}
