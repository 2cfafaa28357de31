package query

import (
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, lang, query, id, names string
	}{
		{"unknown query", "", `{"fuzzy":{"a":"x"}}`, "services.storage.unknown_query_keyword", "fuzzy"},
		{"koncorde keyword in ES", "", `{"equals":{"a":"x"}}`, "services.storage.unknown_query_keyword", "equals"},
		{"nested unknown", "", `{"bool":{"must":[{"more_like_this":{}}]}}`, "services.storage.unknown_query_keyword", "more_like_this"},
		{"match option", "", `{"match":{"title":{"query":"x","fuzziness":2}}}`, "services.storage.invalid_query_keyword", "match.title.fuzziness"},
		{"phrase slop", "", `{"match_phrase":{"title":{"query":"x","slop":2}}}`, "services.storage.invalid_query_keyword", "match_phrase.title.slop"},
		{"term option", "", `{"term":{"tag":{"value":"x","case_insensitive":true}}}`, "services.storage.invalid_query_keyword", "term.tag.case_insensitive"},
		{"range option", "", `{"range":{"n":{"from":1}}}`, "services.storage.invalid_query_keyword", "range.n.from"},
		{"bool option", "", `{"bool":{"must":[],"adjust_pure_negative":true}}`, "services.storage.invalid_query_keyword", "bool.adjust_pure_negative"},
		{"match_all option", "", `{"match_all":{"x":1}}`, "services.storage.invalid_query_keyword", "match_all.x"},
		{"multi_match option", "", `{"multi_match":{"query":"x","fields":["a"],"tie_breaker":0.3}}`, "services.storage.invalid_query_keyword", "multi_match.tie_breaker"},
		{"term number", "", `{"term":{"n":"abc"}}`, "services.storage.invalid_argument", "a number"},
		{"terms bool", "", `{"terms":{"active":[true,"yes"]}}`, "services.storage.invalid_argument", "a boolean"},
		{"range date", "", `{"range":{"born":{"gte":"yesterday"}}}`, "services.storage.invalid_argument", "a date"},
		{"two clauses", "", `{"term":{"a":1},"match":{"b":2}}`, "services.storage.invalid_argument", "query"},
		{"term array", "", `{"term":{"a":[1]}}`, "services.storage.invalid_argument", "term.a"},
		{"term null", "", `{"term":{"a":null}}`, "services.storage.invalid_argument", "term.a"},
		{"terms not array", "", `{"terms":{"a":"x"}}`, "services.storage.invalid_argument", "terms.a"},
		{"bad operator", "", `{"match":{"a":{"query":"x","operator":"xor"}}}`, "services.storage.invalid_argument", "match.a.operator"},
		{"regexp operator", "", `{"regexp":{"a":"a~b"}}`, "services.storage.invalid_argument", "regexp.a"},
		{"regexp syntax", "", `{"regexp":{"a":"(a"}}`, "services.storage.invalid_argument", "regexp.a"},
		{"multi_match wildcard", "", `{"multi_match":{"query":"x","fields":["a*"]}}`, "services.storage.invalid_argument", "multi_match.fields"},
		{"minimum_should_match", "", `{"bool":{"should":[{"match_all":{}}],"minimum_should_match":"x"}}`, "services.storage.invalid_argument", "bool.minimum_should_match"},
		{"geo distance", "", `{"geo_distance":{"distance":"far","loc":"0,0"}}`, "services.storage.invalid_argument", "geo_distance.distance"},
		{"geo point", "", `{"geo_distance":{"distance":"1km","loc":"x,y"}}`, "services.storage.invalid_argument", "geo_distance.loc"},
		{"geo box", "", `{"geo_bounding_box":{"loc":{"top_left":[0,0]}}}`, "services.storage.invalid_argument", "geo_bounding_box.loc"},
		{"not an object", "", `[1]`, "services.storage.invalid_argument", "query"},
		{"bad lang", "sql", `{"a":1}`, "api.assert.invalid_argument", "lang"},
		{"koncorde bool", "koncorde", `{"bool":{"must":[]}}`, "api.assert.koncorde_restricted_keyword", "bool"},
		{"koncorde malformed", "koncorde", `{"equals":{"a":1,"b":2}}`, "api.assert.koncorde_dsl_error", ""},
		{"koncorde nested malformed", "koncorde", `{"or":[{"range":{"n":{"gt":"x"}}}]}`, "api.assert.koncorde_dsl_error", ""},
		{"koncorde and", "koncorde", `{"and":{}}`, "api.assert.koncorde_dsl_error", "and"},
		{"koncorde unknown", "koncorde", `{"foo":{"a":1}}`, "services.storage.unknown_query_keyword", "foo"},
		{"koncorde exists bracket", "koncorde", `{"exists":"a[1"}`, "services.koncorde.elastic_translation_error", "a[1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseQuery(jsonx.RawMessage(tc.query), tc.lang, testMappings())
			checkError(t, err, tc.id, tc.names)
		})
	}
}

func checkError(t *testing.T, err error, id, names string) {
	t.Helper()
	if got := errorID(err); got != id {
		t.Fatalf("error %v, want %s", err, id)
	}
	if !strings.Contains(err.Error(), names) {
		t.Errorf("error %q does not name %q", err, names)
	}
}

func TestParseSearchErrors(t *testing.T) {
	cases := []struct {
		name, body, id, names string
	}{
		{"unknown root key", `{"foo":1}`, "services.storage.invalid_search_query", "foo"},
		{"unsupported root key", `{"highlight":{}}`, "services.storage.invalid_query_keyword", "highlight"},
		{"unknown aggregation", `{"aggs":{"p":{"percentiles":{"field":"n"}}}}`, "services.storage.invalid_query_keyword", "aggregations.p.percentiles"},
		{"aggregation option", `{"aggs":{"t":{"terms":{"field":"tag","shard_size":3}}}}`, "services.storage.invalid_query_keyword", "aggregations.t.terms.shard_size"},
		{"metric with sub", `{"aggs":{"m":{"min":{"field":"n"},"aggs":{"x":{"max":{"field":"n"}}}}}}`, "services.storage.invalid_argument", "aggregations.m"},
		{"bad interval", `{"aggs":{"h":{"date_histogram":{"field":"born","fixed_interval":"1x"}}}}`, "services.storage.invalid_argument", "fixed_interval"},
		{"sort text", `{"sort":["title"]}`, "services.storage.invalid_argument", "sort.title"},
		{"sort order", `{"sort":[{"n":"up"}]}`, "services.storage.invalid_argument", "sort"},
		{"sort option", `{"sort":[{"n":{"nested":{}}}]}`, "services.storage.invalid_query_keyword", "sort.n.nested"},
		{"search_after", `{"sort":["n"],"search_after":[1,2]}`, "services.storage.invalid_argument", "search_after"},
		{"size", `{"size":-1}`, "services.storage.invalid_argument", "size"},
		{"source", `{"_source":1}`, "services.storage.invalid_argument", "_source"},
		{"query", `{"query":{"nope":{}}}`, "services.storage.unknown_query_keyword", "nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSearch(jsonx.RawMessage(tc.body), "", testMappings())
			checkError(t, err, tc.id, tc.names)
		})
	}
}
