package storetest

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
	"github.com/starlingmq/starling/internal/store/sqlstore"
)

// CityMappings maps the fields the search tests query: keyword city,
// integers n and a.b.
const CityMappings = `{"properties":{"city":{"type":"keyword"},"n":{"type":"integer"},"a":{"properties":{"b":{"type":"integer"}}}}}`

// searchEngine opens a store with collection idx:col mapped by
// CityMappings and holding docs (id → body), written in the order of ids.
func searchEngine(t *testing.T, fresh Fresh, ids []string, docs map[string]string) *sqlstore.Engine {
	t.Helper()
	e := fresh(t)(t)
	t.Cleanup(func() { e.Close() })
	Seed(t, e, CityMappings, ids, docs)
	return e
}

// Seed creates collection idx:col of e with mappings and writes docs
// (id → body, without Kuzzle's metadata) in the order of ids, failing t
// on any error.
func Seed(t testing.TB, e *sqlstore.Engine, mappings string, ids []string, docs map[string]string) {
	t.Helper()
	m, err := mapping.Parse([]byte(mappings))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.CreateCollection(ctx, "idx", "col", m, nil); err != nil {
		t.Fatal(err)
	}
	ops := make([]store.Op, len(ids))
	for i, id := range ids {
		ops[i] = store.Op{Kind: store.OpCreate, ID: id, Body: []byte(docs[id]), NoMeta: true}
	}
	res, err := e.Write(ctx, "idx", "col", ops)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("write %s: %v", r.ID, r.Err)
		}
	}
}

// parse parses a search body against idx:col's mappings.
func parse(t *testing.T, e *sqlstore.Engine, body string) *query.Search {
	t.Helper()
	m, err := e.Mapping(context.Background(), "idx", "col")
	if err != nil {
		t.Fatal(err)
	}
	s, err := query.ParseSearch([]byte(body), "elasticsearch", m)
	if err != nil {
		t.Fatalf("parse %s: %v", body, err)
	}
	return s
}

// hitIDs lists the ids of a page.
func hitIDs(res *store.SearchResult) string {
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return strings.Join(ids, ",")
}

var cities = map[string]string{
	"d1": `{"city":"paris","n":5}`,
	"d2": `{"city":"nyc","n":1}`,
	"d3": `{"city":"paris","n":3}`,
	"d4": `{"city":"tokyo"}`,
	"d5": `{"city":"paris","n":4}`,
}

func testSearchCountAndSort(t *testing.T, fresh Fresh) {
	e := searchEngine(t, fresh, []string{"d1", "d2", "d3", "d4", "d5"}, cities)
	ctx := context.Background()
	tests := []struct {
		name, body, ids string
		total           int
		unscored        bool
	}{
		{"match all in insertion order", `{}`, "d1,d2,d3,d4,d5", 5, false},
		{"term on a keyword", `{"query":{"term":{"city":"paris"}}}`, "d1,d3,d5", 3, false},
		{"sort pushed down, missing last", `{"sort":[{"n":"desc"}]}`, "d1,d5,d3,d2,d4", 5, true},
		{"sort by _id desc", `{"sort":[{"_id":"desc"}],"size":2}`, "d5,d4", 5, true},
		{"from and size", `{"sort":["n"],"from":1,"size":2}`, "d3,d5", 5, true},
		{"search_after", `{"sort":["n"],"search_after":[3]}`, "d5,d1,d4", 5, true},
		{"range", `{"query":{"range":{"n":{"gte":3,"lt":5}}}}`, "d3,d5", 2, false},
		{"sorted with _score keeps scores", `{"sort":["_score","n"]}`, "d2,d3,d5,d1,d4", 5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Search(ctx, "idx", "col", parse(t, e, tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := hitIDs(res); got != tt.ids || res.Total != tt.total || res.Unscored != tt.unscored {
				t.Errorf("got %s total %d unscored %v, want %s total %d unscored %v", got, res.Total, res.Unscored, tt.ids, tt.total, tt.unscored)
			}
			n, err := e.Count(ctx, "idx", "col", parse(t, e, tt.body).Query)
			if err != nil || n != tt.total {
				t.Errorf("count %d (%v), want %d", n, err, tt.total)
			}
		})
	}
}

func testSearchAggregations(t *testing.T, fresh Fresh) {
	e := searchEngine(t, fresh, []string{"d1", "d2", "d3", "d4", "d5"}, cities)
	res, err := e.Search(context.Background(), "idx", "col",
		parse(t, e, `{"size":0,"aggs":{"cities":{"terms":{"field":"city"}},"top":{"max":{"field":"n"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := jsonx.Marshal(res.Aggregations)
	want := `{"cities":{"buckets":[{"doc_count":3,"key":"paris"},{"doc_count":1,"key":"nyc"},{"doc_count":1,"key":"tokyo"}]},"top":{"value":5}}`
	want = strings.Replace(want, `]}`, `],"doc_count_error_upper_bound":0,"sum_other_doc_count":0}`, 1)
	if string(got) != want || len(res.Hits) != 0 || res.Total != 5 {
		t.Errorf("aggregations %s, %d hits, total %d", got, len(res.Hits), res.Total)
	}
}

func testScrollToTheEndAndExpiry(t *testing.T, fresh Fresh) {
	e := searchEngine(t, fresh, []string{"d1", "d2", "d3", "d4", "d5"}, cities)
	ctx := context.Background()
	s := parse(t, e, `{"sort":["_id"]}`)
	s.Size, s.Scroll = 2, time.Minute
	res, err := e.Search(ctx, "idx", "col", s)
	if err != nil || res.ScrollID == "" || hitIDs(res) != "d1,d2" {
		t.Fatalf("search: %+v %v", res, err)
	}
	for _, want := range []struct {
		ids       string
		remaining int
	}{{"d3,d4", 1}, {"d5", 0}} {
		page, err := e.Scroll(ctx, res.ScrollID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if hitIDs(page) != want.ids || page.Remaining != want.remaining || page.Total != 5 || page.Index != "idx" || page.Collection != "col" {
			t.Errorf("page %s remaining %d of %d in %s:%s, want %s remaining %d", hitIDs(page), page.Remaining, page.Total, page.Index, page.Collection, want.ids, want.remaining)
		}
	}
	if _, err := e.Scroll(ctx, res.ScrollID, 0); errID(err) != "services.storage.unknown_scroll_id" {
		t.Errorf("scroll past the end: %v", err)
	}
	s.Scroll = time.Nanosecond
	res, err = e.Search(ctx, "idx", "col", s)
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) == 0; {
	}
	if _, err := e.Scroll(ctx, res.ScrollID, 0); errID(err) != "services.storage.unknown_scroll_id" {
		t.Errorf("expired scroll: %v", err)
	}
	s.Scroll = time.Hour
	if _, err := e.Search(ctx, "idx", "col", s); errID(err) != "services.storage.scroll_duration_too_great" {
		t.Errorf("scroll of an hour: %v", err)
	}
}

func testDottedKeysAreFound(t *testing.T, fresh Fresh) {
	docs := map[string]string{
		"flat":   `{"a.b":1,"n":1}`,
		"nested": `{"a":{"b":1},"n":2}`,
		"other":  `{"a":{"b":2},"n":3}`,
		"deep":   `{"x":[{"y.z":1}],"a":{"b":1},"n":4}`,
	}
	e := searchEngine(t, fresh, []string{"flat", "nested", "other", "deep"}, docs)
	ctx := context.Background()
	check := func(body, want string) {
		t.Helper()
		res, err := e.Search(ctx, "idx", "col", parse(t, e, body))
		if err != nil {
			t.Fatal(err)
		}
		n, err := e.Count(ctx, "idx", "col", parse(t, e, body).Query)
		if got := hitIDs(res); got != want || err != nil || n != len(res.Hits) {
			t.Errorf("%s: got %s (count %d, %v), want %s", body, got, n, err, want)
		}
	}
	check(`{"query":{"term":{"a.b":1}}}`, "flat,nested,deep")
	check(`{"query":{"term":{"a.b":1}},"sort":[{"n":"desc"}]}`, "deep,nested,flat")
	check(`{"query":{"range":{"a.b":{"gt":1}}}}`, "other")
	// Once no document holds a dotted key, searches are exact SQL again,
	// and still right.
	res, err := e.Write(ctx, "idx", "col", []store.Op{
		{Kind: store.OpReplace, ID: "flat", Body: []byte(`{"a":{"b":5},"n":1}`), NoMeta: true},
		{Kind: store.OpDelete, ID: "deep"},
	})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("rewrite: %v %+v", err, res)
	}
	check(`{"query":{"term":{"a.b":1}}}`, "nested")
	check(`{"query":{"range":{"a.b":{"gt":1}}},"sort":["n"]}`, "flat,other")
	if src := getSource(t, e, "nested"); !sameJSON(t, src, `{"a":{"b":1},"n":2}`) {
		t.Errorf("source %s", src)
	}
}

// sameJSON reports whether two JSON texts hold the same value: a store
// may give documents back with other spacing and key order (PostgreSQL's
// JSONB).
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := jsonx.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := jsonx.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return reflect.DeepEqual(x, y)
}

// getSource reads a document's stored source.
func getSource(t *testing.T, e *sqlstore.Engine, id string) string {
	t.Helper()
	docs, err := e.Get(context.Background(), "idx", "col", []string{id})
	if err != nil || !docs[0].Found {
		t.Fatalf("get %s: %v", id, err)
	}
	return string(docs[0].Source)
}

func testSearchUnknownCollection(t *testing.T, fresh Fresh) {
	e := searchEngine(t, fresh, []string{"d1", "d2", "d3"}, cities)
	ctx := context.Background()
	s := parse(t, e, `{}`)
	if _, err := e.Search(ctx, "idx", "nope", s); errID(err) != "services.storage.unknown_collection" {
		t.Errorf("unknown collection: %v", err)
	}
	if _, err := e.Count(ctx, "nope", "col", nil); errID(err) != "services.storage.unknown_index" {
		t.Errorf("unknown index: %v", err)
	}
	s.Size, s.Scroll = 1, time.Minute
	res, err := e.Search(ctx, "idx", "col", s)
	if err != nil {
		t.Fatal(err)
	}
	// Searches racing with the collection's deletion fail as Kuzzle's
	// unknown collection, never as the database's missing table.
	paris := parse(t, e, `{"query":{"term":{"city":"paris"}}}`)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				_, err := e.Search(ctx, "idx", "col", paris)
				if err == nil {
					_, err = e.Count(ctx, "idx", "col", nil)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	if err := e.DeleteCollection(ctx, "idx", "col"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if id := errID(err); id != "services.storage.unknown_collection" {
			t.Errorf("racing search: %v", err)
		}
	}
	if _, err := e.Scroll(ctx, res.ScrollID, 0); errID(err) != "services.storage.unknown_collection" {
		t.Errorf("scroll of a deleted collection: %v", err)
	}
}
