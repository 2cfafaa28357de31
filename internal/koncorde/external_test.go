package koncorde

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// fakeFilters resolves module "t": filter "field" matches documents whose
// field named by args.field is args.value, "fail" errors, "panic"
// panics. It counts tests and keeps the last document seen.
type fakeFilters struct {
	mu       sync.Mutex
	calls    int
	last     []byte
	resolved []string
}

type fakeFilter struct {
	x    *fakeFilters
	name string
	args map[string]any
}

func (x *fakeFilters) Resolve(module, name string, args []byte) (ExternalFilter, error) {
	x.mu.Lock()
	x.resolved = append(x.resolved, module+"/"+name+" "+string(args))
	x.mu.Unlock()
	if module != "t" {
		return nil, errors.New("no such module")
	}
	if name == "panicResolve" {
		panic("boom")
	}
	var a map[string]any
	if err := jsonx.Unmarshal(args, &a); err != nil {
		return nil, fmt.Errorf("args: %w", err)
	}
	return &fakeFilter{x: x, name: name, args: a}, nil
}

func (f *fakeFilter) Test(doc []byte) (bool, error) {
	f.x.mu.Lock()
	f.x.calls++
	f.x.last = doc
	f.x.mu.Unlock()
	switch f.name {
	case "fail":
		return false, errors.New("failed")
	case "panic":
		panic("boom")
	}
	var d map[string]any
	if err := jsonx.Unmarshal(doc, &d); err != nil {
		return false, err
	}
	return d[f.args["field"].(string)] == f.args["value"], nil
}

func wasm(name string, args any) map[string]any {
	return map[string]any{"wasm": map[string]any{"module": "t", "filter": name, "args": args}}
}

func fieldIs(field string, value any) map[string]any {
	return wasm("field", map[string]any{"field": field, "value": value})
}

func TestExternalFilterMatching(t *testing.T) {
	cases := []struct {
		name   string
		filter map[string]any
		doc    string
		want   bool
		calls  int // external tests on the document
	}{
		{"alone, matching", fieldIs("a", "x"), `{"a":"x"}`, true, 1},
		{"alone, not matching", fieldIs("a", "x"), `{"a":"y"}`, false, 1},
		{"after an indexed condition that fails", map[string]any{"and": []any{
			map[string]any{"equals": map[string]any{"b": 1.0}}, fieldIs("a", "x")}}, `{"a":"x","b":2}`, false, 0},
		{"after an indexed condition that holds", map[string]any{"and": []any{
			map[string]any{"equals": map[string]any{"b": 1.0}}, fieldIs("a", "x")}}, `{"a":"x","b":1}`, true, 1},
		{"negated", map[string]any{"not": fieldIs("a", "x")}, `{"a":"y"}`, true, 1},
		{"negated, holding", map[string]any{"not": fieldIs("a", "x")}, `{"a":"x"}`, false, 1},
		{"in or", map[string]any{"or": []any{
			map[string]any{"equals": map[string]any{"b": 1.0}}, fieldIs("a", "x")}}, `{"a":"x"}`, true, 1},
		{"in bool", map[string]any{"bool": map[string]any{
			"must":     []any{map[string]any{"range": map[string]any{"n": map[string]any{"gte": 1.0}}}},
			"must_not": []any{fieldIs("a", "z")},
		}}, `{"a":"x","n":2}`, true, 1},
		{"error", wasm("fail", nil), `{}`, false, 1},
		{"error, negated", map[string]any{"not": wasm("fail", nil)}, `{}`, false, 1},
		{"panic", wasm("panic", nil), `{}`, false, 1},
		{"panic, negated", map[string]any{"not": wasm("panic", nil)}, `{}`, false, 1},
		{"in a select query", map[string]any{"select": map[string]any{"field": "l", "index": 0.0,
			"query": wasm("field", map[string]any{"field": "value", "value": "x"})}}, `{"l":["x"]}`, true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, via := range []string{"map", "json", "document"} {
				x := &fakeFilters{}
				e := New(WithExternalFilters(x))
				if _, err := e.Register("i", "c", c.filter); err != nil {
					t.Fatal(err)
				}
				var ids []string
				switch via {
				case "map":
					ids = e.Test("i", "c", mustDecode(t, []byte(c.doc)))
				case "json":
					var err error
					if ids, err = e.TestJSON("i", "c", []byte(c.doc)); err != nil {
						t.Fatal(err)
					}
				case "document":
					d, err := ParseDocument([]byte(c.doc), "")
					if err != nil {
						t.Fatal(err)
					}
					ids = e.TestDocument("i", "c", d)
				}
				if got := len(ids) == 1; got != c.want {
					t.Errorf("via %s: match = %v, want %v", via, got, c.want)
				}
				if x.calls != c.calls {
					t.Errorf("via %s: %d external tests, want %d", via, x.calls, c.calls)
				}
			}
		})
	}
}

func TestExternalFilterDocumentBytes(t *testing.T) {
	x := &fakeFilters{}
	e := New(WithExternalFilters(x))
	if _, err := e.Register("i", "c", fieldIs("a", "x")); err != nil {
		t.Fatal(err)
	}
	raw := []byte(` {"a" : "x", "o":{"k":[1,{"z":null}]}} `)
	if _, err := e.TestJSON("i", "c", raw); err != nil {
		t.Fatal(err)
	}
	if string(x.last) != string(raw) {
		t.Errorf("TestJSON gave %s, want the bytes as they are", x.last)
	}
	d, err := ParseDocument(raw, "id")
	if err != nil {
		t.Fatal(err)
	}
	e.TestDocument("i", "c", d)
	if string(x.last) != string(raw) {
		t.Errorf("ParseDocument gave %s, want the bytes as they are", x.last)
	}
	e.Test("i", "c", map[string]any{"a": "x", "n": 1.5})
	if string(x.last) != `{"a":"x","n":1.5}` {
		t.Errorf("Test gave %s", x.last)
	}
}

func TestExternalFilterErrors(t *testing.T) {
	cases := []struct {
		name   string
		ext    bool
		filter map[string]any
		msg    string
	}{
		{"without external filters", false, fieldIs("a", 1.0), `"wasm": unknown keyword`},
		{"nested, without external filters", false, map[string]any{"not": fieldIs("a", 1.0)}, `"not.wasm": unknown keyword`},
		{"in select, without external filters", false, map[string]any{"select": map[string]any{
			"field": "l", "index": 0.0, "query": fieldIs("a", 1.0)}}, `"select.query.wasm": unknown keyword`},
		{"not an object", true, map[string]any{"wasm": "geo"}, `"wasm": must be an object`},
		{"no module", true, map[string]any{"wasm": map[string]any{"filter": "f"}}, `"wasm": the property "module" is missing`},
		{"empty filter name", true, map[string]any{"wasm": map[string]any{"module": "t", "filter": ""}}, `"wasm.filter": cannot be empty`},
		{"unknown property", true, map[string]any{"wasm": map[string]any{"module": "t", "filter": "f", "x": 1}}, `"wasm": `},
		{"resolution error", true, map[string]any{"wasm": map[string]any{"module": "nope", "filter": "f"}}, `"wasm": cannot resolve filter "f" of module "nope": no such module`},
		{"resolution panic", true, map[string]any{"wasm": map[string]any{"module": "t", "filter": "panicResolve"}}, `"wasm": cannot resolve filter "panicResolve" of module "t": panic: boom`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var opts []Option
			if c.ext {
				opts = append(opts, WithExternalFilters(&fakeFilters{}))
			}
			e := New(opts...)
			for _, check := range []func() error{
				func() error { return e.Validate(c.filter) },
				func() error { _, err := e.Register("i", "c", c.filter); return err },
			} {
				err := check()
				var ke *kerror.Error
				if !errors.As(err, &ke) || ke.ID != "api.assert.koncorde_dsl_error" {
					t.Fatalf("got %v, want a koncorde_dsl_error", err)
				}
				if !strings.HasPrefix(ke.Message, c.msg) {
					t.Errorf("got %q, want %q", ke.Message, c.msg)
				}
			}
		})
	}
}

func TestExternalFilterIDs(t *testing.T) {
	x := &fakeFilters{}
	e := New(WithExternalFilters(x))
	id := func(f map[string]any) string {
		n, err := e.Normalize("i", "c", f)
		if err != nil {
			t.Fatal(err)
		}
		return n.ID
	}
	a := id(fieldIs("a", 1.0))
	cases := []struct {
		name   string
		filter map[string]any
		same   bool
	}{
		{"args keys in another order", mustDecode(t, []byte(`{"wasm":{"args":{"value":1,"field":"a"},"filter":"field","module":"t"}}`)), true},
		{"other args", fieldIs("a", 2.0), false},
		{"other filter", wasm("fail", map[string]any{"field": "a", "value": 1.0}), false},
		{"in a one-item and", map[string]any{"and": []any{fieldIs("a", 1.0)}}, true},
	}
	for _, c := range cases {
		if got := id(c.filter) == a; got != c.same {
			t.Errorf("%s: same id = %v, want %v", c.name, got, c.same)
		}
	}
	if !slices.Contains(x.resolved, `t/field {"field":"a","value":1}`) {
		t.Errorf("Resolve did not get canonical args: %q", x.resolved)
	}
}

// TestHasExternal: the engine says whether a stored filter may run guest
// code, select queries included, until the last such filter is removed.
func TestHasExternal(t *testing.T) {
	e := New(WithExternalFilters(&fakeFilters{}))
	store := func(f map[string]any) string {
		t.Helper()
		id, err := e.Register("i", "c", f)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	plain := store(map[string]any{"equals": map[string]any{"a": 1.0}})
	if e.HasExternal() {
		t.Fatal("no wasm filter stored, HasExternal is true")
	}
	direct := store(map[string]any{"and": []any{fieldIs("a", 1.0), map[string]any{"exists": "b"}}})
	store(map[string]any{"and": []any{fieldIs("a", 1.0), map[string]any{"exists": "b"}}}) // the same filter again
	if !e.HasExternal() {
		t.Fatal("a wasm filter is stored, HasExternal is false")
	}
	e.Remove(direct)
	e.Remove(plain)
	if e.HasExternal() {
		t.Fatal("every wasm filter removed, HasExternal is still true")
	}
}
