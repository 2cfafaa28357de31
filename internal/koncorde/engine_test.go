package koncorde

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"sync"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

func mustJSON(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := jsonx.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad fixture %s: %v", s, err)
	}
	return m
}

func TestMatchKeywords(t *testing.T) {
	cases := []struct {
		name, filter string
		yes, no      []string
	}{
		{"empty", `{}`, []string{`{}`, `{"a":1}`}, nil},
		{"equals", `{"equals":{"a":"x"}}`, []string{`{"a":"x"}`}, []string{`{"a":["x"]}`, `{}`, `{"a":"y"}`}},
		{"term", `{"term":{"a.b":3}}`, []string{`{"a":{"b":3}}`}, []string{`{"a":{"b":"3"}}`}},
		{"equals null", `{"equals":{"a":null}}`, []string{`{"a":null}`}, []string{`{}`}},
		{"in", `{"in":{"a":["x","y"]}}`, []string{`{"a":"y"}`}, []string{`{"a":"z"}`}},
		{"terms", `{"terms":{"a":["x"]}}`, []string{`{"a":"x"}`}, []string{`{"a":"z"}`}},
		{"ids", `{"ids":{"values":["x"]}}`, []string{`{"_id":"x"}`}, []string{`{"_id":"y"}`}},
		{"exists", `{"exists":"a.b"}`, []string{`{"a":{"b":null}}`}, []string{`{"a":1}`}},
		{"exists array", `{"exists":"a[\"x\"]"}`, []string{`{"a":["x",1]}`}, []string{`{"a":"x"}`, `{"a":["y"]}`}},
		{"missing", `{"missing":{"field":"a"}}`, []string{`{}`}, []string{`{"a":1}`}},
		{"range", `{"range":{"a":{"gt":1,"lte":5}}}`, []string{`{"a":5}`, `{"a":1.5}`}, []string{`{"a":1}`, `{"a":"2"}`, `{"a":6}`}},
		{"not range", `{"not":{"range":{"a":{"gt":1,"lte":5}}}}`, []string{`{"a":1}`, `{}`, `{"a":"2"}`}, []string{`{"a":3}`}},
		{"regexp", `{"regexp":{"a":{"value":"^AB","flags":"i"}}}`, []string{`{"a":"abc"}`}, []string{`{"a":"cab"}`, `{"a":12}`}},
		{"not regexp", `{"not":{"regexp":{"a":"^1"}}}`, []string{`{"a":"21"}`, `{}`, `{"a":null}`}, []string{`{"a":"12"}`, `{"a":123}`}},
		{"match", `{"match":{"a":{"b":[1]}}}`, []string{`{"a":{"b":[2,1],"c":0}}`}, []string{`{"a":{"b":[2]}}`}},
		{"select", `{"select":{"field":"a","index":-1,"query":{"equals":{"value":2}}}}`, []string{`{"a":[1,2]}`}, []string{`{"a":[2,1]}`}},
		{"nothing", `{"nothing":true}`, nil, []string{`{}`}},
		{"not nothing", `{"not":{"nothing":true}}`, []string{`{}`}, nil},
		{"geoDistance", `{"geoDistance":{"loc":{"lat":43.6,"lon":3.9},"distance":"10km"}}`, []string{`{"loc":"43.61,3.91"}`, `{"loc":[43.6,3.9]}`}, []string{`{"loc":[44,3.9]}`, `{"loc":"nowhere"}`}},
		{"geoBoundingBox", `{"geoBoundingBox":{"loc":{"top":2,"left":0,"bottom":0,"right":2}}}`, []string{`{"loc":{"lat":1,"lon":1}}`, `{"loc":[2,2]}`}, []string{`{"loc":[3,1]}`}},
		{"geoPolygon", `{"geoPolygon":{"loc":{"points":[[0,0],[0,10],[10,0]]}}}`, []string{`{"loc":[1,1]}`}, []string{`{"loc":[6,6]}`}},
		{"geoDistanceRange", `{"geoDistanceRange":{"loc":[0,0],"from":"100km","to":"200km"}}`, []string{`{"loc":[0,1.5]}`}, []string{`{"loc":[0,0.5]}`}},
		{"not geo in and", `{"not":{"and":[{"geoDistance":{"loc":[0,0],"distance":"1km"}},{"equals":{"a":1}}]}}`, []string{`{"a":1,"loc":[5,5]}`, `{}`}, []string{`{"a":1,"loc":[0,0]}`}},
		{"bool", `{"bool":{"must":[{"equals":{"a":1}}],"must_not":[{"equals":{"b":1}}],"should":[{"equals":{"c":1}},{"equals":{"c":2}}]}}`,
			[]string{`{"a":1,"c":2}`}, []string{`{"a":1,"b":1,"c":2}`, `{"a":1}`}},
		{"or and", `{"or":[{"and":[{"equals":{"a":1}},{"equals":{"b":1}}]},{"missing":"a"}]}`, []string{`{"a":1,"b":1}`, `{"b":2}`}, []string{`{"a":1}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := New()
			id, err := e.Register("i", "c", mustJSON(t, tc.filter))
			if err != nil {
				t.Fatalf("register: %v", err)
			}
			for _, d := range tc.yes {
				if got := e.Test("i", "c", mustJSON(t, d)); !slices.Equal(got, []string{id}) {
					t.Errorf("%s should match %s, got %v", tc.filter, d, got)
				}
			}
			for _, d := range tc.no {
				if got := e.Test("i", "c", mustJSON(t, d)); len(got) != 0 {
					t.Errorf("%s should not match %s", tc.filter, d)
				}
			}
		})
	}
}

func TestIDsAreCanonical(t *testing.T) {
	e := New()
	a, _ := e.Normalize("i", "c", mustJSON(t, `{"and":[{"equals":{"a":1}},{"in":{"b":["x","y"]}}]}`))
	b, _ := e.Normalize("i", "c", mustJSON(t, `{"bool":{"should":[{"equals":{"b":"y"}},{"equals":{"b":"x"}}],"must":{"term":{"a":1}}}}`))
	c, _ := e.Normalize("i", "d", mustJSON(t, `{"and":[{"equals":{"a":1}},{"in":{"b":["x","y"]}}]}`))
	if a.ID != b.ID {
		t.Errorf("equivalent filters got %s and %s", a.ID, b.ID)
	}
	if a.ID == c.ID {
		t.Errorf("two collections share id %s", a.ID)
	}
}

// TestIDStable pins one id: ids must survive restarts and releases, since
// clients keep them.
func TestIDStable(t *testing.T) {
	n, err := New().Normalize("index", "collection", mustJSON(t, `{"equals":{"a":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	const want = "afb40027f928339134ede651f0b2c874726c0028e5b07a725b1b9ccff971b1b1"
	if n.ID != want {
		t.Errorf("id changed: %s", n.ID)
	}
}

func TestLifecycle(t *testing.T) {
	e := New()
	f := mustJSON(t, `{"equals":{"a":1}}`)
	id, _ := e.Register("i", "c", f)
	id2, _ := e.Register("i", "c", f)
	other, _ := e.Register("i", "c", mustJSON(t, `{"range":{"a":{"gte":0}}}`))
	if id != id2 || !e.Has(id) || len(e.IDs("i", "c")) != 2 {
		t.Fatalf("register twice: %s %s %v", id, id2, e.IDs("i", "c"))
	}
	got := e.Test("i", "c", mustJSON(t, `{"a":1}`))
	slices.Sort(got)
	want := []string{id, other}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	if !e.Remove(id) || e.Remove(id) || e.Has(id) {
		t.Fatal("remove")
	}
	if got := e.Test("i", "c", mustJSON(t, `{"a":1}`)); !slices.Equal(got, []string{other}) {
		t.Fatalf("after remove: %v", got)
	}
	e.Remove(other)
	if e.IDs("i", "c") != nil || e.Test("i", "c", mustJSON(t, `{"a":1}`)) != nil {
		t.Fatal("scope not emptied")
	}
}

func TestConcurrentRegisterAndTest(t *testing.T) {
	e := New()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				f := map[string]any{"range": map[string]any{"a": map[string]any{"gte": float64(i), "lt": float64(i + w + 1)}}}
				id, err := e.Register("i", "c", f)
				if err != nil {
					t.Error(err)
					return
				}
				e.Test("i", "c", map[string]any{"a": float64(i)})
				if i%3 == 0 {
					e.Remove(id)
				}
			}
		}(w)
	}
	wg.Wait()
}

func TestRegexpPrefixIndex(t *testing.T) {
	cases := []struct {
		re, yes, no string
	}{
		{"^user-1-", "user-1-x", "user-12-x"},
		{"^user-1-[a-z]+$", "user-1-abc", "user-1-ABC"},
		{"^ab|^cd", "cdx", "xab"},
		{"(?i)^ab", "ABc", "xab"},
		{"^", "", ""},
	}
	for _, tc := range cases {
		e := New()
		id, err := e.Register("i", "c", map[string]any{"regexp": map[string]any{"a": tc.re}})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Test("i", "c", map[string]any{"a": tc.yes}); !slices.Equal(got, []string{id}) {
			t.Errorf("%s should match %q", tc.re, tc.yes)
		}
		if tc.no != "" && len(e.Test("i", "c", map[string]any{"a": tc.no})) != 0 {
			t.Errorf("%s should not match %q", tc.re, tc.no)
		}
	}
}

func TestCanonicalStrings(t *testing.T) {
	for _, s := range []string{"", "v12", "a b~", `q"`, `b\s`, "<&>", "é", "\x01", "\x7f"} {
		out, err := jsonx.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := canonicalJSON(s); got != string(out) {
			t.Errorf("canonicalJSON(%q) = %s, want %s", s, got, out)
		}
	}
}

func TestRegexpFastPath(t *testing.T) {
	for _, src := range []string{"^", "^abc", "^a-b_c d", "^a.b", "^é", "^a$", "^(x)", "abc"} {
		fast, err := newLazyRegexp(src)
		if err != nil {
			t.Fatal(err)
		}
		tree, err := syntax.Parse(src, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		prefix, literal := anchoredPrefix(tree.Simplify())
		if fast.prefix != prefix || fast.literal != literal {
			t.Errorf("%q: fast path (%q, %v), parser (%q, %v)", src, fast.prefix, fast.literal, prefix, literal)
		}
		for _, s := range []string{"", "abc", "abcd", "xabc", "a-b_c d!", "é"} {
			if got, want := fast.MatchString(s), regexp.MustCompile(src).MatchString(s); got != want {
				t.Errorf("%q on %q: %v, want %v", src, s, got, want)
			}
		}
	}
}

// TestChurnAgreesWithNormalForm registers many generated filters in one
// scope, where they share conditions and each subfilter is anchored on one
// of them, removes and re-registers some, and checks every match against
// the direct evaluation of the normal forms.
func TestChurnAgreesWithNormalForm(t *testing.T) {
	g := newGen(7)
	e := New(WithMaxConditions(50))
	forms := map[string]*Normalized{}
	var order []string
	for range 3000 {
		n, err := e.Normalize("i", "c", g.filter(3))
		if err != nil {
			continue
		}
		e.Store(n)
		if forms[n.ID] == nil {
			order = append(order, n.ID)
		}
		forms[n.ID] = n
	}
	for i, id := range order { // a third goes, half of those come back
		if i%3 != 0 {
			continue
		}
		e.Remove(id)
		if i%2 == 0 {
			e.Store(forms[id])
		} else {
			delete(forms, id)
		}
	}
	checked := 0
	for range 400 {
		body := g.document()
		if dottedKeys(body) {
			continue
		}
		got := map[string]bool{}
		for _, id := range e.Test("i", "c", body) {
			got[id] = true
		}
		p := &probe{document: newDocument(body, "")}
		for id, n := range forms {
			if want := n.form.holds(p); got[id] != want {
				t.Fatalf("filter %v on %v: indexes say %v, normal form says %v", n.form, body, got[id], want)
			}
			checked++
		}
	}
	if checked < 100000 {
		t.Fatalf("only %d (filter, document) pairs checked", checked)
	}
}
