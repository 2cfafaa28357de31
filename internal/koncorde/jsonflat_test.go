package koncorde

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

// plain turns *object values back into maps, for comparisons with
// decoded documents.
func plain(v any) any {
	switch x := v.(type) {
	case *object:
		m := make(map[string]any, len(x.members))
		for _, f := range x.members {
			m[f.path] = plain(f.any())
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = plain(e)
		}
		return m
	}
	return v
}

// flatMap is a document's fields as a map of plain values.
func flatMap(d *document) map[string]any {
	m := make(map[string]any, len(d.fields))
	for _, f := range d.fields {
		m[f.path] = plain(f.any())
	}
	return m
}

func TestParseDocument(t *testing.T) {
	cases := []struct {
		name, doc, id string
		want          map[string]any
	}{
		{"empty", `{}`, "", map[string]any{}},
		{"null", ` null `, "", map[string]any{}},
		{"scalars", `{"s":"x","n":-1.5e2,"t":true,"f":false,"z":null,"i":12}`, "",
			map[string]any{"s": "x", "n": -150.0, "t": true, "f": false, "z": nil, "i": 12.0}},
		{"nested", `{"a":{"b":{"c":1}},"l":[1,{"x":"y"},[]]}`, "", map[string]any{
			"a": map[string]any{"b": map[string]any{"c": 1.0}}, "a.b": map[string]any{"c": 1.0}, "a.b.c": 1.0,
			"l": []any{1.0, map[string]any{"x": "y"}, []any{}},
		}},
		{"duplicate keys keep the last value", `{"a":{"x":1,"y":{"z":2}},"b":1,"a":{"w":3}}`, "", map[string]any{
			"a": map[string]any{"w": 3.0}, "a.w": 3.0, "b": 1.0,
		}},
		{"nested duplicates", `{"o":{"k":1,"k":{"m":2}}}`, "", map[string]any{
			"o": map[string]any{"k": map[string]any{"m": 2.0}}, "o.k": map[string]any{"m": 2.0}, "o.k.m": 2.0,
		}},
		{"escapes", `{"e\u00e9":"a\"b\\c\/\n\ud83d\ude00","bad":"\ud800"}`, "", map[string]any{
			"eé": "a\"b\\c/\n😀", "bad": "\uFFFD",
		}},
		{"raw utf-8 and invalid bytes", "{\"k\":\"héllo\",\"x\":\"a\xffb\"}", "", map[string]any{
			"k": "héllo", "x": "a\uFFFDb",
		}},
		{"id replaces _id", `{"_id":"body","a":1}`, "doc", map[string]any{"_id": "doc", "a": 1.0}},
		{"negative zero and big numbers", `{"z":-0,"b":12345678901234567890,"e":1E+2}`, "", map[string]any{
			"z": math.Copysign(0, -1), "b": 12345678901234567890.0, "e": 100.0,
		}},
		{"many keys", `{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":{"x":1}}`, "",
			func() map[string]any {
				m := map[string]any{}
				for i := range 18 {
					m["k"+num(float64(i))] = float64(i)
				}
				m["k3"] = map[string]any{"x": 1.0}
				m["k3.x"] = 1.0
				return m
			}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseDocument([]byte(c.doc), c.id)
			if err != nil {
				t.Fatal(err)
			}
			if got := flatMap(d.d); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %#v\nwant %#v", got, c.want)
			}
			if len(d.d.fields) != len(c.want) {
				t.Errorf("%d fields, want %d", len(d.d.fields), len(c.want))
			}
			if z, ok := flatMap(d.d)["z"].(float64); ok && c.name == "negative zero and big numbers" && !math.Signbit(z) {
				t.Error("-0 lost its sign")
			}
		})
	}
}

func TestParseDocumentErrors(t *testing.T) {
	cases := []struct{ name, doc string }{
		{"empty input", ``},
		{"array", `[1]`},
		{"number", `1`},
		{"string", `"s"`},
		{"unterminated", `{"a":1`},
		{"trailing comma", `{"a":1,}`},
		{"trailing data", `{"a":1} x`},
		{"two documents", `{}{}`},
		{"leading zero", `{"a":01}`},
		{"bare minus", `{"a":-}`},
		{"no fraction digit", `{"a":1.}`},
		{"no exponent digit", `{"a":1e}`},
		{"out of range", `{"a":1e400}`},
		{"bad literal", `{"a":tru}`},
		{"NaN", `{"a":NaN}`},
		{"control character", "{\"a\":\"\t\"}"},
		{"bad escape", `{"a":"\x"}`},
		{"unterminated string", `{"a":"x`},
		{"missing colon", `{"a" 1}`},
		{"unquoted key", `{a:1}`},
		{"array trailing comma", `{"a":[1,]}`},
		{"byte order mark", "\xef\xbb\xbf{}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ParseDocument([]byte(c.doc), ""); err == nil {
				t.Errorf("%q accepted", c.doc)
			}
			var m map[string]any
			if jsonx.Unmarshal([]byte(c.doc), &m) == nil {
				t.Errorf("the decoder accepts %q: the case is wrong", c.doc)
			}
		})
	}
}

func TestParseDocumentDepth(t *testing.T) {
	cases := []struct {
		name    string
		depth   int
		object  bool
		tooDeep bool
	}{
		{"arrays at the limit", MaxDepth - 1, false, false},
		{"arrays over the limit", MaxDepth, false, true},
		{"objects at the limit", MaxDepth, true, false},
		{"objects over the limit", MaxDepth + 1, true, true},
		{"far over the limit", 100 * MaxDepth, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var doc string
			if c.object { // the document object is one of the levels
				doc = strings.Repeat(`{"a":`, c.depth-1) + `{}` + strings.Repeat(`}`, c.depth-1)
			} else {
				doc = `{"a":` + strings.Repeat(`[`, c.depth) + strings.Repeat(`]`, c.depth) + `}`
			}
			_, err := ParseDocument([]byte(doc), "")
			if got := errors.Is(err, ErrTooDeep); got != c.tooDeep || (!c.tooDeep && err != nil) {
				t.Errorf("err = %v, want too deep: %v", err, c.tooDeep)
			}
		})
	}
}

// FuzzParseDocument: the flattener accepts what the decoder accepts (but
// for nesting beyond MaxDepth), flattens to the same fields, and every
// filter matches it as it matches the decoded document.
func FuzzParseDocument(f *testing.F) {
	seeds := [][2]string{
		{`{"a":{"b":[1,{"c":"d"}]},"e":"\u00e9","a":{"x":1}}`, `{"exists":"a.x"}`},
		{`{"loc":{"lat":43.5,"lon":"2.1"},"l2":{"lat_lon":[1,2]}}`, `{"geoDistance":{"loc":{"lat":43.5,"lon":2.1},"distance":"1km"}}`},
		{`{"t":[{"a":1},{"a":[2]}]}`, `{"select":{"field":"t","index":-1,"query":{"match":{"value":{"a":[2]}}}}}`},
		{`{"c":{"d":[1,2],"e":{"f":null}}}`, `{"match":{"c":{"d":[1],"e":{"f":null}}}}`},
		{`{"n":-0.5e-3,"s":"x\ud800y","b":false}`, `{"not":{"range":{"n":{"gt":0}}}}`},
		{`{"tags":["a","b","a"]}`, `{"exists":"tags[\"a\"]"}`},
		{"{\"k\":\"a\xffb\"}", `{"regexp":{"k":"^a"}}`},
		{`null`, `{}`},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, raw, filter []byte) {
		var body map[string]any
		decErr := jsonx.Unmarshal(raw, &body)
		doc, err := ParseDocument(raw, "")
		if errors.Is(err, ErrTooDeep) {
			return
		}
		if (err == nil) != (decErr == nil) {
			t.Fatalf("%q: flattener error %v, decoder error %v", raw, err, decErr)
		}
		if err != nil {
			return
		}
		dotted := dottedKeys(body)
		want := flatMap(newDocument(body, ""))
		if got := flatMap(doc.d); !dotted && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: flattened to\n%#v\nwant\n%#v", raw, got, want)
		}
		e := New(WithMaxConditions(30))
		if _, err := e.NormalizeJSON("i", "c", filter); err != nil {
			return
		}
		if _, err := e.Register("i", "c", mustDecode(t, filter)); err != nil {
			t.Fatal(err)
		}
		byMap := e.Test("i", "c", body)
		byDoc := e.TestDocument("i", "c", doc)
		byJSON, err := e.TestJSON("i", "c", raw)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(byMap)
		slices.Sort(byDoc)
		slices.Sort(byJSON)
		if !dotted && (!slices.Equal(byMap, byDoc) || !slices.Equal(byMap, byJSON)) {
			t.Fatalf("doc %q filter %s: decoded %v, parsed %v, raw %v", raw, filter, byMap, byDoc, byJSON)
		}
	})
}

func mustDecode(t *testing.T, raw []byte) map[string]any {
	var m map[string]any
	if err := jsonx.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
