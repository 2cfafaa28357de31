package node_test

import (
	"testing"

	"github.com/starlingmq/starling/internal/config"
)

// strictMapping is a strict collection mapping for the m* tests: unknown
// fields and values of the wrong type are refused by the store.
const strictMapping = `{"dynamic":"strict","properties":{"n":{"type":"integer"},"k":{"type":"keyword"},"d":{"type":"keyword"},"m":{"properties":{"x":{"type":"integer"}}}}}`

// updated is the _kuzzle_info an m* update sends.
const updated = `{"updatedAt":"T","updater":"-1"}`

func TestDocumentMultiWrites(t *testing.T) {
	_, c := documentServer(t, strictMapping, func(cfg *config.Config) { cfg.Limits.DocumentsWriteCount = 6 })
	steps := []struct {
		action, args string
		given        []string // the ids the request names, the others are generated
		result       string
		errorID      string
	}{
		{"mCreate", `"body":{"documents":[{"_id":"a","body":{"n":1}},{"body":{"n":2}},{"_id":"b","body":"x"},` +
			`{"_id":"c","body":{"zz":1}},{"_id":"d","body":{"n":"abc"}}]}`, []string{"a"},
			`{"errors":[` +
				`{"document":{"_id":"b","body":"x"},"reason":"document body must be an object","status":400},` +
				`{"document":{"_id":"c","_source":{"zz":1,"_kuzzle_info":` + created + `}},"reason":"mapping set to strict, dynamic introduction of [zz] within [_doc] is not allowed","status":400},` +
				`{"document":{"_id":"d","_source":{"n":"abc","_kuzzle_info":` + created + `}},"reason":"failed to parse field [n] of type [integer] in document with id 'd'. Preview of field's value: 'abc'","status":400}],` +
				`"successes":[` +
				`{"_id":"a","_source":{"n":1,"_kuzzle_info":` + created + `},"_version":1,"created":true,"result":"created","status":201},` +
				`{"_id":"G","_source":{"n":2,"_kuzzle_info":` + created + `},"_version":1,"created":true,"result":"created","status":201}]}`, ""},
		{"mCreate", `"body":{"documents":[{"_id":"a","body":{"n":9,"_kuzzle_info":{"author":"x"}}}]}`, nil,
			`{"errors":[{"document":{"_id":"a","body":{"n":9}},"reason":"document already exists","status":400}],"successes":[]}`, ""},
		{"mCreate", `"body":{"documents":[]}`, nil, `{"errors":[],"successes":[]}`, ""},
		{"mCreate", `"body":{"documents":[{"_id":"x","_source":{}}]}`, nil, "", "api.assert.unexpected_argument"},
		{"mCreate", `"body":{"documents":[{},{},{},{},{},{},{}]}`, nil, "", "services.storage.write_limit_exceeded"},
		{"mCreate", `"body":{"documents":{}}`, nil, "", "api.assert.invalid_type"},
		{"mCreate", `"body":{}`, nil, "", "api.assert.missing_argument"},
		{"mCreate", `"body":{"documents":[{"_id":"s","body":{"n":1}},{"_id":"a","body":{}}]},"strict":true`, nil, "", "api.process.incomplete_multiple_request"},
		{"mCreateOrReplace", `"body":{"documents":[{"_id":"a","body":{"n":5}},{"_id":"e","body":{"n":6}}]},"source":false`, nil,
			`{"errors":[],"successes":[{"_id":"a","_version":2,"created":false,"result":"updated","status":200},` +
				`{"_id":"e","_version":1,"created":true,"result":"created","status":201}]}`, ""},
		{"get", `"_id":"a"`, nil, `{"_id":"a","_source":{"n":5,"_kuzzle_info":` + created + `},"_version":2}`, ""},
		{"get", `"_id":"s"`, nil, `{"_id":"s","_source":{"n":1,"_kuzzle_info":` + created + `},"_version":1}`, ""},
		{"mReplace", `"body":{"documents":[{"_id":"a","body":{"n":7}},{"_id":"zz","body":{"n":1}},{"body":{"n":1}}]}`, nil,
			`{"errors":[{"document":{"body":{"n":1}},"reason":"document _id must be a string","status":400},` +
				`{"document":{"_id":"zz","body":{"n":1}},"reason":"document not found","status":404}],` +
				`"successes":[{"_id":"a","_source":{"n":7,"_kuzzle_info":` + created + `},"_version":3,"created":false,"result":"updated","status":200}]}`, ""},
		{"mUpdate", `"body":{"documents":[{"_id":"zz","body":{"n":1}},{"body":{"n":2}},{"_id":"a","body":{"m":{"x":1},"k":"v"}},{"_id":"e","body":"no"}]}`, nil,
			`{"errors":[{"document":{"_id":"e","body":"no"},"reason":"document body must be an object","status":400},` +
				`{"document":{"body":{"n":2}},"reason":"document _id must be a string","status":400},` +
				`{"document":{"_id":"zz","body":{"n":1,"_kuzzle_info":` + updated + `}},"reason":"document not found","status":404}],` +
				`"successes":[{"_id":"a","_source":{"n":7,"m":{"x":1},"k":"v","_kuzzle_info":{"author":"-1","createdAt":"T","updatedAt":"T","updater":"-1"}},` +
				`"_version":4,"status":200,"_updatedFields":["m.x","k"]}]}`, ""},
		{"mUpdate", `"body":{"documents":[{"_id":"a","body":{"n":1}}]},"retryOnConflict":"x"`, nil, "", "api.assert.invalid_type"},
		{"mUpsert", `"body":{"documents":[{"_id":"a","changes":{"n":8}},{"_id":"f","changes":{"n":1},"default":{"d":"d","n":0}},` +
			`{"changes":{"n":1}},{"_id":"g","changes":3},{"_id":"h","changes":{},"default":"x"}]}`, nil,
			`{"errors":[{"document":{"changes":{"n":1}},"reason":"document _id must be a string","status":400},` +
				`{"document":{"_id":"g","changes":3},"reason":"document changes must be an object","status":400},` +
				`{"document":{"_id":"h","changes":{},"default":"x"},"reason":"document default must be an object","status":400}],` +
				`"successes":[{"_id":"a","_source":{"n":8,"m":{"x":1},"k":"v","_kuzzle_info":{"author":"-1","createdAt":"T","updatedAt":"T","updater":"-1"}},` +
				`"_version":5,"created":false,"status":200,"_updatedFields":["n"]},` +
				`{"_id":"f","_source":{"d":"d","n":0,"_kuzzle_info":{"author":"-1","createdAt":"T"}},"_version":1,"created":true,"status":201}]}`, ""},
		{"mUpdate", `"body":{"documents":[{"_id":"f","body":{"n":2}}]},"silent":true`, nil,
			`{"errors":[],"successes":[{"_id":"f","_source":{"d":"d","n":2,"_kuzzle_info":{"author":"-1","createdAt":"T","updatedAt":"T","updater":"-1"}},"_version":2,"status":200}]}`, ""},
		{"mDelete", `"body":{"ids":["a","zz",5,"a"]}`, nil,
			`{"errors":[{"_id":5,"reason":"document _id must be a string","status":400},{"_id":"zz","reason":"document not found","status":404}],"successes":["a"]}`, ""},
		{"mDelete", `"body":{"ids":["e","zz"]},"strict":true`, nil, "", "api.process.incomplete_multiple_request"},
		{"exists", `"_id":"e"`, nil, `false`, ""},
		{"mDelete", `"body":{"ids":"e"}`, nil, "", "api.assert.invalid_type"},
		{"mDelete", `"collection":"nope","body":{"ids":["e"]}`, nil, "", "services.storage.unknown_collection"},
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
		sameJSON(t, s.action+" "+s.args, generatedIDs(t, r.Result, append(s.given, "a", "e", "f", "s")...), s.result)
	}
}

func TestDocumentMultiPartialErrors(t *testing.T) {
	_, c := documentServer(t, "", func(cfg *config.Config) { cfg.Limits.DocumentsWriteCount = 2 })
	mustCall(t, c, "document", "create", `"index":"i","collection":"c","_id":"a","body":{}`)
	r := onDoc(t, c, "mCreate", `"body":{"documents":[{"_id":"a","body":{}},{"_id":"b","body":{}}]},"strict":true`)
	if errorID(r) != "api.process.incomplete_multiple_request" || r.Error.Message != "At least one of the mCreate actions failed." {
		t.Fatalf("strict mCreate: %s", r.raw)
	}
	sameJSON(t, "strict mCreate's errors", errorPart(t, r),
		`{"errors":[{"document":{"_id":"a","body":{}},"reason":"document already exists","status":400}],"count":1,"status":400}`)
	// As in Kuzzle, strict refuses the answer, not the writes.
	if r := onDoc(t, c, "exists", `"_id":"b"`); string(r.Result) != "true" {
		t.Errorf("the valid document of a strict mCreate: %s", r.raw)
	}
	for _, id := range []string{"c", "d"} {
		mustCall(t, c, "document", "create", `"index":"i","collection":"c","_id":"`+id+`","body":{}`)
	}
	if r := onDoc(t, c, "mDelete", `"body":{"ids":["a","b","c"]}`); errorID(r) != "services.storage.write_limit_exceeded" {
		t.Errorf("mDelete of more than the write limit: %s", r.raw)
	}
	if r := onDoc(t, c, "mDelete", `"body":{"ids":["a","b","x","y"]}`); r.Status != 200 {
		t.Errorf("mDelete of the write limit: %s", r.raw)
	}
}
