package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
	"github.com/starlingmq/starling/internal/store/sqlstore"
)

// sourceCases are documents written with keys out of order, unicode,
// numbers past float64's precision or in other spellings, and nested
// objects, with the bytes every read must return: the engine's encoding
// of the decoded document (keys sorted, numbers as float64 writes them,
// <, > and & escaped), whatever the database.
var sourceCases = []struct {
	id, body, want string
}{
	{"order", `{"zeta":1,"a":2,"Z":3,"mm":{"y":true,"b":null,"aa":[]},"_x":"", "tag":"t"}`,
		`{"Z":3,"_x":"","a":2,"mm":{"aa":[],"b":null,"y":true},"tag":"t","zeta":1}`},
	{"numbers", `{"big":12345678901234567890,"one":1.0,"k":1e3,"neg":-0.0,"small":1e-7,"huge":1e21,"f":0.1,"e":2.5E+2,"i":-17,"tag":"t"}`,
		`{"big":12345678901234567000,"e":250,"f":0.1,"huge":1e+21,"i":-17,"k":1000,"neg":-0,"one":1,"small":1e-7,"tag":"t"}`},
	{"unicode", `{"u":"h\u00e9llo ✓ 😀 \u2028 \"q\" \\ / <>&","é":"ü","":"empty","\u00e0":{"ç":"x"},"tag":"t"}`,
		`{"":"empty","tag":"t","u":"héllo ✓ 😀 \u2028 \"q\" \\ / \u003c\u003e\u0026","à":{"ç":"x"},"é":"ü"}`},
	{"nested", `{ "sp" : [ 1 , 2 ] ,"n":{"d":{"c":{"bb":{"a":[{"z":1,"y":{"x":2,"w":3}}]}}}},"tag":"t"}`,
		`{"n":{"d":{"c":{"bb":{"a":[{"y":{"w":3,"x":2},"z":1}]}}}},"sp":[1,2],"tag":"t"}`},
}

// TestSourceBytesOfEveryRead writes sourceCases and checks the bytes of
// every read path: write results, get of one and of many, searches
// answered in SQL, filtered in Go or sorted, scrolls, and the previous
// versions of replaces, updates and deletes. Kuzzle's metadata, appended
// after the body's fields, must stay last.
func testSourceBytesOfEveryRead(t *testing.T, fresh Fresh) {
	e := fresh(t)(t)
	defer e.Close()
	SourceReads(t, e)
}

// SourceReads writes documents with keys out of order, unicode, unusual
// numbers and nested objects into collection idx:col of e, an empty
// store, reads them back through every read path, checks the bytes of
// each read against the engine's encoding, and returns each read as a
// line (what was read, then its bytes), for comparing dialects.
func SourceReads(t *testing.T, e *sqlstore.Engine) []string {
	t.Helper()
	ctx := context.Background()
	var reads []string
	expectSource := func(what string, got []byte, want string) {
		t.Helper()
		reads = append(reads, what+": "+string(got))
		if string(got) != want {
			t.Errorf("%s:\n got %s\nwant %s", what, got, want)
		}
	}
	m, err := mapping.Parse([]byte(`{"properties":{"tag":{"type":"keyword"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.CreateCollection(ctx, "idx", "col", m, nil); err != nil {
		t.Fatal(err)
	}
	var ids []string
	want := map[string]string{}
	for _, tc := range sourceCases {
		res := writeOne(t, e, store.Op{Kind: store.OpCreate, ID: tc.id, Body: []byte(tc.body), NoMeta: true})
		ids, want[tc.id] = append(ids, tc.id), tc.want
		expectSource("create "+tc.id, res.Source, tc.want)
		meta := store.Op{Kind: store.OpCreate, ID: tc.id + "-meta", Body: []byte(tc.body), User: "u1", Now: 1700000000000}
		res = writeOne(t, e, meta)
		withMeta := tc.want[:len(tc.want)-1] + `,"_kuzzle_info":{"author":"u1","createdAt":1700000000000,"updatedAt":null,"updater":null}}`
		ids, want[meta.ID] = append(ids, meta.ID), withMeta
		expectSource("create "+meta.ID, res.Source, withMeta)
	}
	readsReturn(t, e, ids, want, expectSource)
	for _, tc := range sourceCases {
		prev := want[tc.id]
		res := writeOne(t, e, store.Op{Kind: store.OpCreateOrReplace, ID: tc.id, Body: []byte(tc.body), NoMeta: true})
		expectSource("replace "+tc.id, res.Source, tc.want)
		expectSource("previous of replace "+tc.id, res.Previous, prev)
		res = writeOne(t, e, store.Op{Kind: store.OpUpdate, ID: tc.id, Body: []byte(`{"tag":"t"}`), NoMeta: true})
		expectSource("update "+tc.id, res.Source, tc.want)
		expectSource("previous of update "+tc.id, res.Previous, tc.want)
		res = writeOne(t, e, store.Op{Kind: store.OpUpsert, ID: tc.id + "-up", Body: []byte(`{"tag":"t"}`),
			Default: []byte(tc.body), NoMeta: true})
		expectSource("upsert "+tc.id, res.Source, tc.want)
		ids, want[res.ID] = append(ids, res.ID), tc.want
	}
	readsReturn(t, e, ids, want, expectSource)
	for _, id := range ids {
		res := writeOne(t, e, store.Op{Kind: store.OpDelete, ID: id})
		expectSource("previous of delete "+id, res.Previous, want[id])
	}
	return reads
}

// writeOne applies op and returns its result, failing t on an error.
func writeOne(t *testing.T, e *sqlstore.Engine, op store.Op) store.Result {
	t.Helper()
	res, err := e.Write(context.Background(), "idx", "col", []store.Op{op})
	if err != nil || res[0].Err != nil {
		t.Fatalf("write %s: %v %v", op.ID, err, res)
	}
	return res[0]
}

// readsReturn checks with expect that every read path returns want's
// bytes for the documents ids (all of them in idx:col, with tag "t").
func readsReturn(t *testing.T, e *sqlstore.Engine, ids []string, want map[string]string, expect func(what string, got []byte, want string)) {
	t.Helper()
	ctx := context.Background()
	for _, id := range ids {
		docs, err := e.Get(ctx, "idx", "col", []string{id})
		if err != nil || !docs[0].Found {
			t.Fatalf("get %s: %v %v", id, docs, err)
		}
		expect("get "+id, docs[0].Source, want[id])
	}
	docs, err := e.Get(ctx, "idx", "col", append([]string{"missing"}, ids...))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs[1:] {
		expect("mGet "+d.ID, d.Source, want[d.ID])
	}
	for _, body := range []string{
		`{"query":{"term":{"tag":"t"}}}`,                         // in SQL
		`{"query":{"regexp":{"tag":"[t]"}}}`,                     // filtered in Go
		`{"query":{"term":{"tag":"t"}},"sort":[{"_id":"desc"}]}`, // sorted
		`{}`,
	} {
		for _, scroll := range []bool{false, true} {
			s := parse(t, e, body)
			s.Size = len(ids)
			if scroll {
				s.Size, s.Scroll = 3, time.Minute
			}
			hits := searchAll(t, e, s)
			if len(hits) != len(ids) {
				t.Errorf("%s (scroll %v): %d hits, want %d", body, scroll, len(hits), len(ids))
			}
			for _, h := range hits {
				expect(fmt.Sprintf("%s (scroll %v): %s", body, scroll, h.ID), h.Source, want[h.ID])
			}
		}
	}
}

// searchAll runs s, then scrolls it to its end when it is a scroll.
func searchAll(t *testing.T, e *sqlstore.Engine, s *query.Search) []store.Hit {
	t.Helper()
	ctx := context.Background()
	res, err := e.Search(ctx, "idx", "col", s)
	if err != nil {
		t.Fatal(err)
	}
	hits := res.Hits
	for res.ScrollID != "" && len(hits) < res.Total {
		if res, err = e.Scroll(ctx, res.ScrollID, time.Minute); err != nil || len(res.Hits) == 0 {
			t.Fatalf("scroll after %d hits: %v", len(hits), err)
		}
		hits = append(hits, res.Hits...)
	}
	return hits
}
