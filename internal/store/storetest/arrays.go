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

// TestArraysSearchedInSQL checks searches of fields holding arrays, at
// any depth of nesting, against Elasticsearch's rule: a document matches
// when one element satisfies the whole condition (a range is not met by
// one element above its lower bound and another below its upper one).
// Conditions on
// a path holding arrays are answered in SQL alone; a dotted path through
// an array of objects is tested in Go. (Ranges, prefixes and numbers are
// tested in Go whatever the arrays: a numeric field may hold numbers
// written as strings, a keyword range or prefix is a superset in SQL.)
func testArraysSearchedInSQL(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	e := fresh(t)(t)
	defer e.Close()
	Seed(t, e, `{"properties":{"tag":{"type":"keyword"},"n":{"type":"integer"},"b":{"type":"boolean"},"o":{"properties":{"k":{"type":"keyword"}}}}}`,
		[]string{"flat", "nested", "deep", "scalar", "objects"}, map[string]string{
			"flat":    `{"tag":["a","b"],"n":[1,10],"b":[true]}`,
			"nested":  `{"tag":["x",["c",["d"]]],"n":[[3],[[7]]],"b":[[false]]}`,
			"deep":    `{"tag":[[[["e",[["f"]]]]]],"n":[[[[[5]]]]]}`,
			"scalar":  `{"tag":"g","n":6,"b":false}`,
			"objects": `{"tag":["i"],"o":[{"k":"j"},{"k":["l"]}]}`,
		})
	for _, tc := range []struct {
		query, want string
		exact       bool
	}{
		{`{"term":{"tag":"a"}}`, "flat", true},
		{`{"term":{"tag":"d"}}`, "nested", true},
		{`{"term":{"tag":"e"}}`, "deep", true},
		{`{"term":{"tag":"f"}}`, "deep", true},
		{`{"term":{"tag":"g"}}`, "scalar", true},
		{`{"terms":{"tag":["b","c","i"]}}`, "flat,nested,objects", true},
		{`{"range":{"n":{"gte":4,"lte":6}}}`, "deep,scalar", false},
		{`{"range":{"n":{"gt":2,"lt":4}}}`, "nested", false},
		{`{"range":{"n":{"gte":7}}}`, "flat,nested", false},
		{`{"term":{"n":6}}`, "scalar", false},
		{`{"range":{"tag":{"gte":"c","lt":"e"}}}`, "nested", false},
		{`{"prefix":{"tag":"f"}}`, "deep", false},
		{`{"term":{"b":false}}`, "nested,scalar", true},
		{`{"bool":{"must_not":{"term":{"tag":"d"}}}}`, "deep,flat,objects,scalar", true},
		{`{"term":{"o.k":"l"}}`, "objects", false},
	} {
		s := parse(t, e, `{"query":`+tc.query+`,"sort":["_id"]}`)
		res, err := e.Search(ctx, "idx", "col", s)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		if got := hitIDs(res); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
		}
		exact, err := e.Exact(ctx, "idx", "col", s.Query)
		if err != nil || exact != tc.exact {
			t.Errorf("%s: answered in SQL alone %v, want %v (%v)", tc.query, exact, tc.exact, err)
		}
	}
}
