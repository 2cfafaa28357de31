package node_test

import (
	"context"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// documentServer starts a server whose store already holds the collection
// i:c (the realtime helpers' index and collection) with mappings (JSON,
// "" for none), and returns a client subscribed to its responses.
func documentServer(t *testing.T, mappings string, mutate func(*config.Config)) (*testServer, client) {
	t.Helper()
	dir := t.TempDir()
	engine, err := openTestStore(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	var m *mapping.Mappings
	if mappings != "" {
		if m, err = mapping.Parse([]byte(mappings)); err != nil {
			t.Fatal(err)
		}
	}
	if err := engine.CreateCollection(context.Background(), "i", "c", m, nil); err != nil {
		t.Fatal(err)
	}
	if err := engine.Close(); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, func(cfg *config.Config) {
		cfg.Storage.Path = dir
		if mutate != nil {
			mutate(cfg)
		}
	})
	c := connect3(t, srv.addr)
	if code := c.subscribe("Kuzzle/response"); code != 0 {
		t.Fatalf("subscribe to the response topic: code %#x", code)
	}
	return srv, c
}

// onDoc is call on the document controller and the collection i:c.
func onDoc(t *testing.T, c client, action, extra string) response {
	t.Helper()
	if extra != "" {
		extra = "," + extra
	}
	return call(t, c, "document", action, `"index":"i","collection":"c"`+extra)
}

// normalized decodes JSON and encodes it again with sorted keys, the
// timestamps of _kuzzle_info (createdAt, updatedAt) replaced by "T".
func normalized(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := jsonx.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, raw)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, sub := range v {
				if _, isNumber := sub.(float64); isNumber && (k == "createdAt" || k == "updatedAt") {
					v[k] = "T"
				} else {
					v[k] = walk(sub)
				}
			}
		case []any:
			for i := range v {
				v[i] = walk(v[i])
			}
		}
		return v
	}
	out, err := jsonx.Marshal(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// sameJSON fails unless got and want are the same JSON value (timestamps
// aside, see normalized).
func sameJSON(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if g, w := normalized(t, got), normalized(t, []byte(want)); g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// created is the _kuzzle_info of a document created anonymously.
const created = `{"author":"-1","createdAt":"T","updatedAt":null,"updater":null}`

// written is the _kuzzle_info of a document written (replaced)
// anonymously.
const written = `{"author":"-1","createdAt":"T","updatedAt":"T","updater":"-1"}`

func TestDocumentSingleWrites(t *testing.T) {
	_, c := documentServer(t, "", nil)
	steps := []struct {
		action, args string
		result       string // "" for an error
		errorID      string
	}{
		{"createOrReplace", `"_id":"a","body":{"n":1}`,
			`{"_id":"a","_source":{"n":1,"_kuzzle_info":` + written + `},"_version":1,"created":true}`, ""},
		{"createOrReplace", `"_id":"a","body":{"n":2,"_kuzzle_info":{"author":"x"}}`,
			`{"_id":"a","_source":{"n":2,"_kuzzle_info":` + written + `},"_version":2,"created":false}`, ""},
		{"createOrReplace", `"body":{"n":2}`, "", "api.assert.missing_argument"},
		{"createOrReplace", `"_id":"a","body":{"_routing":"x"}`, "", "services.storage.no_routing"},
		{"create", `"body":{"_routing":"x"}`, "", "services.storage.no_routing"},
		{"createOrReplace", `"_id":"a","body":{"n":2},"refresh":"now"`, "", "services.storage.invalid_argument"},
		{"replace", `"_id":"a","body":{"m":{"x":1,"y":2}}`,
			`{"_id":"a","_source":{"m":{"x":1,"y":2},"_kuzzle_info":` + written + `},"_version":3}`, ""},
		{"replace", `"_id":"nope","body":{"n":1}`, "", "services.storage.not_found"},
		{"replace", `"_id":"a","body":[1]`, "", "api.assert.invalid_type"},
		{"update", `"_id":"a","body":{"m":{"y":3},"k":"v","_kuzzle_info":{"author":"x"}}`,
			`{"_id":"a","_source":{"m":{"y":3},"k":"v","_kuzzle_info":` + written + `},"_version":4}`, ""},
		{"update", `"_id":"a","body":{"k":"w"},"source":true`,
			`{"_id":"a","_source":{"m":{"x":1,"y":3},"k":"w","_kuzzle_info":` + written + `},"_version":5}`, ""},
		{"update", `"_id":"nope","body":{"k":"w"}`, "", "services.storage.not_found"},
		{"update", `"_id":"a"`, "", "api.assert.body_required"},
		{"upsert", `"_id":"u","body":{"changes":{"k":"v"},"default":{"d":1,"k":"x"}}`,
			`{"_id":"u","_version":1,"created":true}`, ""},
		{"get", `"_id":"u"`,
			`{"_id":"u","_source":{"d":1,"k":"v","_kuzzle_info":{"updatedAt":"T","updater":"-1"}},"_version":1}`, ""},
		{"upsert", `"_id":"u","body":{"changes":{"k":"w"},"default":{"d":2}},"source":true`,
			`{"_id":"u","_source":{"d":1,"k":"w","_kuzzle_info":{"updatedAt":"T","updater":"-1"}},"_version":2,"created":false}`, ""},
		{"upsert", `"_id":"u","body":{"default":{"d":2}}`, "", "api.assert.missing_argument"},
		{"upsert", `"_id":"u","body":{"changes":[1]}`, "", "api.assert.invalid_type"},
		{"upsert", `"_id":"u","body":{"changes":{},"default":3}`, "", "api.assert.invalid_type"},
		{"deleteFields", `"_id":"a","body":{"fields":["m.x","k","no.such"]}`, `{"_id":"a","_version":6}`, ""},
		{"deleteFields", `"_id":"a","body":{"fields":["m"]},"source":true`,
			`{"_id":"a","_source":{"_kuzzle_info":` + written + `},"_version":7}`, ""},
		{"deleteFields", `"_id":"a","body":{"fields":"m"}`, "", "api.assert.invalid_type"},
		{"deleteFields", `"_id":"a","body":{}`, "", "api.assert.missing_argument"},
		{"deleteFields", `"_id":"nope","body":{"fields":[]}`, "", "services.storage.not_found"},
		{"exists", `"_id":"a"`, `true`, ""},
		{"exists", `"_id":"nope"`, `false`, ""},
		{"delete", `"_id":"a"`, `{"_id":"a"}`, ""},
		{"exists", `"_id":"a"`, `false`, ""},
		{"delete", `"_id":"a"`, "", "services.storage.not_found"},
		{"delete", `"_id":"u","source":true`,
			`{"_id":"u","_source":{"d":1,"k":"w","_kuzzle_info":{"updatedAt":"T","updater":"-1"}},"_version":2}`, ""},
		{"delete", `"_id":"_search"`, "", "services.storage.search_as_an_id"},
		{"get", `"_id":"_search"`, "", "services.storage.search_as_an_id"},
		{"delete", `"_id":1`, "", "api.assert.invalid_type"},
		{"createOrReplace", `"collection":"nope","_id":"a","body":{}`, "", "services.storage.unknown_collection"},
	}
	for _, s := range steps {
		r := onDoc(t, c, s.action, s.args)
		if s.errorID != "" {
			if errorID(r) != s.errorID {
				t.Errorf("%s %s: %s, want %s", s.action, s.args, r.raw, s.errorID)
			}
			continue
		}
		if r.Status != 200 {
			t.Errorf("%s %s: %s", s.action, s.args, r.raw)
			continue
		}
		sameJSON(t, s.action+" "+s.args, r.Result, s.result)
	}
}

func TestDocumentMultiReads(t *testing.T) {
	_, c := documentServer(t, "", func(cfg *config.Config) { cfg.Limits.DocumentsFetchCount = 3 })
	for _, id := range []string{"a", "b"} {
		if r := onDoc(t, c, "create", `"_id":"`+id+`","body":{"id":"`+id+`"}`); r.Status != 200 {
			t.Fatal(string(r.raw))
		}
	}
	cases := []struct {
		action, args string
		result       string
		errorID      string
	}{
		{"mGet", `"body":{"ids":["a","x","b"]}`,
			`{"errors":["x"],"successes":[{"_id":"a","_source":{"id":"a","_kuzzle_info":` + created + `},"_version":1},` +
				`{"_id":"b","_source":{"id":"b","_kuzzle_info":` + created + `},"_version":1}]}`, ""},
		{"mGet", `"ids":["b"]`, `{"errors":[],"successes":[{"_id":"b","_source":{"id":"b","_kuzzle_info":` + created + `},"_version":1}]}`, ""},
		{"mGet", `"ids":[]`, `{"errors":[]}`, ""},
		{"mGet", `"body":{"ids":[]}`, "", "api.assert.missing_argument"},
		{"mGet", `"body":{"ids":{"a":1}}`, "", "api.assert.invalid_type"},
		{"mGet", `"body":{"ids":["a","b","c","d"]}`, "", "services.storage.get_limit_exceeded"},
		{"mGet", `"body":{"ids":["a","x"]},"strict":true`, "", "api.process.incomplete_multiple_request"},
		{"mExists", `"body":{"ids":["a","x","b"]}`, `{"errors":["x"],"successes":["a","b"]}`, ""},
		{"mExists", `"ids":["x"],"strict":true`, "", "api.process.incomplete_multiple_request"},
		{"mExists", ``, "", "api.assert.missing_argument"},
		{"mExists", `"collection":"nope","ids":["a"]`, "", "services.storage.unknown_collection"},
	}
	for _, tc := range cases {
		r := onDoc(t, c, tc.action, tc.args)
		if tc.errorID != "" {
			if errorID(r) != tc.errorID {
				t.Errorf("%s %s: %s, want %s", tc.action, tc.args, r.raw, tc.errorID)
			}
			continue
		}
		if r.Status != 200 {
			t.Errorf("%s %s: %s", tc.action, tc.args, r.raw)
			continue
		}
		sameJSON(t, tc.action+" "+tc.args, r.Result, tc.result)
	}
	r := onDoc(t, c, "mGet", `"body":{"ids":["a","x","y"]},"strict":true`)
	sameJSON(t, "strict mGet's error", errorPart(t, r), `{"errors":["x","y"],"count":2,"status":400}`)
}

// errorPart returns a partial error's errors, count and status.
func errorPart(t *testing.T, r response) []byte {
	t.Helper()
	var e struct {
		Error struct {
			Errors jsonx.RawMessage `json:"errors"`
			Count  int              `json:"count"`
			Status int              `json:"status"`
		} `json:"error"`
	}
	if err := jsonx.Unmarshal(r.raw, &e); err != nil {
		t.Fatal(err)
	}
	out, _ := jsonx.Marshal(e.Error)
	return out
}

func TestDocumentValidate(t *testing.T) {
	_, c := documentServer(t, "", nil)
	if r := onDoc(t, c, "validate", `"body":{"a":1}`); r.Status != 200 || string(r.Result) != `{"errorMessages":{},"valid":true}` {
		t.Errorf("validate without specifications: %s", r.raw)
	}
	if r := onDoc(t, c, "validate", ``); errorID(r) != "api.assert.body_required" {
		t.Errorf("validate without body: %s", r.raw)
	}
	if r := call(t, c, "document", "validate", `"index":"i","body":{}`); errorID(r) != "api.assert.missing_argument" {
		t.Errorf("validate without collection: %s", r.raw)
	}
}

// generatedIDs replaces the ids of the successes of an m* answer that the
// server generated (those not in given) by "G".
func generatedIDs(t *testing.T, raw []byte, given ...string) []byte {
	t.Helper()
	out := string(raw)
	var res struct {
		Successes []jsonx.RawMessage `json:"successes"`
	}
	if jsonx.Unmarshal(raw, &res) != nil {
		return raw // no m* answer
	}
	for _, item := range res.Successes {
		var s struct {
			ID string `json:"_id"`
		}
		if jsonx.Unmarshal(item, &s) != nil {
			continue // mDelete's successes are ids
		}
		known := false
		for _, g := range given {
			known = known || g == s.ID
		}
		if !known {
			out = strings.ReplaceAll(out, `"`+s.ID+`"`, `"G"`)
		}
	}
	return []byte(out)
}

func TestDocumentWritesValidated(t *testing.T) {
	_, c := documentServer(t, "", nil)
	const ic = `"index":"i","collection":"c"`
	runChecks(t, c, []check{
		{"specifications", "collection", "updateSpecifications", ic + `,"body":{"fields":{"n":{"type":"integer","defaultValue":5},"k":{"type":"string"}}}`, "*", ""},
		{"create", "document", "create", ic + `,"_id":"a","body":{"k":"x"}`, "*", ""},
		{"create refused", "document", "create", ic + `,"body":{"k":1}`, "", "validation.check.failed_field"},
		{"createOrReplace refused", "document", "createOrReplace", ic + `,"_id":"a","body":{"n":"x"}`, "", "validation.check.failed_field"},
		{"replace refused", "document", "replace", ic + `,"_id":"a","body":{"k":[1]}`, "", "validation.check.failed_field"},
		{"update refused", "document", "update", ic + `,"_id":"a","body":{"k":2}`, "", "validation.check.failed_field"},
		{"update of a missing document", "document", "update", ic + `,"_id":"b","body":{"k":"y"}`, "", "services.storage.not_found"},
		{"update", "document", "update", ic + `,"_id":"a","body":{"n":null}`, "*", ""},
		{"default on update", "document", "get", ic + `,"_id":"a"`, "*", ""},
		{"validate", "document", "validate", ic + `,"body":{"k":1,"n":"x"}`,
			`{"errorMessages":{"fieldScope":{"children":{"n":{"messages":["The field must be a number."]},"k":{"messages":["The field must be a string."]}}}},"valid":false}`, ""},
		{"validate ok", "document", "validate", ic + `,"body":{"k":"x"}`, `{"errorMessages":{},"valid":true}`, ""},
		// Kuzzle 2.56 validates neither upsert nor the m* writes.
		{"upsert", "document", "upsert", ic + `,"_id":"a","body":{"changes":{"k":3}}`, "*", ""},
		{"mCreate", "document", "mCreate", ic + `,"body":{"documents":[{"body":{"k":3}}]}`, "*", ""},
	})
	r := mustCall(t, c, "document", "get", `"index":"i","collection":"c","_id":"a"`)
	sameJSON(t, "validated writes", r.Result, `{"_id":"a","_source":{"k":3,"n":5,"_kuzzle_info":`+
		`{"author":"-1","createdAt":"T","updatedAt":"T","updater":"-1"}},"_version":3}`)
}
