package koncorde

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

// addSeeds feeds the fixtures of testdata/errors.json and a few valid
// filters to a fuzz target.
func addSeeds(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"bool":{"must":[{"range":{"a":{"gt":1}}}],"should":[{"in":{"b":["x"]}}],"must_not":[{"exists":"c[1]"}]}}`))
	f.Add([]byte(`{"not":{"and":[{"geoDistance":{"loc":"u09t","distance":"3 258,55 Ft"}},{"regexp":{"a":{"value":"^\\u0041","flags":"i"}}}]}}`))
	f.Add([]byte(`{"select":{"field":"t","index":-1,"query":{"match":{"value":{"a":[1]}}}}}`))
	raw, err := os.ReadFile(filepath.Join("testdata", "errors.json"))
	if err != nil {
		f.Fatal(err)
	}
	var cases []struct {
		Filter jsonx.RawMessage `json:"filter"`
	}
	if err := jsonx.Unmarshal(raw, &cases); err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		f.Add([]byte(c.Filter))
	}
}

// FuzzNormalize: any JSON object either normalizes or gives a DSL error,
// never a panic, and normalizing twice gives the same id.
func FuzzNormalize(f *testing.F) {
	addSeeds(f)
	e := New(WithMaxConditions(30))
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, errA := e.NormalizeJSON("i", "c", raw)
		b, errB := e.NormalizeJSON("i", "c", raw)
		if (errA == nil) != (errB == nil) || (errA == nil && a.ID != b.ID) {
			t.Fatalf("normalize is not deterministic on %s", raw)
		}
	})
}

// FuzzMatch: a filter and a document never panic, and the indexes agree
// with the direct evaluation of the normal form.
func FuzzMatch(f *testing.F) {
	f.Add([]byte(`{"range":{"a":{"gte":1}}}`), []byte(`{"a":1}`))
	f.Add([]byte(`{"not":{"regexp":{"a":"^1"}}}`), []byte(`{"a":123}`))
	f.Add([]byte(`{"exists":"t[\"x\"]"}`), []byte(`{"t":["x","x",{"a":1}]}`))
	f.Add([]byte(`{"geoPolygon":{"loc":{"points":[[0,0],[0,1],[1,0]]}}}`), []byte(`{"loc":"0.1,0.1"}`))
	f.Add([]byte(`{"match":{"c.d":[1]}}`), []byte(`{"c":{"d":[1,2]},"c.d":0}`))
	f.Fuzz(func(t *testing.T, filter, doc []byte) {
		e := New(WithMaxConditions(30))
		n, err := e.NormalizeJSON("i", "c", filter)
		if err != nil {
			return
		}
		e.Store(n)
		var body map[string]any
		if jsonx.Unmarshal(doc, &body) != nil {
			return
		}
		got := len(e.Test("i", "c", body)) == 1
		want := n.form.holds(&probe{document: newDocument(body, "")})
		if got != want && !dottedKeys(body) {
			t.Fatalf("filter %s doc %s: indexes say %v, normal form says %v", filter, doc, got, want)
		}
	})
}

// dottedKeys reports keys with dots, whose collisions with nested paths
// the two evaluations may settle differently.
func dottedKeys(o map[string]any) bool {
	for k, v := range o {
		for i := 0; i < len(k); i++ {
			if k[i] == '.' {
				return true
			}
		}
		if sub, ok := v.(map[string]any); ok && dottedKeys(sub) {
			return true
		}
	}
	return false
}

// FuzzMatchShared: filters registered together, sharing conditions and so
// anchored on one another's entries, each match a document exactly when
// their normal form says so.
func FuzzMatchShared(f *testing.F) {
	f.Add([]byte(`[{"and":[{"equals":{"k":"a"}},{"equals":{"d":"x"}}]},{"and":[{"equals":{"k":"a"}},{"in":{"d":["y","z"]}}]},{"equals":{"k":"a"}}]`), []byte(`{"k":"a","d":"y"}`))
	f.Add([]byte(`[{"bool":{"must":[{"exists":"a"},{"range":{"n":{"gt":1}}}]}},{"and":[{"exists":"a"},{"not":{"equals":{"a":1}}}]},{"or":[{"exists":"a"},{"regexp":{"s":"^x"}}]}]`), []byte(`{"a":2,"n":3,"s":"xy"}`))
	f.Fuzz(func(t *testing.T, filters, doc []byte) {
		var list []jsonx.RawMessage
		var body map[string]any
		if jsonx.Unmarshal(filters, &list) != nil || jsonx.Unmarshal(doc, &body) != nil || dottedKeys(body) {
			return
		}
		e := New(WithMaxConditions(30))
		forms := map[string]*Normalized{}
		for _, raw := range list {
			if n, err := e.NormalizeJSON("i", "c", raw); err == nil {
				e.Store(n)
				forms[n.ID] = n
			}
		}
		got := map[string]bool{}
		for _, id := range e.Test("i", "c", body) {
			got[id] = true
		}
		p := &probe{document: newDocument(body, "")}
		for id, n := range forms {
			if want := n.form.holds(p); got[id] != want {
				t.Fatalf("filters %s doc %s: filter %s: indexes say %v, normal form says %v", filters, doc, id, got[id], want)
			}
		}
	})
}
