package node_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// searchMappings maps the fields of the search tests' documents.
const searchMappings = `{"properties":{"city":{"type":"keyword"},"n":{"type":"integer"},"text":{"type":"text"},"loc":{"type":"geo_point"}}}`

// searchDocs are the search tests' documents, created in this order in
// collection i:c.
var searchDocs = []struct{ id, body string }{
	{"d1", `{"city":"paris","n":5,"text":"The quick brown fox","loc":{"lat":48.85,"lon":2.35}}`},
	{"d2", `{"city":"nyc","n":1,"text":"Lazy dogs sleep","loc":{"lat":40.71,"lon":-74.0}}`},
	{"d3", `{"city":"paris","n":3,"text":"A brown dog"}`},
	{"d4", `{"city":"tokyo","text":"quick sushi"}`},
	{"d5", `{"city":"paris","n":4}`},
}

// searchServer starts a server (mutate may change its configuration) and
// returns a client subscribed to its responses, with collection i:c
// holding searchDocs.
func searchServer(t *testing.T, mutate func(*config.Config)) (*testServer, client) {
	t.Helper()
	srv := startServer(t, mutate)
	c := responseClient(t, srv)
	r := call(t, c, "collection", "create", `"index":"i","collection":"c","body":{"mappings":`+searchMappings+`}`)
	if errorID(r) == "api.process.controller_not_found" {
		t.Skip("collections are created through the collection controller, absent from this build")
	}
	if r.Status != 200 {
		t.Fatalf("collection:create: %s", r.raw)
	}
	for _, d := range searchDocs {
		mustCall(t, c, "document", "create", fmt.Sprintf(`"index":"i","collection":"c","_id":%q,"body":%s`, d.id, d.body))
	}
	return srv, c
}

// responseClient connects an MQTT 3.1.1 client subscribed to its
// responses.
func responseClient(t *testing.T, srv *testServer) client {
	t.Helper()
	c := connect3(t, srv.addr)
	if code := c.subscribe("Kuzzle/response"); code != 0 {
		t.Fatalf("subscribe to the response topic: code %#x", code)
	}
	return c
}

// ids lists the _id of each hit of a search result.
func ids(t *testing.T, result []byte) string {
	t.Helper()
	var r struct {
		Hits []struct {
			ID string `json:"_id"`
		} `json:"hits"`
	}
	if err := jsonx.Unmarshal(result, &r); err != nil {
		t.Fatalf("search result: %v: %s", err, result)
	}
	out := make([]string, len(r.Hits))
	for i, h := range r.Hits {
		out[i] = h.ID
	}
	return strings.Join(out, ",")
}

func TestDocumentSearchResults(t *testing.T) {
	_, c := searchServer(t, nil)
	tests := []struct {
		name, args, want string
	}{
		{"hits with their collection, _score null when sorted",
			`"body":{"query":{"term":{"city":"paris"}},"sort":["n"],"_source":["city","n"]}`,
			`{"hits":[{"_id":"d3","_score":null,"_source":{"city":"paris","n":3},"collection":"c","index":"i"},` +
				`{"_id":"d5","_score":null,"_source":{"city":"paris","n":4},"collection":"c","index":"i"},` +
				`{"_id":"d1","_score":null,"_source":{"city":"paris","n":5},"collection":"c","index":"i"}],"total":3}`},
		{"from and size arguments override the body's, _source disabled",
			`"from":1,"size":1,"body":{"from":0,"size":5,"_source":false}`,
			`{"hits":[{"_id":"d2","_score":1,"collection":"c","index":"i"}],"total":5}`},
		{"aggregations first",
			`"size":0,"body":{"aggs":{"top":{"max":{"field":"n"}}}}`,
			`{"aggregations":{"top":{"value":5}},"hits":[],"total":5}`},
		{"lang koncorde",
			`"lang":"koncorde","size":0,"body":{"query":{"and":[{"equals":{"city":"paris"}},{"range":{"n":{"lt":5}}}]}}`,
			`{"hits":[],"total":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustCall(t, c, "document", "search", `"index":"i","collection":"c",`+tt.args)
			if string(r.Result) != tt.want {
				t.Errorf("got  %s\nwant %s", r.Result, tt.want)
			}
		})
	}
}

// searchLanguageCases are queries on searchDocs (lang "" is
// elasticsearch) and the ids they find.
var searchLanguageCases = []struct{ query, lang, want string }{
	{`{"term":{"city":"nyc"}}`, "", "d2"},
	{`{"terms":{"city":["nyc","tokyo"]}}`, "", "d2,d4"},
	{`{"range":{"n":{"gt":3}}}`, "", "d1,d5"},
	{`{"match":{"text":"QUICK fox"}}`, "", "d1,d4"},
	{`{"match_phrase":{"text":"brown fox"}}`, "", "d1"},
	{`{"bool":{"must":[{"term":{"city":"paris"}}],"must_not":[{"range":{"n":{"gte":5}}}]}}`, "", "d3,d5"},
	{`{"bool":{"filter":{"exists":{"field":"loc"}}}}`, "", "d1,d2"},
	{`{"ids":{"values":["d4","d1","zz"]}}`, "", "d1,d4"},
	{`{"prefix":{"city":"pa"}}`, "", "d1,d3,d5"},
	{`{"wildcard":{"city":"*y*"}}`, "", "d2,d4"},
	{`{"regexp":{"city":"n.c"}}`, "", "d2"},
	{`{"geo_distance":{"distance":"10km","loc":{"lat":48.86,"lon":2.34}}}`, "", "d1"},
	{`{"match_all":{}}`, "", "d1,d2,d3,d4,d5"},
	{`{"in":{"city":["tokyo","nyc"]}}`, "koncorde", "d2,d4"},
	{`{"not":{"exists":"n"}}`, "koncorde", "d4"},
	{`{"or":[{"equals":{"n":1}},{"equals":{"n":3}}]}`, "koncorde", "d2,d3"},
}

func TestDocumentSearchLanguages(t *testing.T) {
	_, c := searchServer(t, nil)
	testSearchLanguages(t, c)
}

// testSearchLanguages runs searchLanguageCases through client c.
func testSearchLanguages(t *testing.T, c client) {
	t.Helper()
	tests := searchLanguageCases
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			args := `"index":"i","collection":"c","body":{"query":` + tt.query + `}`
			if tt.lang != "" {
				args += `,"lang":"` + tt.lang + `"`
			}
			if got := ids(t, mustCall(t, c, "document", "search", args).Result); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDocumentSearchErrors(t *testing.T) {
	_, c := searchServer(t, func(cfg *config.Config) { cfg.Limits.DocumentsFetchCount = 10 })
	mustCall(t, c, "collection", "create", `"index":"i","collection":"c2"`)
	tests := []struct{ name, args, id, inMessage string }{
		{"no target", `"body":{}`, "api.assert.missing_argument", "index, collection or targets"},
		{"no collection", `"index":"i"`, "api.assert.missing_argument", "collection"},
		{"several collections", `"index":"i","collection":"c,c2"`, "services.storage.invalid_multi_index_collection_usage", ""},
		{"unknown collection", `"index":"i","collection":"nope"`, "services.storage.unknown_collection", ""},
		{"unknown index", `"index":"nope","collection":"c"`, "services.storage.unknown_index", ""},
		{"size over the fetch limit", `"index":"i","collection":"c","size":11`, "services.storage.get_limit_exceeded", ""},
		{"scroll too long", `"index":"i","collection":"c","scroll":"2m"`, "services.storage.scroll_duration_too_great", "2m"},
		{"scroll not a string", `"index":"i","collection":"c","scroll":30`, "api.assert.invalid_type", "scroll"},
		{"bad lang", `"index":"i","collection":"c","lang":"sql"`, "api.assert.invalid_argument", "lang"},
		{"root key not allowed", `"index":"i","collection":"c","body":{"script":{}}`, "services.storage.invalid_search_query", "script"},
		{"root key outside the subset", `"index":"i","collection":"c","body":{"highlight":{}}`, "services.storage.invalid_query_keyword", "highlight"},
		{"unknown query", `"index":"i","collection":"c","body":{"query":{"fuzzy":{"city":"paris"}}}`, "services.storage.unknown_query_keyword", "fuzzy"},
		{"unknown option", `"index":"i","collection":"c","body":{"query":{"term":{"city":{"value":"x","boost":2,"zap":1}}}}`, "services.storage.invalid_query_keyword", "zap"},
		{"koncorde error", `"index":"i","collection":"c","lang":"koncorde","body":{"query":{"equals":{"a":1,"b":2}}}`, "api.assert.koncorde_dsl_error", "equals"},
		{"bad target", `"targets":[{"index":"i","collections":["c*"]}]`, "services.storage.invalid_target_format", "targets[0].collections[0]"},
		{"target without collections", `"targets":[{"index":"i"}]`, "api.assert.missing_argument", "targets[0].collections"},
		{"scroll over targets", `"targets":[{"index":"i","collections":["c","c2"]}],"scroll":"10s"`, "services.storage.invalid_argument", "targets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, c, "document", "search", tt.args)
			if errorID(r) != tt.id || !strings.Contains(r.Error.Message, tt.inMessage) {
				t.Errorf("got %s, want %s naming %q", r.raw, tt.id, tt.inMessage)
			}
		})
	}
	if r := call(t, c, "document", "export", `"index":"i","collection":"c"`); errorID(r) != "api.assert.unsupported_protocol" ||
		r.Error.Message != `The protocol "mqtt" is not supported by the API action "document:export".` {
		t.Errorf("export over MQTT: %s", r.raw)
	}
}

func TestDocumentSearchTargets(t *testing.T) {
	_, c := searchServer(t, nil)
	mustCall(t, c, "collection", "create", `"index":"j","collection":"c","body":{"mappings":{"properties":{"n":{"type":"integer"}}}}`)
	mustCall(t, c, "document", "create", `"index":"j","collection":"c","_id":"e1","body":{"n":2}`)
	r := mustCall(t, c, "document", "search", `"targets":[{"index":"i","collections":["c"]},{"index":"j","collections":["c"]}],`+
		`"size":3,"body":{"sort":[{"n":"desc"}],"_source":"n"}`)
	want := `{"hits":[{"_id":"d1","_score":null,"_source":{"n":5},"collection":"c","index":"i"},` +
		`{"_id":"d5","_score":null,"_source":{"n":4},"collection":"c","index":"i"},` +
		`{"_id":"d3","_score":null,"_source":{"n":3},"collection":"c","index":"i"}],"total":6}`
	if string(r.Result) != want {
		t.Errorf("got  %s\nwant %s", r.Result, want)
	}
	r = mustCall(t, c, "document", "search", `"targets":[{"index":"j","collections":["c"]},{"index":"i","collections":["c"]}],"from":3,"body":{"sort":["n"]}`)
	if got := ids(t, r.Result); got != "d5,d1,d4" {
		t.Errorf("second page: %s", got)
	}
}

func TestDocumentScrollAndCount(t *testing.T) {
	_, c := searchServer(t, nil)
	r := mustCall(t, c, "document", "search", `"index":"i","collection":"c","size":2,"scroll":"10s","body":{"sort":["_id"]}`)
	var page struct {
		ScrollID  string `json:"scrollId"`
		Remaining int    `json:"remaining"`
		Total     int    `json:"total"`
	}
	if err := jsonx.Unmarshal(r.Result, &page); err != nil || page.ScrollID == "" || page.Remaining != 3 || page.Total != 5 || ids(t, r.Result) != "d1,d2" {
		t.Fatalf("scrolled search: %s", r.Result)
	}
	for _, want := range []struct {
		ids       string
		remaining int
	}{{"d3,d4", 1}, {"d5", 0}} {
		r := mustCall(t, c, "document", "scroll", `"scrollId":"`+page.ScrollID+`"`)
		if ids(t, r.Result) != want.ids || !strings.Contains(string(r.Result), fmt.Sprintf(`"remaining":%d,"scrollId":"%s","total":5}`, want.remaining, page.ScrollID)) ||
			!strings.Contains(string(r.Result), `"collection":"c","index":"i"`) {
			t.Errorf("scroll page: %s, want %s", r.Result, want.ids)
		}
	}
	if r := call(t, c, "document", "scroll", `"scrollId":"`+page.ScrollID+`"`); errorID(r) != "services.storage.unknown_scroll_id" {
		t.Errorf("scroll past the end: %s", r.raw)
	}
	if r := call(t, c, "document", "scroll", ``); errorID(r) != "api.assert.missing_argument" {
		t.Errorf("scroll without id: %s", r.raw)
	}
	if r := call(t, c, "document", "scroll", `"scrollId":"x","scroll":"5m"`); errorID(r) != "services.storage.scroll_duration_too_great" {
		t.Errorf("scroll too long: %s", r.raw)
	}
	counts := []struct{ args, want string }{
		{``, `{"count":5}`},
		{`"body":{"query":{"term":{"city":"paris"}}}`, `{"count":3}`},
		{`"lang":"koncorde","body":{"query":{"exists":"loc"}}`, `{"count":2}`},
	}
	for _, tt := range counts {
		args := `"index":"i","collection":"c"`
		if tt.args != "" {
			args += "," + tt.args
		}
		if r := mustCall(t, c, "document", "count", args); string(r.Result) != tt.want {
			t.Errorf("count %s: %s", tt.args, r.Result)
		}
	}
}

func TestDocumentDeleteByQuery(t *testing.T) {
	srv, c := searchServer(t, func(cfg *config.Config) { cfg.Limits.DocumentsWriteCount = 3 })
	listener := responseClient(t, srv)
	room := subscribe(t, listener, `{"equals":{"city":"paris"}}`, "")
	if r := call(t, c, "document", "deleteByQuery", `"index":"i","collection":"c","body":{"query":{"range":{"n":{"gte":1}}}}`); errorID(r) != "services.storage.write_limit_exceeded" {
		t.Fatalf("4 documents over a limit of 3: %s", r.raw)
	}
	r := mustCall(t, c, "document", "deleteByQuery", `"index":"i","collection":"c","body":{"query":{"range":{"n":{"lt":5}}}}`)
	if want := `{"documents":[{"_id":"d2"},{"_id":"d3"},{"_id":"d5"}],"ids":["d2","d3","d5"]}`; string(r.Result) != want {
		t.Errorf("deleteByQuery: %s", r.Result)
	}
	for _, id := range []string{"d3", "d5"} {
		n := nextNotification(t, listener, room.Channel)
		if n.Action != "delete" || n.Scope != "out" || n.Event != "delete" || n.Controller != "document" || n.Result.ID != id || n.Result.Source["city"] != "paris" {
			t.Errorf("notification of %s: %s", id, n.raw)
		}
	}
	roundTrip(t, listener) // d2 matched no room
	r = mustCall(t, c, "document", "deleteByQuery", `"index":"i","collection":"c","source":true,"lang":"koncorde","body":{"query":{"equals":{"city":"tokyo"}}}`)
	// compared as values: the store may change the source's key order
	// (PostgreSQL's JSONB)
	var deleted struct {
		Documents []struct {
			ID     string         `json:"_id"`
			Source map[string]any `json:"_source"`
		} `json:"documents"`
		IDs []string `json:"ids"`
	}
	if err := jsonx.Unmarshal(r.Result, &deleted); err != nil || len(deleted.Documents) != 1 || deleted.Documents[0].ID != "d4" ||
		fmt.Sprint(deleted.IDs) != "[d4]" {
		t.Fatalf("deleteByQuery with source: %s", r.Result)
	}
	src := deleted.Documents[0].Source
	info, _ := src["_kuzzle_info"].(map[string]any)
	if src["city"] != "tokyo" || src["text"] != "quick sushi" || info["author"] != "-1" || info["updatedAt"] != nil || info["updater"] != nil {
		t.Errorf("deleteByQuery with source: %s", r.Result)
	}
	if r := mustCall(t, c, "document", "deleteByQuery", `"index":"i","collection":"c","silent":true,"body":{"query":{"ids":{"values":["d1"]}}}`); string(r.Result) != `{"documents":[{"_id":"d1"}],"ids":["d1"]}` {
		t.Errorf("silent deleteByQuery: %s", r.Result)
	}
	roundTrip(t, listener)
	expectNothingBefore(t, listener)
	if r := mustCall(t, c, "document", "count", `"index":"i","collection":"c"`); string(r.Result) != `{"count":0}` {
		t.Errorf("left: %s", r.Result)
	}
	if r := call(t, c, "document", "deleteByQuery", `"index":"i","collection":"c","body":{"query":[]}`); errorID(r) != "api.assert.invalid_type" {
		t.Errorf("query not an object: %s", r.raw)
	}
}

func TestDocumentUpdateByQuery(t *testing.T) {
	srv, c := searchServer(t, nil)
	listener := responseClient(t, srv)
	room := subscribe(t, listener, `{"range":{"n":{"gte":10}}}`, "")
	r := mustCall(t, c, "document", "updateByQuery", `"index":"i","collection":"c",`+
		`"body":{"query":{"term":{"city":"paris"}},"changes":{"n":10,"meta":{"tag":"x"},"_kuzzle_info":{"author":"me"}}}`)
	want := `{"errors":[],"successes":[{"_id":"d1","_version":2,"status":200},{"_id":"d3","_version":2,"status":200},{"_id":"d5","_version":2,"status":200}]}`
	if string(r.Result) != want {
		t.Errorf("updateByQuery: %s", r.Result)
	}
	for _, id := range []string{"d1", "d3", "d5"} {
		n := nextNotification(t, listener, room.Channel)
		info, _ := n.Result.Source["_kuzzle_info"].(map[string]any)
		if n.Action != "update" || n.Scope != "in" || n.Result.ID != id || n.Result.Source["n"] != float64(10) ||
			info["author"] != "-1" || info["updater"] != "-1" || !strings.Contains(string(n.raw), `"_updatedFields":["n","meta.tag"]`) {
			t.Errorf("notification of %s: %s", id, n.raw)
		}
	}
	// Mapping errors are reported per document, with the changes.
	r = mustCall(t, c, "document", "updateByQuery", `"index":"i","collection":"c","source":true,`+
		`"body":{"query":{"ids":{"values":["d2"]}},"changes":{"n":"many"}}`)
	if !strings.HasPrefix(string(r.Result), `{"errors":[{"document":{"_id":"d2","_source":{"n":"many"}},"reason":`) || !strings.HasSuffix(string(r.Result), `"status":400}],"successes":[]}`) {
		t.Errorf("updateByQuery refused by the mapping: %s", r.Result)
	}
	r = mustCall(t, c, "document", "updateByQuery", `"index":"i","collection":"c","source":true,"lang":"koncorde",`+
		`"body":{"query":{"equals":{"city":"tokyo"}},"changes":{"n":20}}`)
	if !strings.HasPrefix(string(r.Result), `{"errors":[],"successes":[{"_id":"d4","_source":{"_kuzzle_info":{"author":"-1",`) ||
		!strings.Contains(string(r.Result), `"city":"tokyo","n":20,"text":"quick sushi"}`) || !strings.HasSuffix(string(r.Result), `,"_version":2,"status":200}]}`) {
		t.Errorf("updateByQuery with source: %s", r.Result)
	}
	if n := nextNotification(t, listener, room.Channel); n.Result.ID != "d4" || n.Scope != "in" {
		t.Errorf("notification of d4: %s", n.raw)
	}
	for _, tt := range []struct{ body, id string }{
		{`{"changes":{"n":1}}`, "api.assert.missing_argument"},
		{`{"query":{}}`, "api.assert.missing_argument"},
		{`{"query":{},"changes":[]}`, "api.assert.invalid_type"},
	} {
		if r := call(t, c, "document", "updateByQuery", `"index":"i","collection":"c","body":`+tt.body); errorID(r) != tt.id {
			t.Errorf("%s: %s", tt.body, r.raw)
		}
	}
	if r := call(t, c, "document", "updateByQuery", `"index":"i","collection":"c"`); errorID(r) != "api.assert.body_required" {
		t.Errorf("no body: %s", r.raw)
	}
}

func TestBulkByQuery(t *testing.T) {
	srv, c := searchServer(t, func(cfg *config.Config) { cfg.Limits.DocumentsWriteCount = 1 })
	listener := responseClient(t, srv)
	subscribe(t, listener, `{}`, "")
	if r := mustCall(t, c, "bulk", "updateByQuery", `"index":"i","collection":"c","body":{"query":{"term":{"city":"paris"}},"changes":{"n":7}}`); string(r.Result) != `{"updated":3}` {
		t.Errorf("bulk:updateByQuery: %s", r.Result)
	}
	r := mustCall(t, c, "document", "search", `"index":"i","collection":"c","body":{"query":{"term":{"n":7}},"_source":"_kuzzle_info.updater"}`)
	if ids(t, r.Result) != "d1,d3,d5" || !strings.Contains(string(r.Result), `"_source":{"_kuzzle_info":{"updater":null}}`) {
		t.Errorf("after bulk:updateByQuery (no metadata): %s", r.Result)
	}
	if r := mustCall(t, c, "bulk", "deleteByQuery", `"index":"i","collection":"c","body":{"query":{"range":{"n":{"lte":7}}}}`); string(r.Result) != `{"deleted":4}` {
		t.Errorf("bulk:deleteByQuery: %s", r.Result)
	}
	if r := call(t, c, "bulk", "deleteByQuery", `"index":"i","collection":"c","body":{}`); errorID(r) != "api.assert.missing_argument" {
		t.Errorf("bulk:deleteByQuery without query: %s", r.raw)
	}
	roundTrip(t, listener)
	expectNothingBefore(t, listener)
	if r := mustCall(t, c, "document", "count", `"index":"i","collection":"c"`); string(r.Result) != `{"count":1}` {
		t.Errorf("left: %s", r.Result)
	}
}
