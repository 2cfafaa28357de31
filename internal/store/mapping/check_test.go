package mapping

import (
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

const checkMapping = `{"dynamic":"strict","properties":{
	"name":{"type":"text","fields":{"keyword":{"type":"keyword"}}},
	"age":{"type":"integer"},"big":{"type":"long"},"small":{"type":"byte"},"ratio":{"type":"float"},
	"strictInt":{"type":"integer","coerce":false},"lenient":{"type":"integer","ignore_malformed":true},
	"ok":{"type":"boolean"},"at":{"type":"date"},"epoch":{"type":"date","format":"epoch_millis"},
	"loc":{"type":"geo_point"},
	"user":{"properties":{"city":{"type":"keyword"}}},
	"free":{"dynamic":"true","properties":{}},
	"loose":{"dynamic":"false","properties":{"n":{"type":"long"}}},
	"off":{"type":"object","enabled":false},
	"tags":{"type":"nested","properties":{"t":{"type":"keyword"}}}}}`

func decode(t testing.TB, raw string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := jsonx.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return doc
}

func TestCheckAccepts(t *testing.T) {
	m := mustParse(t, checkMapping)
	for _, doc := range []string{
		`{}`,
		`{"name":"x","age":12,"big":9007199254740991,"small":-128,"ratio":1.5,"ok":true,"at":"2024-03-01T10:20:30.123+02:00"}`,
		`{"name":12,"age":"12","ratio":"1.5e3","ok":"false","at":"2024","epoch":1700000000000}`,
		`{"name":["a",1,true,null],"age":[1,[2,3]],"age":12.7,"at":["2024-03-01",1700000000000],"epoch":"1700000000000"}`,
		`{"age":"","ok":"","name":null,"user":null,"tags":null}`,
		`{"lenient":"not a number","strictInt":3}`,
		`{"loc":{"lat":45.1,"lon":3.2}}`, `{"loc":"45.1,3.2"}`, `{"loc":[3.2,45.1]}`, `{"loc":"u0vz"}`,
		`{"loc":"POINT (3.2 45.1)"}`, `{"loc":[{"lat":1,"lon":2},"1,2"]}`, `{"loc":{"lat":"1","lon":"2"}}`,
		`{"loc":{"type":"Point","coordinates":[3.2,45.1]}}`,
		`{"user":{"city":"Paris"},"tags":[{"t":"a"},{"t":"b"}]}`,
		`{"loose":{"anything":{"deep":[1]},"n":4}}`,
		`{"off":{"whatever":[1,"x"]}}`, `{"off":"concrete"}`,
		`{"user.city":"Paris"}`,
	} {
		added, err := m.Check(decode(t, doc), Where{"i", "c", "id"})
		if err != nil || added != nil {
			t.Errorf("Check(%s) = %v, %v; want nil, nil", doc, added, err)
		}
	}
}

func TestCheckRefuses(t *testing.T) {
	m := mustParse(t, checkMapping)
	const bad = "services.storage.unexpected_bad_request"
	const strict = "services.storage.strict_mapping_rejection"
	parse := func(path, typ, preview string) string {
		return "failed to parse field [" + path + "] of type [" + typ + "] in document with id 'id'. Preview of field's value: '" + preview + "'"
	}
	tests := []struct{ doc, id, message string }{
		{`{"age":"abc"}`, bad, parse("age", "integer", "abc")},
		{`{"age":true}`, bad, parse("age", "integer", "true")},
		{`{"age":[1,"x"]}`, bad, parse("age", "integer", "x")},
		{`{"age":3000000000}`, bad, parse("age", "integer", "3000000000")},
		{`{"small":200}`, bad, parse("small", "byte", "200")},
		{`{"strictInt":"3"}`, bad, parse("strictInt", "integer", "3")},
		{`{"strictInt":3.5}`, bad, parse("strictInt", "integer", "3.5")},
		{`{"ratio":1e39}`, bad, parse("ratio", "float", "1000000000000000000000000000000000000000")},
		{`{"ok":1}`, bad, parse("ok", "boolean", "1")},
		{`{"ok":"yes"}`, bad, parse("ok", "boolean", "yes")},
		{`{"at":"yesterday"}`, bad, parse("at", "date", "yesterday")},
		{`{"at":"2024-13-01"}`, bad, parse("at", "date", "2024-13-01")},
		{`{"at":true}`, bad, parse("at", "date", "true")},
		{`{"epoch":"2024-01-01"}`, bad, parse("epoch", "date", "2024-01-01")},
		{`{"loc":{"lat":95,"lon":3}}`, bad, parse("loc", "geo_point", "{lat=95, lon=3}")},
		{`{"loc":"Paris!"}`, bad, parse("loc", "geo_point", "Paris!")},
		{`{"loc":12}`, bad, parse("loc", "geo_point", "12")},
		{`{"name":{"a":"b"}}`, bad, parse("name", "text", "{a=b}")},
		{`{"user":{"city":{"a":1}}}`, bad, parse("user.city", "keyword", "{a=1}")},
		{`{"user":"Paris"}`, bad, "object mapping for [user] tried to parse field [user] as object, but found a concrete value"},
		{`{"tags":["a"]}`, bad, "object mapping for [tags] tried to parse field [tags] as object, but found a concrete value"},
		{`{"nope":1}`, strict, `Cannot create document. Field "nope" is not present in collection "i:c" strict mapping`},
		{`{"user":{"zip":"1"}}`, strict, `Cannot create document. Field "zip" is not present in collection "i:c" strict mapping`},
		{`{"age":"x","nope":1}`, bad, parse("age", "integer", "x")},
		{`{"free":{"n":1,"m":[2,"x"]}}`, bad, parse("free.m", "long", "x")},
		{`{"free":{"a":[{"b":1},{"b":"x"}]}}`, bad, parse("free.a.b", "long", "x")},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			for i := 0; i < 3; i++ { // the reported error does not depend on map order
				_, err := m.Check(decode(t, tt.doc), Where{"i", "c", "id"})
				wantKerror(t, err, tt.id, tt.message)
			}
		})
	}
}

func TestCheckInfers(t *testing.T) {
	text := `{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}}`
	tests := []struct{ name, mapping, doc, want string }{
		{"scalars", `{}`, `{"s":"hi","n":3,"f":1.5,"b":false,"d":"2024-03-01T10:00:00Z","sd":"2024/03/01","y":"2024","z":null,"e":[]}`,
			`{"properties":{"b":{"type":"boolean"},"d":{"type":"date"},"f":{"type":"float"},"n":{"type":"long"},"s":` + text +
				`,"sd":{"type":"date","format":"yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis"},"y":` + text + `}}`},
		{"objects and arrays", `{"dynamic":"true"}`, `{"o":{"p":{"q":[null,7]}},"a":[{"x":1},{"y":true}],"empty":{}}`,
			`{"properties":{"a":{"properties":{"x":{"type":"long"},"y":{"type":"boolean"}}},"empty":{"type":"object"},` +
				`"o":{"properties":{"p":{"properties":{"q":{"type":"long"}}}}}}}`},
		{"inside mapped objects", `{"properties":{"u":{"properties":{"n":{"type":"long"}}},"t":{"type":"nested"}}}`,
			`{"u":{"n":1,"m":"x"},"t":[{"k":true}]}`,
			`{"properties":{"t":{"type":"nested","properties":{"k":{"type":"boolean"}}},"u":{"properties":{"m":` + text + `}}}}`},
		{"dynamic inherited and overridden", `{"dynamic":"false","properties":{"on":{"dynamic":"true","properties":{"off":{"dynamic":"false","properties":{}}}}}}`,
			`{"x":1,"on":{"y":2,"off":{"z":3},"sub":{"w":4}}}`,
			`{"properties":{"on":{"properties":{"sub":{"properties":{"w":{"type":"long"}}},"y":{"type":"long"}}}}}`},
		{"dotted keys", `{}`, `{"a.b":1}`, `{"properties":{"a":{"properties":{"b":{"type":"long"}}}}}`},
		{"false drops", `{"dynamic":false}`, `{"x":{"y":1}}`, ``},
		{"nothing new", `{"properties":{"n":{"type":"long"}}}`, `{"n":1}`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.mapping)
			before, _ := m.MarshalJSON()
			added, err := m.Check(decode(t, tt.doc), Where{"i", "c", "id"})
			if err != nil {
				t.Fatal(err)
			}
			if after, _ := m.MarshalJSON(); string(after) != string(before) {
				t.Fatalf("Check modified the mappings: %s", after)
			}
			if tt.want == "" {
				if added != nil {
					out, _ := added.MarshalJSON()
					t.Fatalf("added %s, want nil", out)
				}
				return
			}
			if added == nil {
				t.Fatal("added nil")
			}
			if out, _ := added.MarshalJSON(); string(out) != tt.want {
				t.Fatalf("added\n got  %s\n want %s", out, tt.want)
			}
			merged, err := Merge(m, added)
			if err != nil {
				t.Fatalf("Merge(m, added): %v", err)
			}
			if again, err := merged.Check(decode(t, tt.doc), Where{}); err != nil || again != nil {
				t.Fatalf("after merge, Check = %v, %v; want nil, nil", again, err)
			}
		})
	}
}

func TestCheckNilMappings(t *testing.T) {
	var m *Mappings
	added, err := m.Check(map[string]any{"a": "x"}, Where{})
	if err != nil || added.Lookup("a.keyword") == nil {
		t.Fatalf("Check on nil mappings = %v, %v", added, err)
	}
}
