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

// TestArraysAppearingLater checks that a field holding only scalars, then
// an array (by create, update and upsert), is still searched in arrays,
// also after a reopen: the engine's record of array paths follows writes.
func testArraysAppearingLater(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	reopen := fresh(t)
	e := reopen(t)
	m, err := mapping.Parse([]byte(`{"properties":{"tag":{"type":"keyword"},"o":{"properties":{"k":{"type":"keyword"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.CreateCollection(ctx, "i", "c", m, nil); err != nil {
		t.Fatal(err)
	}
	write := func(e storeWriter, ops ...store.Op) {
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
	search := func(e storeSearcher, body string) []string {
		t.Helper()
		mm, err := e.Mapping(ctx, "i", "c")
		if err != nil {
			t.Fatal(err)
		}
		s, err := query.ParseSearch([]byte(body), "elasticsearch", mm)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Search(ctx, "i", "c", s)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		slices.Sort(ids)
		return ids
	}
	write(e, store.Op{Kind: store.OpCreate, ID: "scalar", Body: []byte(`{"tag":"red","o":{"k":"x"}}`)})
	if got := search(e, `{"query":{"term":{"tag":"red"}}}`); fmt.Sprint(got) != "[scalar]" {
		t.Fatalf("scalar: %v", got)
	}
	write(e,
		store.Op{Kind: store.OpCreate, ID: "array", Body: []byte(`{"tag":["blue","red"]}`)},
		store.Op{Kind: store.OpUpdate, ID: "scalar", Body: []byte(`{"o":[{"k":"y"},{"k":"x"}]}`)},
		store.Op{Kind: store.OpUpsert, ID: "up", Body: []byte(`{"n":1}`), Default: []byte(`{"tag":["red"]}`)},
	)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = reopen(t)
	defer e.Close()
	for body, want := range map[string]string{
		`{"query":{"term":{"tag":"red"}}}`:   "[array scalar up]",
		`{"query":{"term":{"tag":"blue"}}}`:  "[array]",
		`{"query":{"term":{"o.k":"x"}}}`:     "[scalar]",
		`{"query":{"terms":{"o.k":["y"]}}}`:  "[scalar]",
		`{"query":{"exists":{"field":"o"}}}`: "[scalar]",
	} {
		if got := search(e, body); fmt.Sprint(got) != want {
			t.Errorf("%s: %v, want %s", body, got, want)
		}
	}
}

type storeWriter interface {
	Write(context.Context, string, string, []store.Op) ([]store.Result, error)
}

type storeSearcher interface {
	Mapping(context.Context, string, string) (*mapping.Mappings, error)
	Search(context.Context, string, string, *query.Search) (*store.SearchResult, error)
}
