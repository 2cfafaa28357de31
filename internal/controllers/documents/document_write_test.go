package documents_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/controllers/documents"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store/storetest"
	"github.com/starlingmq/starling/internal/store/teststores"
	"github.com/starlingmq/starling/internal/validation"
)

// recorder is a Notifier keeping the changes it is told about.
type recorder struct{ changes []documents.Change }

func (r *recorder) NotifyDocuments(_ *api.Request, _, _ string, changes []documents.Change) {
	r.changes = append(r.changes, changes...)
}

// fixture is the controllers on a store holding the collection i:c, with
// a specification on it.
type fixture struct {
	actions map[string]api.Action
	notes   *recorder
}

func newFixture(t *testing.T, fresh storetest.Fresh, spec string) *fixture {
	t.Helper()
	ctx := context.Background()
	engine := teststores.Open(t, fresh(t))
	if err := engine.CreateCollection(ctx, "i", "c", nil, nil); err != nil {
		t.Fatal(err)
	}
	specs := validation.NewRegistry()
	if spec != "" {
		s, err := validation.Parse("i", "c", []byte(spec))
		if err != nil {
			t.Fatal(err)
		}
		specs.Set(s)
	}
	f := &fixture{actions: map[string]api.Action{}, notes: &recorder{}}
	deps := documents.Deps{Store: engine, Specifications: specs, Notifier: f.notes,
		Limits: documents.Limits{FetchCount: 10, WriteCount: 10}}
	for _, c := range documents.Controllers(deps) {
		for name, action := range c.Actions {
			f.actions[c.Name+":"+name] = action
		}
	}
	return f
}

// run calls controller:action on i:c with the extra request fields and
// returns the result as JSON, or the Kuzzle error id.
func (f *fixture) run(t *testing.T, action, extra string) (string, string) {
	t.Helper()
	payload := `{"index":"i","collection":"c"`
	if extra != "" {
		payload += "," + extra
	}
	req, kerr := api.Parse([]byte(payload+"}"), api.Connection{ID: "x", Protocol: "mqtt"})
	if kerr != nil {
		t.Fatalf("parse %s: %v", payload, kerr)
	}
	result, err := f.actions[action](context.Background(), req)
	if err != nil {
		var e *kerror.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: not a Kuzzle error: %v", action, err)
		}
		return "", e.ID
	}
	out, err := jsonx.Marshal(result)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), ""
}

// source returns the _source of a stored document, without _kuzzle_info.
func (f *fixture) source(t *testing.T, id string) map[string]any {
	t.Helper()
	out, errID := f.run(t, "document:get", `"_id":"`+id+`"`)
	if errID != "" {
		t.Fatalf("get %s: %s", id, errID)
	}
	var doc struct {
		Source map[string]any `json:"_source"`
	}
	if err := jsonx.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc.Source, "_kuzzle_info")
	return doc.Source
}

const spec = `{"fields":{"n":{"type":"integer","defaultValue":5},"k":{"type":"string"},"o":{"type":"object"},"o/p":{"type":"integer","defaultValue":7}}}`

func TestWritesAreValidated(t *testing.T) { documents.Stores.Run(t, testWritesAreValidated) }

func testWritesAreValidated(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, spec)
	steps := []struct {
		action, args string
		errorID      string
		id           string         // the document to read after the step
		want         map[string]any // its source then
	}{
		{"document:create", `"_id":"a","body":{"k":"x"}`, "", "a", map[string]any{"k": "x", "n": 5.0}},
		{"document:create", `"_id":"b","body":{"k":1}`, "validation.check.failed_field", "", nil},
		{"document:createOrReplace", `"_id":"a","body":{"o":{}}`, "", "a", map[string]any{"n": 5.0, "o": map[string]any{"p": 7.0}}},
		{"document:createOrReplace", `"_id":"a","body":{"n":"x"}`, "validation.check.failed_field", "", nil},
		{"document:replace", `"_id":"a","body":{"k":"y"}`, "", "a", map[string]any{"k": "y", "n": 5.0}},
		{"document:replace", `"_id":"a","body":{"k":2}`, "validation.check.failed_field", "", nil},
		{"document:update", `"_id":"a","body":{"n":null}`, "", "a", map[string]any{"k": "y", "n": 5.0}},
		{"document:update", `"_id":"a","body":{"k":"z"}`, "", "a", map[string]any{"k": "z", "n": 5.0}},
		{"document:update", `"_id":"a","body":{"k":3}`, "validation.check.failed_field", "a", map[string]any{"k": "z", "n": 5.0}},
		{"document:update", `"_id":"nope","body":{"k":"z"}`, "services.storage.not_found", "", nil},
		// Starling validates the m* writes too (Kuzzle 2.56 does not):
		// refused documents are error items, the others get defaults.
		{"document:mCreate", `"body":{"documents":[{"_id":"m","body":{"zz":1}},{"_id":"bad","body":{"k":1}}]}`, "", "m", map[string]any{"zz": 1.0, "n": 5.0}},
		{"document:mUpdate", `"body":{"documents":[{"_id":"m","body":{"k":"v"}}]}`, "", "m", map[string]any{"zz": 1.0, "n": 5.0, "k": "v"}},
		{"document:mUpdate", `"body":{"documents":[{"_id":"m","body":{"k":9}}]}`, "", "m", map[string]any{"zz": 1.0, "n": 5.0, "k": "v"}},
		{"document:mReplace", `"body":{"documents":[{"_id":"m","body":{"o":{}}}]}`, "", "m", map[string]any{"n": 5.0, "o": map[string]any{"p": 7.0}}},
		// As in Kuzzle 2.56, upsert and the bulk writes are not validated.
		{"document:upsert", `"_id":"a","body":{"changes":{"k":4}}`, "", "a", map[string]any{"k": 4.0, "n": 5.0}},
		{"bulk:write", `"_id":"w","body":{"zz":1}`, "", "w", map[string]any{"zz": 1.0}},
	}
	for _, s := range steps {
		if _, errID := f.run(t, s.action, s.args); errID != s.errorID {
			t.Errorf("%s %s: error %q, want %q", s.action, s.args, errID, s.errorID)
		}
		if s.id != "" {
			if got := f.source(t, s.id); !reflect.DeepEqual(got, s.want) {
				t.Errorf("after %s %s: %v, want %v", s.action, s.args, got, s.want)
			}
		}
	}
}

func TestStrictSpecificationAndUpdates(t *testing.T) {
	documents.Stores.Run(t, testStrictSpecificationAndUpdates)
}

func testStrictSpecificationAndUpdates(t *testing.T, fresh storetest.Fresh) {
	// Kuzzle validates an update's changes merged over the stored
	// document, _kuzzle_info included, which a strict specification does
	// not know: it refuses every update. Starling leaves the metadata out.
	f := newFixture(t, fresh, `{"strict":true,"fields":{"k":{"type":"string"}}}`)
	for _, s := range []struct{ action, args, errorID string }{
		{"document:create", `"_id":"a","body":{"k":"x"}`, ""},
		{"document:create", `"_id":"b","body":{"zz":1}`, "validation.check.failed_document"},
		{"document:update", `"_id":"a","body":{"k":"y"}`, ""},
		{"document:update", `"_id":"a","body":{"zz":1}`, "validation.check.failed_document"},
		{"document:mUpdate", `"body":{"documents":[{"_id":"a","body":{"k":"z"}}],"strict":true}`, ""},
	} {
		if _, errID := f.run(t, s.action, s.args); errID != s.errorID {
			t.Errorf("%s %s: error %q, want %q", s.action, s.args, errID, s.errorID)
		}
	}
}

func TestDocumentValidateAction(t *testing.T) { documents.Stores.Run(t, testDocumentValidateAction) }

func testDocumentValidateAction(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, spec)
	cases := []struct{ args, want, errorID string }{
		{`"body":{"k":"x"}`, `{"errorMessages":{},"valid":true}`, ""},
		{`"body":{"k":1}`, `{"errorMessages":{"fieldScope":{"children":{"k":{"messages":["The field must be a string."]}}}},"valid":false}`, ""},
		{``, "", "api.assert.body_required"},
	}
	for _, tc := range cases {
		got, errID := f.run(t, "document:validate", tc.args)
		if got != tc.want || errID != tc.errorID {
			t.Errorf("validate %s: %s %s, want %s %s", tc.args, got, errID, tc.want, tc.errorID)
		}
	}
	if len(f.notes.changes) != 0 {
		t.Errorf("validate notified: %v", f.notes.changes)
	}
}

func TestNotifiedChanges(t *testing.T) { documents.Stores.Run(t, testNotifiedChanges) }

func testNotifiedChanges(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, "")
	steps := []struct {
		action, args string
		want         []string // action, and whether Previous is set ("prev")
	}{
		{"document:create", `"_id":"a","body":{"k":"v"}`, []string{"create"}},
		{"document:createOrReplace", `"_id":"a","body":{"k":"v"}`, []string{"replace prev"}},
		{"document:update", `"_id":"a","body":{"k":"w"}`, []string{"update prev"}},
		{"document:upsert", `"_id":"u","body":{"changes":{"k":"v"}}`, []string{"create"}},
		{"document:upsert", `"_id":"u","body":{"changes":{"k":"w"}},"silent":true`, nil},
		{"document:deleteFields", `"_id":"u","body":{"fields":["k"]}`, []string{"update prev"}},
		{"document:mUpsert", `"body":{"documents":[{"_id":"u","changes":{}},{"_id":"n","changes":{}}]}`, []string{"update prev", "create"}},
		{"document:mDelete", `"body":{"ids":["u","n","x"]}`, []string{"delete", "delete"}},
		{"bulk:mWrite", `"body":{"documents":[{"_id":"a","body":{}}]}`, nil},
		{"bulk:mWrite", `"notify":true,"silent":true,"body":{"documents":[{"_id":"a","body":{}}]}`, []string{"replace prev"}},
		{"bulk:import", `"body":{"bulkData":[{"delete":{"_id":"a"}}]}`, nil},
	}
	for _, s := range steps {
		f.notes.changes = nil
		if _, errID := f.run(t, s.action, s.args); errID != "" {
			t.Fatalf("%s: %s", s.action, errID)
		}
		var got []string
		for _, c := range f.notes.changes {
			name := c.Action
			if c.Previous != nil {
				name += " prev"
			}
			got = append(got, name)
		}
		if !reflect.DeepEqual(got, s.want) {
			t.Errorf("%s %s: notified %v, want %v", s.action, s.args, got, s.want)
		}
	}
}

func TestEmptyIDsAreRefused(t *testing.T) { documents.Stores.Run(t, testEmptyIDsAreRefused) }

func testEmptyIDsAreRefused(t *testing.T, fresh storetest.Fresh) {
	f := newFixture(t, fresh, "")
	for _, action := range []string{"document:mUpsert", "document:mReplace", "document:mUpdate"} {
		args := `"body":{"documents":[{"_id":"","body":{"a":1},"changes":{"a":1}}]}`
		got, errID := f.run(t, action, args)
		var res struct {
			Errors []struct {
				Reason string `json:"reason"`
				Status int    `json:"status"`
			} `json:"errors"`
			Successes []any `json:"successes"`
		}
		if errID != "" || jsonx.Unmarshal([]byte(got), &res) != nil || len(res.Errors) != 1 ||
			res.Errors[0].Reason != "id is missing" || res.Errors[0].Status != 400 || len(res.Successes) != 0 {
			t.Errorf("%s with an empty _id: %s %s", action, got, errID)
		}
	}
	if got, errID := f.run(t, "document:mGet", `"ids":[""]`); errID != "" || got != `{"errors":[""],"successes":[]}` {
		t.Errorf("mGet of an empty _id: %s %s", got, errID)
	}
}
