package query

import (
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

// FuzzParseSearch checks that no body makes ParseSearch, Matches, Where,
// OrderBy or Aggregate panic.
func FuzzParseSearch(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"query":{"match":{"title":"quick fox"}},"sort":["n"],"aggs":{"t":{"terms":{"field":"tag"}}}}`,
		`{"query":{"bool":{"must":[{"range":{"born":{"gte":"now-1d/d"}}}],"should":{"regexp":{"tag":"a[bc]+"}}}}}`,
		`{"query":{"geo_distance":{"distance":"1km","loc":"u09tvw"}},"_source":["a*"]}`,
		`{"aggs":{"h":{"date_histogram":{"field":"born","fixed_interval":"1ms"}}}}`,
		`{"query":{"or":[{"exists":"a[\"x\"]"},{"geoDistanceRange":{"loc":[0,0],"from":"1km","to":"2km"}}]}}`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	docs := []map[string]any{
		{"title": "The quick fox", "tag": []any{"abc", 5.0}, "n": 3.0, "born": "2020-01-01", "loc": "0,0"},
		{"a": []any{"x"}, "born": -1e300, "n": "1e400"},
	}
	d := NewSQLiteDialect("doc", "id")
	f.Fuzz(func(t *testing.T, body []byte, koncorde bool) {
		lang := ""
		if koncorde {
			lang = "koncorde"
		}
		s, err := ParseSearch(jsonx.RawMessage(body), lang, testMappings())
		if err != nil {
			return
		}
		for _, doc := range docs {
			Matches(s.Query, doc, "x")
			SortValues(doc, "x", 1, s.Sort)
			raw, _ := jsonx.Marshal(doc)
			FilterSource(raw, s.Source)
		}
		Where(s.Query, d, testMappings())
		OrderBy(s.Sort, d)
		Aggregate(s.Aggregations, docs)
	})
}
