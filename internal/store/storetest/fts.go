package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
)

// TestTextSearchUsesTheFullTextIndex checks match queries on text fields
// against documents written before and after the text field is mapped,
// updated and deleted: the full-text index follows every write.
func testTextSearchUsesTheFullTextIndex(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	e := fresh(t)(t)
	defer e.Close()
	kw, err := mapping.Parse([]byte(`{"properties":{"tag":{"type":"keyword"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.CreateCollection(ctx, "i", "c", kw, nil); err != nil {
		t.Fatal(err)
	}
	write := func(ops ...store.Op) {
		t.Helper()
		res, err := e.Write(ctx, "i", "c", ops)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	write(store.Op{Kind: store.OpCreate, ID: "before", Body: []byte(`{"title":"Hello brave world","tag":"a"}`)})
	text, err := mapping.Parse([]byte(`{"properties":{"title":{"type":"text"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpdateMapping(ctx, "i", "c", text); err != nil {
		t.Fatal(err)
	}
	write(
		store.Op{Kind: store.OpCreate, ID: "after", Body: []byte(`{"title":"a new World order"}`)},
		store.Op{Kind: store.OpCreate, ID: "other", Body: []byte(`{"title":"nothing here"}`)},
		store.Op{Kind: store.OpCreate, ID: "gone", Body: []byte(`{"title":"world"}`)},
	)
	write(
		store.Op{Kind: store.OpUpdate, ID: "other", Body: []byte(`{"title":"worldwide"}`)},
		store.Op{Kind: store.OpDelete, ID: "gone"},
	)
	m, err := e.Mapping(ctx, "i", "c")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		body string
		want []string
	}{
		{`{"query":{"match":{"title":"WORLD"}}}`, []string{"after", "before"}},
		{`{"query":{"match":{"title":"hello world"}}}`, []string{"after", "before"}},
		{`{"query":{"match":{"title":{"query":"hello world","operator":"and"}}}}`, []string{"before"}},
		{`{"query":{"match_phrase":{"title":"new world"}}}`, []string{"after"}},
		{`{"query":{"prefix":{"title":"worl"}}}`, []string{"after", "before", "other"}},
		{`{"query":{"term":{"title":"worldwide"}}}`, []string{"other"}},
	} {
		s, err := query.ParseSearch([]byte(tc.body), "elasticsearch", m)
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		res, err := e.Search(ctx, "i", "c", s)
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		var got []string
		for _, h := range res.Hits {
			got = append(got, h.ID)
		}
		slices.Sort(got)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) || res.Total != len(tc.want) {
			t.Errorf("%s: got %v (total %d), want %v", tc.body, got, res.Total, tc.want)
		}
	}
}
