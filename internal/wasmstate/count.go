package wasmstate

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store/query"
)

// count reads every stored key and sets each module's usage.
func (s *State) count(ctx context.Context) error {
	const page = 1000
	m, err := s.st.Mapping(ctx, Index, Collection)
	if err != nil {
		return fmt.Errorf("read %s: %w", Collection, err)
	}
	totals := map[string]int64{}
	after := ""
	for {
		body := fmt.Sprintf(`{"sort":["_id"],"size":%d,"_source":["module","size"]}`, page)
		if after != "" {
			encoded, _ := jsonx.Marshal([]string{after})
			body = fmt.Sprintf(`{"sort":["_id"],"size":%d,"_source":["module","size"],"search_after":%s}`, page, encoded)
		}
		q, err := query.ParseSearch(jsonx.RawMessage(body), "", m)
		if err != nil {
			return fmt.Errorf("read %s: %w", Collection, err)
		}
		res, err := s.st.Search(ctx, Index, Collection, q)
		if err != nil {
			return fmt.Errorf("read %s: %w", Collection, err)
		}
		for _, hit := range res.Hits {
			var doc document
			if err := jsonx.Unmarshal(hit.Source, &doc); err != nil {
				return fmt.Errorf("read %s %s: %w", Collection, hit.ID, err)
			}
			totals[doc.Module] += doc.Size
		}
		if len(res.Hits) < page {
			break
		}
		after = res.Hits[len(res.Hits)-1].ID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for module, n := range totals {
		c := s.usage[module]
		if c == nil {
			c = &atomic.Int64{}
			s.usage[module] = c
		}
		c.Store(n)
	}
	return nil
}
