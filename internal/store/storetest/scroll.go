package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
)

// TestScrollReadsEveryDocumentOnce scrolls sorted and unsorted searches,
// exact in SQL or filtered in Go, to their end.
func testScrollReadsEveryDocumentOnce(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	e := fresh(t)(t)
	defer e.Close()
	m, err := mapping.Parse([]byte(`{"properties":{"n":{"type":"integer"},"k":{"type":"keyword"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.CreateCollection(ctx, "i", "c", m, nil); err != nil {
		t.Fatal(err)
	}
	const n = 2500
	for start := 0; start < n; start += 500 {
		var ops []store.Op
		for i := start; i < start+500; i++ {
			ops = append(ops, store.Op{Kind: store.OpCreate, ID: fmt.Sprintf("d%04d", i), Body: []byte(fmt.Sprintf(`{"n":%d,"k":"k%d"}`, i, i%2))})
		}
		if _, err := e.Write(ctx, "i", "c", ops); err != nil {
			t.Fatal(err)
		}
	}
	if m, err = e.Mapping(ctx, "i", "c"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		body string
		want int
	}{
		{`{}`, n},
		{`{"query":{"term":{"k":"k1"}}}`, n / 2},
		{`{"query":{"term":{"k":"k1"}},"sort":[{"n":"desc"}]}`, n / 2},
		{`{"query":{"regexp":{"k":"k[0]"}}}`, n / 2},
		{`{"query":{"regexp":{"k":"k[0]"}},"sort":["_id"]}`, n / 2},
	} {
		s, err := query.ParseSearch([]byte(tc.body), "elasticsearch", m)
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		s.Size, s.Scroll = 300, time.Minute
		res, err := e.Search(ctx, "i", "c", s)
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		seen := map[string]bool{}
		for {
			for _, h := range res.Hits {
				if seen[h.ID] {
					t.Fatalf("%s: %s read twice", tc.body, h.ID)
				}
				seen[h.ID] = true
			}
			if res.Total != tc.want {
				t.Fatalf("%s: total %d, want %d", tc.body, res.Total, tc.want)
			}
			if len(seen) == tc.want {
				break
			}
			if len(res.Hits) == 0 {
				t.Fatalf("%s: the scroll ended after %d documents", tc.body, len(seen))
			}
			id := res.ScrollID
			if res, err = e.Scroll(ctx, id, 0); err != nil {
				t.Fatalf("%s: %v", tc.body, err)
			}
			if res.Remaining != tc.want-len(seen)-len(res.Hits) {
				t.Fatalf("%s: remaining %d after %d+%d", tc.body, res.Remaining, len(seen), len(res.Hits))
			}
		}
		if _, err := e.Scroll(ctx, res.ScrollID, 0); errID(err) != "services.storage.unknown_scroll_id" {
			t.Errorf("%s: a finished scroll goes on: %v", tc.body, err)
		}
	}
	s, _ := query.ParseSearch([]byte(`{}`), "elasticsearch", m)
	s.From, s.Size = 9995, 10
	if _, err := e.Search(ctx, "i", "c", s); errID(err) != "services.storage.unexpected_bad_request" {
		t.Errorf("a page past the result window: %v", err)
	}
}
