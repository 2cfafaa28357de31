package sqlstore

import (
	"context"

	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/query"
)

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
		id, err := e.scroll.add(&scroll{index: index, collection: name, search: s, offset: s.From + len(res.Hits), ttl: s.Scroll})
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
	return e.count(ctx, col, q)
}

// search runs s from offset from.
func (e *Engine) search(ctx context.Context, col *collection, s *query.Search, from int) (*store.SearchResult, error) {
	return &store.SearchResult{}, nil
}

// count counts the documents of col matching q.
func (e *Engine) count(ctx context.Context, col *collection, q query.Node) (int, error) {
	var n int
	err := e.rdb.QueryRowContext(ctx, "SELECT count(*) FROM "+col.table).Scan(&n)
	return n, err
}
