package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/query"
)

// maxScan bounds the documents a search that cannot run in SQL alone
// decodes and keeps (post-filtering, sorting in Go, aggregations).
const maxScan = 1_000_000

// Search implements store.Documents.
func (e *Engine) Search(ctx context.Context, index, name string, s *query.Search) (*store.SearchResult, error) {
	col, err := lookup(e.current(), index, name)
	if err != nil {
		return nil, err
	}
	res, err := e.search(ctx, col, s, s.From)
	if err != nil {
		return nil, err
	}
	if s.Scroll > 0 {
		fetched := s.From + len(res.Hits)
		id, err := e.scroll.add(&scroll{index: index, collection: name, search: s, offset: fetched, ttl: s.Scroll})
		if err != nil {
			return nil, err
		}
		res.ScrollID = id
	}
	return res, nil
}

// Count implements store.Documents.
func (e *Engine) Count(ctx context.Context, index, name string, q query.Node) (int, error) {
	col, err := lookup(e.current(), index, name)
	if err != nil {
		return 0, err
	}
	where, args, exact, err := e.where(ctx, col, q)
	if err != nil {
		return 0, err
	}
	if exact {
		var n int
		err := e.rdb.QueryRowContext(ctx, "SELECT count(*) FROM "+col.table+" WHERE "+where, args...).Scan(&n)
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

// search runs s, returning size hits from offset from.
func (e *Engine) search(ctx context.Context, col *collection, s *query.Search, from int) (*store.SearchResult, error) {
	size := s.Size
	if size < 0 {
		size = 10
	}
	where, args, exact, err := e.where(ctx, col, s.Query)
	if err != nil {
		return nil, err
	}
	order, ordered := query.OrderBy(s.Sort, e.d)
	var res *store.SearchResult
	if exact && ordered && len(s.Aggregations) == 0 && len(s.SearchAfter) == 0 {
		res, err = e.searchSQL(ctx, col, s, where, args, order, from, size)
	} else {
		res, err = e.searchScan(ctx, col, s, where, args, exact, from, size)
	}
	if err != nil {
		return nil, err
	}
	res.Unscored = unscored(s.Sort)
	return res, nil
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
func (e *Engine) searchSQL(ctx context.Context, col *collection, s *query.Search, where string, args []any, order string, from, size int) (*store.SearchResult, error) {
	res := &store.SearchResult{Hits: []store.Hit{}}
	if err := e.rdb.QueryRowContext(ctx, "SELECT count(*) FROM "+col.table+" WHERE "+where, args...).Scan(&res.Total); err != nil {
		return nil, e.readError(col, err)
	}
	if size == 0 || from >= res.Total {
		return res, nil
	}
	if order == "" {
		order = e.d.InsertionOrder()
	}
	q := "SELECT id, version, doc FROM " + col.table + " WHERE " + where + " ORDER BY " + order +
		fmt.Sprintf(" LIMIT %d OFFSET %d", size, from)
	rows, err := e.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, e.readError(col, err)
	}
	defer rows.Close()
	for rows.Next() {
		var h store.Hit
		var src []byte
		if err := rows.Scan(&h.ID, &h.Version, &src); err != nil {
			return nil, fmt.Errorf("search %s:%s: %w", col.index, col.name, err)
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
	return res, rows.Err()
}

// matched is a document a scanned search keeps.
type matched struct {
	id      string
	version int64
	src     []byte
	doc     map[string]any
	sort    []any
}

// searchScan runs a search whose filtering, ordering or aggregations end
// in Go: the database narrows the candidates, Go does the rest.
func (e *Engine) searchScan(ctx context.Context, col *collection, s *query.Search, where string, args []any, exact bool, from, size int) (*store.SearchResult, error) {
	var hits []matched
	var docs []map[string]any
	total := 0 // search_after leaves the total alone, as in Elasticsearch
	err := e.scan(ctx, col, where, args, func(id string, version int64, src []byte, doc map[string]any) bool {
		if !exact && !query.Matches(s.Query, doc, id) {
			return true
		}
		total++
		if len(s.Aggregations) > 0 {
			docs = append(docs, doc)
		}
		m := matched{id: id, version: version, src: src, doc: doc, sort: query.SortValues(doc, id, 1, s.Sort)}
		if len(s.SearchAfter) > 0 && query.Compare(m.sort, s.SearchAfter, s.Sort) <= 0 {
			return true
		}
		hits = append(hits, m)
		return len(hits) < maxScan
	})
	if err != nil {
		return nil, err
	}
	if len(s.Sort) > 0 {
		slices.SortStableFunc(hits, func(a, b matched) int { return query.Compare(a.sort, b.sort, s.Sort) })
	}
	res := &store.SearchResult{Hits: []store.Hit{}, Total: total}
	if len(s.Aggregations) > 0 {
		res.Aggregations = query.Aggregate(s.Aggregations, docs)
	}
	for i := from; i < len(hits) && i < from+size; i++ {
		h := hits[i]
		hit := store.Hit{ID: h.id, Version: h.version, Score: 1, Source: query.FilterSource(h.src, s.Source)}
		if len(s.Sort) > 0 {
			hit.Sort = h.sort
		}
		res.Hits = append(res.Hits, hit)
	}
	return res, nil
}

// scan decodes the documents of col matching where, in insertion order,
// until fn returns false.
func (e *Engine) scan(ctx context.Context, col *collection, where string, args []any, fn func(id string, version int64, src []byte, doc map[string]any) bool) error {
	q := "SELECT id, version, doc FROM " + col.table + " WHERE " + where + " ORDER BY " + e.d.InsertionOrder()
	rows, err := e.rdb.QueryContext(ctx, q, args...)
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
