package query

import (
	"reflect"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

func TestParseSearch(t *testing.T) {
	body := `{"query":{"term":{"tag":"a"}},"sort":["_id",{"n":{"order":"desc","missing":"_first"}}],
		"from":5,"size":20,"search_after":["x",3],"_source":{"includes":["a"],"excludes":"b,c"},
		"aggs":{"t":{"terms":{"field":"tag"}}}}`
	s, err := ParseSearch(jsonx.RawMessage(body), "", testMappings())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Query.(*Term); !ok {
		t.Errorf("query %T", s.Query)
	}
	if s.From != 5 || s.Size != 20 || len(s.SearchAfter) != 2 || len(s.Aggregations) != 1 {
		t.Errorf("from %d size %d after %v aggs %v", s.From, s.Size, s.SearchAfter, s.Aggregations)
	}
	if len(s.Sort) != 2 || s.Sort[0].Field.Name != "_id" || !s.Sort[1].Desc || !s.Sort[1].MissingFirst {
		t.Errorf("sort %+v", s.Sort)
	}
	if !reflect.DeepEqual(s.Source, SourceFilter{Includes: []string{"a"}, Excludes: []string{"b", "c"}}) {
		t.Errorf("source %+v", s.Source)
	}
	empty, err := ParseSearch(nil, "", nil)
	if err != nil || empty.Size != -1 || empty.Query != (MatchAll{}) {
		t.Errorf("empty body: %+v %v", empty, err)
	}
	k, err := ParseSearch(jsonx.RawMessage(`{"query":{"equals":{"tag":"a"}},"_source":false}`), "koncorde", nil)
	if err != nil || !k.Source.Disabled {
		t.Errorf("koncorde body: %+v %v", k, err)
	}
}

func TestSearchAfter(t *testing.T) {
	s, _ := ParseSearch(jsonx.RawMessage(`{"sort":[{"n":"desc"},"_id"],"search_after":[2,"b"]}`), "", testMappings())
	docs := map[string]map[string]any{"a": {"n": 3.0}, "b": {"n": 2.0}, "c": {"n": []any{1.0, 2.0}}, "d": {"n": 1.0}, "e": {}}
	var after []string
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if Compare(SortValues(docs[id], id, 1, s.Sort), s.SearchAfter, s.Sort) > 0 {
			after = append(after, id)
		}
	}
	if !reflect.DeepEqual(after, []string{"c", "d", "e"}) {
		t.Errorf("after %v", after)
	}
}

func TestFilterSource(t *testing.T) {
	src := jsonx.RawMessage(`{"a":{"b":1,"c":{"d":2}},"e":[{"f":1,"g":2}],"h":3,"hx":4}`)
	cases := []struct {
		name string
		f    SourceFilter
		want string
	}{
		{"none", SourceFilter{}, string(src)},
		{"disabled", SourceFilter{Disabled: true}, ""},
		{"include field", SourceFilter{Includes: []string{"h"}}, `{"h":3}`},
		{"include object", SourceFilter{Includes: []string{"a"}}, `{"a":{"b":1,"c":{"d":2}}}`},
		{"include nested", SourceFilter{Includes: []string{"a.c.d", "e.g"}}, `{"a":{"c":{"d":2}},"e":[{"g":2}]}`},
		{"include wildcard", SourceFilter{Includes: []string{"h*"}}, `{"h":3,"hx":4}`},
		{"include deep wildcard", SourceFilter{Includes: []string{"*.d"}}, `{"a":{"c":{"d":2}}}`},
		{"exclude", SourceFilter{Excludes: []string{"a.c", "e.f", "h"}}, `{"a":{"b":1},"e":[{"g":2}],"hx":4}`},
		{"both", SourceFilter{Includes: []string{"a"}, Excludes: []string{"a.b"}}, `{"a":{"c":{"d":2}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := FilterSource(src, tc.f)
			if string(got) != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestAggregate(t *testing.T) {
	docs := []map[string]any{
		{"tag": "a", "n": 1.0, "born": "2020-01-01T10:00:00Z"},
		{"tag": []any{"a", "b"}, "n": 5.0, "born": "2020-01-01T12:00:00Z"},
		{"tag": "b", "n": 10.0, "born": "2020-01-03T00:00:00Z"},
		{"tag": "c"},
	}
	cases := []struct{ aggs, want string }{
		{`{"t":{"terms":{"field":"tag","size":2}}}`,
			`{"t":{"buckets":[{"doc_count":2,"key":"a"},{"doc_count":2,"key":"b"}],"doc_count_error_upper_bound":0,"sum_other_doc_count":1}}`},
		{`{"t":{"terms":{"field":"tag","order":{"_key":"desc"}},"aggs":{"s":{"sum":{"field":"n"}}}}}`,
			`{"t":{"buckets":[{"doc_count":1,"key":"c","s":{"value":0}},{"doc_count":2,"key":"b","s":{"value":15}},{"doc_count":2,"key":"a","s":{"value":6}}],"doc_count_error_upper_bound":0,"sum_other_doc_count":0}}`},
		{`{"t":{"terms":{"field":"n","order":{"_count":"asc"},"size":1}}}`,
			`{"t":{"buckets":[{"doc_count":1,"key":1}],"doc_count_error_upper_bound":0,"sum_other_doc_count":2}}`},
		{`{"a":{"avg":{"field":"n"}},"mi":{"min":{"field":"n"}},"ma":{"max":{"field":"n"}},"c":{"value_count":{"field":"tag"}},"u":{"cardinality":{"field":"tag"}},"x":{"max":{"field":"none"}}}`,
			`{"a":{"value":5.333333333333333},"c":{"value":5},"ma":{"value":10},"mi":{"value":1},"u":{"value":3},"x":{"value":null}}`},
		{`{"r":{"range":{"field":"n","ranges":[{"to":5},{"from":5,"to":10,"key":"mid"},{"from":10}]}}}`,
			`{"r":{"buckets":[{"doc_count":1,"key":"*-5.0","to":5},{"doc_count":1,"from":5,"key":"mid","to":10},{"doc_count":1,"from":10,"key":"10.0-*"}]}}`},
		{`{"h":{"date_histogram":{"field":"born","calendar_interval":"day","format":"yyyy-MM-dd"}}}`,
			`{"h":{"buckets":[{"doc_count":2,"key":1577836800000,"key_as_string":"2020-01-01"},{"doc_count":0,"key":1577923200000,"key_as_string":"2020-01-02"},{"doc_count":1,"key":1578009600000,"key_as_string":"2020-01-03"}]}}`},
		{`{"h":{"date_histogram":{"field":"born","fixed_interval":"12h","min_doc_count":1},"aggs":{"m":{"max":{"field":"n"}}}}}`,
			`{"h":{"buckets":[{"doc_count":1,"key":1577836800000,"key_as_string":"2020-01-01T00:00:00.000Z","m":{"value":1}},{"doc_count":1,"key":1577880000000,"key_as_string":"2020-01-01T12:00:00.000Z","m":{"value":5}},{"doc_count":1,"key":1578009600000,"key_as_string":"2020-01-03T00:00:00.000Z","m":{"value":10}}]}}`},
		{`{"h":{"date_histogram":{"field":"born","calendar_interval":"1d","time_zone":"+10:00","min_doc_count":1}}}`,
			`{"h":{"buckets":[{"doc_count":2,"key":1577800800000,"key_as_string":"2020-01-01T00:00:00.000+10:00"},{"doc_count":1,"key":1577973600000,"key_as_string":"2020-01-03T00:00:00.000+10:00"}]}}`},
		{`{"d":{"min":{"field":"born"}}}`, `{"d":{"value":1577872800000,"value_as_string":"2020-01-01T10:00:00.000Z"}}`},
	}
	for _, tc := range cases {
		s, err := ParseSearch(jsonx.RawMessage(`{"aggs":`+tc.aggs+`}`), "", testMappings())
		if err != nil {
			t.Fatalf("%s: %v", tc.aggs, err)
		}
		got, _ := jsonx.Marshal(Aggregate(s.Aggregations, docs))
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.aggs, got, tc.want)
		}
	}
}
