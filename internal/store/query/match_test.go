package query

import (
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// testMappings is the fixture collection: a text title with a keyword
// sub-field, a keyword tag, numbers, a date, a boolean, a geo point and
// an object; everything else is dynamic.
func testMappings() *mapping.Mappings {
	return &mapping.Mappings{Properties: map[string]*mapping.Field{
		"title":   {Type: "text", Fields: map[string]*mapping.Field{"raw": {Type: "keyword"}}},
		"tag":     {Type: "keyword"},
		"n":       {Type: "long"},
		"price":   {Type: "float"},
		"born":    {Type: "date"},
		"day":     {Type: "date", Options: map[string]jsonx.RawMessage{"format": jsonx.RawMessage(`"dd/MM/yyyy||epoch_millis"`)}},
		"active":  {Type: "boolean"},
		"loc":     {Type: "geo_point"},
		"secret":  {Type: "keyword", Options: map[string]jsonx.RawMessage{"index": jsonx.RawMessage("false")}},
		"address": {Properties: map[string]*mapping.Field{"city": {Type: "keyword"}}},
		"closed":  {Dynamic: "false", Properties: map[string]*mapping.Field{"k": {Type: "keyword"}}},
	}}
}

func doc(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := jsonx.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad document %s: %v", s, err)
	}
	return m
}

func TestMatchesElasticsearch(t *testing.T) {
	cases := []struct {
		name, query string
		yes, no     []string
	}{
		{"match_all", `{"match_all":{}}`, []string{`{}`}, nil},
		{"empty", `{}`, []string{`{}`}, nil},
		{"match_none", `{"match_none":{}}`, nil, []string{`{}`}},
		{"match or", `{"match":{"title":"Quick FOX"}}`, []string{`{"title":"the quick brown"}`, `{"title":["a","fox!"]}`}, []string{`{"title":"quickly"}`, `{}`}},
		{"match and", `{"match":{"title":{"query":"quick fox","operator":"and"}}}`, []string{`{"title":"Fox, quick"}`, `{"title":["quick","fox"]}`}, []string{`{"title":"quick dog"}`}},
		{"match keyword whole", `{"match":{"tag":"Red Car"}}`, []string{`{"tag":"Red Car"}`}, []string{`{"tag":"red car"}`, `{"tag":"Red"}`}},
		{"match number", `{"match":{"n":"42"}}`, []string{`{"n":42}`, `{"n":"42"}`}, []string{`{"n":4}`}},
		{"match zero terms all", `{"match":{"title":{"query":"!!","zero_terms_query":"all"}}}`, []string{`{}`}, nil},
		{"match no token", `{"match":{"title":"!!"}}`, nil, []string{`{"title":"!!"}`}},
		{"match_phrase", `{"match_phrase":{"title":"brown fox"}}`, []string{`{"title":"The Brown-Fox"}`}, []string{`{"title":"fox brown"}`, `{"title":["brown","fox"]}`}},
		{"multi_match", `{"multi_match":{"query":"paris","fields":["title^2","address.city"]}}`, []string{`{"title":"to Paris"}`, `{"address":{"city":"paris"}}`}, []string{`{"address":{"city":"Paris"}}`}},
		{"multi_match phrase", `{"multi_match":{"query":"new york","type":"phrase","fields":["title"]}}`, []string{`{"title":"New York!"}`}, []string{`{"title":"york new"}`}},
		{"term text token", `{"term":{"title":"fox"}}`, []string{`{"title":"The Fox"}`}, []string{`{"title":"foxes"}`}},
		{"term text not analyzed", `{"term":{"title":"Fox"}}`, nil, []string{`{"title":"Fox"}`}},
		{"term keyword", `{"term":{"tag":"Red"}}`, []string{`{"tag":"Red"}`, `{"tag":["blue","Red"]}`}, []string{`{"tag":"red"}`, `{"tag":"Red car"}`}},
		{"term keyword number", `{"term":{"tag":"5"}}`, []string{`{"tag":5}`, `{"tag":"5"}`}, []string{`{"tag":"05"}`}},
		{"term long value form", `{"term":{"n":{"value":5}}}`, []string{`{"n":5}`, `{"n":"5"}`, `{"n":[1,5]}`}, []string{`{"n":6}`}},
		{"term bool", `{"term":{"active":true}}`, []string{`{"active":true}`, `{"active":"true"}`}, []string{`{"active":false}`, `{}`}},
		{"term date", `{"term":{"born":"2020-01-02"}}`, []string{`{"born":"2020-01-02T00:00:00Z"}`, `{"born":1577923200000}`}, []string{`{"born":"2020-01-03"}`}},
		{"term multi-field", `{"term":{"title.raw":"The Fox"}}`, []string{`{"title":"The Fox"}`}, []string{`{"title":"the fox"}`}},
		{"term dynamic text", `{"term":{"note":"hello"}}`, []string{`{"note":"Hello world"}`}, []string{`{"note":"hellos-world"}`}},
		{"term dynamic keyword", `{"term":{"note.keyword":"Hello world"}}`, []string{`{"note":"Hello world"}`, `{"note":["x","Hello world"]}`}, []string{`{"note":"hello world"}`}},
		{"term dynamic number", `{"term":{"count":3}}`, []string{`{"count":3}`, `{"count":"3"}`}, []string{`{"count":4}`}},
		{"term nested arrays", `{"term":{"a.b":1}}`, []string{`{"a":[{"b":2},{"b":[1]}]}`, `{"a.b":1}`}, []string{`{"a":{"c":1}}`}},
		{"term unindexed", `{"term":{"secret":"x"}}`, nil, []string{`{"secret":"x"}`}},
		{"term closed object", `{"term":{"closed.other":"x"}}`, nil, []string{`{"closed":{"other":"x"}}`}},
		{"term _id", `{"term":{"_id":"id1"}}`, []string{`{}`}, nil},
		{"terms", `{"terms":{"tag":["a","b"]}}`, []string{`{"tag":"b"}`, `{"tag":["c","a"]}`}, []string{`{"tag":"c"}`}},
		{"ids", `{"ids":{"values":["x","id1"]}}`, []string{`{}`}, nil},
		{"ids miss", `{"ids":{"values":["x"]}}`, nil, []string{`{}`}},
		{"range number", `{"range":{"n":{"gt":1,"lte":5}}}`, []string{`{"n":5}`, `{"n":[0,3]}`, `{"n":"2"}`}, []string{`{"n":1}`, `{"n":6}`, `{}`}},
		{"range keyword", `{"range":{"tag":{"gte":"b","lt":"d"}}}`, []string{`{"tag":"b"}`, `{"tag":"cz"}`}, []string{`{"tag":"d"}`, `{"tag":"a"}`}},
		{"range date", `{"range":{"born":{"gte":"2020-01-01","lt":"2021-01-01T00:00:00+01:00"}}}`, []string{`{"born":"2020-06-01"}`, `{"born":1590969600000}`, `{"born":"2020-12-31T22:30:00Z"}`}, []string{`{"born":"2020-12-31T23:30:00Z"}`, `{"born":"2019-12-31T23:59:59Z"}`, `{"born":"2021-01-01"}`}},
		{"range date epoch", `{"range":{"born":{"gt":1000,"format":"epoch_millis"}}}`, []string{`{"born":2000}`}, []string{`{"born":1000}`}},
		{"range date custom format", `{"range":{"day":{"gte":"01/02/2020","lt":1583020800000}}}`, []string{`{"day":"15/02/2020"}`, `{"day":1580515200000}`}, []string{`{"day":"01/03/2020"}`, `{"day":"2020-02-15"}`}},
		{"range date bound format", `{"range":{"born":{"gte":"2020","lt":"2021","format":"yyyy"}}}`, []string{`{"born":"2020-12-31"}`}, []string{`{"born":"2021-01-01"}`}},
		{"term date custom format", `{"term":{"day":"02/01/2020"}}`, []string{`{"day":"02/01/2020"}`, `{"day":1577923200000}`}, []string{`{"day":"2020-01-02"}`}},
		{"range date time_zone", `{"range":{"born":{"gte":"2020-01-01T00:00:00","time_zone":"+01:00"}}}`, []string{`{"born":"2019-12-31T23:30:00Z"}`}, []string{`{"born":"2019-12-31T22:30:00Z"}`}},
		{"range date math", `{"range":{"born":{"lt":"now-1d"}}}`, []string{`{"born":"2001-01-01"}`}, []string{`{"born":"2999-01-01"}`}},
		{"range text tokens", `{"range":{"title":{"gte":"m"}}}`, []string{`{"title":"A Zebra"}`}, []string{`{"title":"A Bee"}`}},
		{"exists", `{"exists":{"field":"tag"}}`, []string{`{"tag":"x"}`, `{"tag":["x",null]}`, `{"tag":""}`}, []string{`{}`, `{"tag":null}`, `{"tag":[]}`, `{"tag":[null]}`}},
		{"exists object", `{"exists":{"field":"address"}}`, []string{`{"address":{"city":"x"}}`}, []string{`{"address":{}}`}},
		{"prefix keyword", `{"prefix":{"tag":"Re"}}`, []string{`{"tag":"Red"}`}, []string{`{"tag":"red"}`}},
		{"prefix text", `{"prefix":{"title":{"value":"qui"}}}`, []string{`{"title":"The QUICK fox"}`}, []string{`{"title":"aquifer"}`}},
		{"wildcard", `{"wildcard":{"tag":"R?d*x"}}`, []string{`{"tag":"Red box"}`, `{"tag":"Rodx"}`}, []string{`{"tag":"Reed box"}`, `{"tag":"xRedx"}`}},
		{"wildcard long form", `{"wildcard":{"tag":{"wildcard":"a*"}}}`, []string{`{"tag":"abc"}`}, []string{`{"tag":"bac"}`}},
		{"regexp anchored", `{"regexp":{"tag":"ab+c"}}`, []string{`{"tag":"abbc"}`}, []string{`{"tag":"xabc"}`, `{"tag":"abcx"}`}},
		{"regexp literal caret", `{"regexp":{"tag":"^a.*"}}`, []string{`{"tag":"^abc"}`}, []string{`{"tag":"abc"}`}},
		{"regexp text token", `{"regexp":{"title":{"value":"f[aeiou]x"}}}`, []string{`{"title":"Big Fox"}`}, []string{`{"title":"Big fxx foxes"}`}},
		{"bool", `{"bool":{"must":{"term":{"tag":"a"}},"must_not":[{"term":{"n":1}}],"should":[{"term":{"n":2}},{"term":{"n":3}}]}}`,
			[]string{`{"tag":"a"}`, `{"tag":"a","n":2}`}, []string{`{"tag":"a","n":1}`, `{"tag":"b","n":2}`}},
		{"bool should only", `{"bool":{"should":[{"term":{"n":2}},{"term":{"tag":"x"}}]}}`, []string{`{"n":2}`, `{"tag":"x"}`}, []string{`{}`}},
		{"bool minimum_should_match", `{"bool":{"filter":[],"should":[{"term":{"n":2}},{"term":{"tag":"x"}},{"term":{"active":true}}],"minimum_should_match":"67%"}}`,
			[]string{`{"n":2,"tag":"x"}`, `{"n":2,"active":true}`}, []string{`{"n":2}`}},
		{"bool minimum_should_match negative", `{"bool":{"should":[{"term":{"n":2}},{"term":{"tag":"x"}}],"minimum_should_match":-1}}`, []string{`{"n":2}`}, []string{`{}`}},
		{"bool must_not only", `{"bool":{"must_not":{"exists":{"field":"tag"}}}}`, []string{`{}`}, []string{`{"tag":"x"}`}},
		{"constant_score", `{"constant_score":{"filter":{"term":{"tag":"a"}}}}`, []string{`{"tag":"a"}`}, []string{`{"tag":"b"}`}},
		{"geo_distance", `{"geo_distance":{"distance":"10km","loc":{"lat":43.6,"lon":3.9}}}`, []string{`{"loc":"43.61,3.91"}`, `{"loc":[3.9,43.6]}`, `{"loc":{"lat":43.65,"lon":3.9}}`}, []string{`{"loc":[43.6,3.9]}`, `{"loc":{"lat":44,"lon":3.9}}`}},
		{"geo_distance string point", `{"geo_distance":{"distance":"500m","loc":"0,0"}}`, []string{`{"loc":{"lat":0,"lon":0.004}}`}, []string{`{"loc":{"lat":0,"lon":0.005}}`}},
		{"geo_bounding_box", `{"geo_bounding_box":{"loc":{"top_left":{"lat":2,"lon":0},"bottom_right":[2,0]}}}`, []string{`{"loc":{"lat":1,"lon":1}}`, `{"loc":[[9,9],[1,1]]}`}, []string{`{"loc":{"lat":3,"lon":1}}`}},
		{"geo_bounding_box dateline", `{"geo_bounding_box":{"loc":{"top":10,"left":170,"bottom":0,"right":-170}}}`, []string{`{"loc":[179,5]}`, `{"loc":[-175,5]}`}, []string{`{"loc":[0,5]}`}},
		{"geo_polygon", `{"geo_polygon":{"loc":{"points":[[0,0],[10,0],[0,10]]}}}`, []string{`{"loc":{"lat":1,"lon":1}}`}, []string{`{"loc":{"lat":6,"lon":6}}`}},
	}
	m := testMappings()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseQuery(jsonx.RawMessage(tc.query), "", m)
			if err != nil {
				t.Fatalf("parse %s: %v", tc.query, err)
			}
			for _, d := range tc.yes {
				if !Matches(n, doc(t, d), "id1") {
					t.Errorf("%s should match %s", tc.query, d)
				}
			}
			for _, d := range tc.no {
				if Matches(n, doc(t, d), "id1") {
					t.Errorf("%s should not match %s", tc.query, d)
				}
			}
		})
	}
}
