package documents

import (
	"errors"
	"testing"

	"github.com/starlingmq/starling/internal/kerror"

	"github.com/starlingmq/starling/internal/jsonx"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name, body    string
		legacy        bool
		mapping, sets string // the mappings' JSON and the settings, or the error id
		err           string
	}{
		{"none", ``, true, `{"properties":{}}`, ``, ""},
		{"mappings and settings", `{"mappings":{"dynamic":"strict"},"settings":{"a":1}}`, true, `{"dynamic":"strict","properties":{}}`, `{"a":1}`, ""},
		{"legacy properties", `{"properties":{"a":{"type":"keyword"}}}`, true, `{"properties":{"a":{"type":"keyword"}}}`, ``, ""},
		{"legacy dynamic", `{"dynamic":"false"}`, true, `{"dynamic":"false","properties":{}}`, ``, ""},
		{"legacy refused by update", `{"dynamic":"false"}`, false, `{"properties":{}}`, ``, ""},
		{"settings not object", `{"settings":[]}`, true, ``, ``, "api.assert.invalid_type"},
		{"body not object", `[]`, true, ``, ``, "api.assert.invalid_type"},
		{"bad mapping", `{"mappings":{"properties":{"a":{"type":"nope"}}}}`, true, ``, ``, "services.storage.invalid_mapping_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body jsonx.RawMessage
			if tt.body != "" {
				body = jsonx.RawMessage(tt.body)
			}
			m, settings, err := parseConfig(body, tt.legacy)
			if tt.err != "" {
				if err == nil || !hasID(err, tt.err) {
					t.Fatalf("error %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(m.AppendJSON(nil)); got != tt.mapping {
				t.Errorf("mappings %s, want %s", got, tt.mapping)
			}
			if string(settings) != tt.sets {
				t.Errorf("settings %s, want %s", settings, tt.sets)
			}
		})
	}
}

func TestPaginate(t *testing.T) {
	list := []listedCollection{{"a", "stored"}, {"b", "stored"}, {"c", "realtime"}}
	tests := []struct {
		from, size int
		want       string
	}{
		{0, 0, `{"collections":[{"name":"a","type":"stored"},{"name":"b","type":"stored"},{"name":"c","type":"realtime"}],"type":"all"}`},
		{1, 0, `{"collections":[{"name":"b","type":"stored"},{"name":"c","type":"realtime"}],"type":"all","from":1}`},
		{0, 2, `{"collections":[{"name":"a","type":"stored"},{"name":"b","type":"stored"}],"type":"all","from":0,"size":2}`},
		{5, 2, `{"collections":[],"type":"all","from":5,"size":2}`},
	}
	for _, tt := range tests {
		got, _ := jsonx.Marshal(paginate(collectionList{Collections: list, Type: "all"}, tt.from, tt.size))
		if string(got) != tt.want {
			t.Errorf("paginate(%d, %d) = %s, want %s", tt.from, tt.size, got, tt.want)
		}
	}
}

func TestMergeSettings(t *testing.T) {
	got, err := mergeSettings(jsonx.RawMessage(`{"a":{"x":1,"y":2},"b":1}`), jsonx.RawMessage(`{"a":{"y":3},"c":[1]}`))
	if err != nil || string(got) != `{"a":{"x":1,"y":3},"b":1,"c":[1]}` {
		t.Errorf("merge: %s, %v", got, err)
	}
}

func TestBulkOps(t *testing.T) {
	tests := []struct {
		name, lines string
		ops         int
		bad         bool
	}{
		{"every action", `[{"create":{"_id":"a"}},{},{"index":{}},{},{"index":{"_id":"b"}},{},{"update":{"_id":"b"}},{"doc":{}},{"delete":{"_id":"a"}}]`, 5, false},
		{"missing document", `[{"create":{"_id":"a"}}]`, 0, true},
		{"unknown action", `[{"upsert":{"_id":"a"}},{}]`, 0, true},
		{"update without doc", `[{"update":{"_id":"a"}},{"a":1}]`, 0, true},
	}
	for _, tt := range tests {
		var lines []jsonx.RawMessage
		if err := jsonx.Unmarshal([]byte(tt.lines), &lines); err != nil {
			t.Fatal(err)
		}
		ops, err := bulkOps(lines)
		if (err != nil) != tt.bad || len(ops) != tt.ops {
			t.Errorf("%s: %d ops, error %v", tt.name, len(ops), err)
		}
	}
}

// hasID reports whether err is the Kuzzle error id.
func hasID(err error, id string) bool {
	var kerr *kerror.Error
	return errors.As(err, &kerr) && kerr.ID == id
}
