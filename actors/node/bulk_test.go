package node_test

import (
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

func TestBulkImport(t *testing.T) {
	_, c := documentServer(t, "", nil)
	r := call(t, c, "bulk", "import", `"index":"i","collection":"c","body":{"bulkData":[`+
		`{"index":{"_id":"a"}},{"k":"v"},`+
		`{"index":{}},{"k":"g"},`+
		`{"create":{"_id":"a"}},{"k":"x","_kuzzle_info":{"author":"me"}},`+
		`{"update":{"_id":"a"}},{"doc":{"n":1}},`+
		`{"update":{"_id":"zz"}},{"doc":{"n":1}},`+
		`{"update":{"_id":"u"}},{"doc":{"n":1},"upsert":{"n":0}},`+
		`{"delete":{"_id":"zz"}},`+
		`{"delete":{"_id":"u"}}]}`)
	if r.Status != 200 {
		t.Fatalf("import: %s", r.raw)
	}
	var got struct {
		Successes []map[string]struct {
			ID string `json:"_id"`
		} `json:"successes"`
	}
	if err := jsonx.Unmarshal(r.Result, &got); err != nil || len(got.Successes) != 5 {
		t.Fatalf("import's successes: %v %s", err, r.Result)
	}
	generated := got.Successes[1]["index"].ID
	sameJSON(t, "import", []byte(strings.ReplaceAll(string(r.Result), generated, "G")), `{"errors":[`+
		`{"create":{"_id":"a","status":409,"_source":{"k":"x"},"error":{"reason":"[a]: version conflict, document already exists (current version [1])","type":"version_conflict_engine_exception"}}},`+
		`{"update":{"_id":"zz","status":404,"_source":{"n":1},"error":{"reason":"[_doc][zz]: document missing","type":"document_missing_exception"}}},`+
		`{"delete":{"_id":"zz","status":404}}],`+
		`"successes":[{"index":{"_id":"a","status":201}},{"index":{"_id":"G","status":201}},{"update":{"_id":"a","status":200}},`+
		`{"update":{"_id":"u","status":201}},{"delete":{"_id":"u","status":200}}]}`)
	r = onDoc(t, c, "get", `"_id":"a"`)
	sameJSON(t, "imported then updated", r.Result,
		`{"_id":"a","_source":{"k":"v","n":1,"_kuzzle_info":{"author":"-1","createdAt":"T","updatedAt":"T","updater":"-1"}},"_version":2}`)

	errs := []struct{ args, errorID string }{
		{`"body":{"bulkData":[{"foo":{}},{}]}`, "services.storage.unexpected_bad_request"},
		{`"body":{"bulkData":[{"index":{}}]}`, "services.storage.unexpected_bad_request"},
		{`"body":{"bulkData":[{"update":{"_id":"a"}},{"script":{"source":"ctx._source.n++"}}]}`, "services.storage.invalid_query_keyword"},
		{`"body":{"bulkData":{}}`, "api.assert.invalid_type"},
		{`"body":{}`, "api.assert.missing_argument"},
		{`"body":{"bulkData":[{"create":{"_id":"a"}},{}]},"strict":true`, "api.process.incomplete_multiple_request"},
		{`"collection":"nope","body":{"bulkData":[]}`, "services.storage.unknown_collection"},
	}
	for _, e := range errs {
		if r := call(t, c, "bulk", "import", `"index":"i","collection":"c",`+e.args); errorID(r) != e.errorID {
			t.Errorf("import %s: %s, want %s", e.args, r.raw, e.errorID)
		}
	}
}

func TestBulkWriteAndMWrite(t *testing.T) {
	srv, w := documentServer(t, "", nil)
	l := listen(t, srv)
	bulk := func(action, requestID, args string) response {
		t.Helper()
		r := call(t, w, "bulk", action, `"index":"i","collection":"c","requestId":"`+requestID+`","volatile":{"v":1},`+args)
		if r.Status != 200 {
			t.Fatalf("%s: %s", requestID, r.raw)
		}
		return r
	}
	r := bulk("write", "w1", `"_id":"w","notify":true,"body":{"k":"v","_kuzzle_info":{"author":"me"}}`)
	sameJSON(t, "write", r.Result, `{"_id":"w","_source":{"k":"v","_kuzzle_info":{"author":"me"}},"_version":1}`)
	l.expect(t, "w1", "bulk", "in", "create", `{"_id":"w","_source":{"k":"v","_kuzzle_info":{"author":"me"}},"_version":1,"created":true}`)

	r = bulk("write", "w2", `"_id":"w","body":{"k":"v"}`)
	sameJSON(t, "write without notify", r.Result, `{"_id":"w","_source":{"k":"v"},"_version":2}`)
	r = bulk("write", "w3", `"body":{"k":"x"},"notify":true,"silent":true`)
	var generated struct {
		ID string `json:"_id"`
	}
	if err := jsonx.Unmarshal(r.Result, &generated); err != nil || len(generated.ID) != 20 {
		t.Errorf("write without _id: %s", r.Result)
	}

	r = bulk("mWrite", "m1", `"notify":true,"body":{"documents":[{"_id":"w","body":{"k":"v","z":1}},{"_id":"x","body":1},{"_id":"y","body":{"k":"v"}}]}`)
	sameJSON(t, "mWrite", r.Result, `{"errors":[{"document":{"_id":"x","body":1},"reason":"document body must be an object","status":400}],`+
		`"successes":[{"_id":"w","_source":{"k":"v","z":1},"_version":3},{"_id":"y","_source":{"k":"v"},"_version":1}]}`)
	l.expect(t, "m1", "bulk", "in", "replace", `{"_id":"w","_source":{"k":"v","z":1},"_version":3,"created":false,"result":"updated","status":200}`)
	l.expect(t, "m1", "bulk", "in", "create", `{"_id":"y","_source":{"k":"v"},"_version":1,"created":true,"result":"created","status":201}`)

	bulk("mWrite", "m2", `"body":{"documents":[{"_id":"y","body":{"k":"w"}}]}`)
	if r := call(t, w, "bulk", "mWrite", `"index":"i","collection":"c","strict":true,"body":{"documents":[{"body":[]}]}`); errorID(r) != "api.process.incomplete_multiple_request" {
		t.Errorf("strict mWrite: %s", r.raw)
	}
	if r := call(t, w, "bulk", "write", `"index":"i","collection":"c","body":{"_routing":"r"}`); errorID(r) != "services.storage.no_routing" {
		t.Errorf("write with _routing: %s", r.raw)
	}
	l.quiet(t)
}
