package validation

import (
	"reflect"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

func mustParse(t *testing.T, spec string) *Specification {
	t.Helper()
	s, err := Parse("i", "c", []byte(spec))
	if err != nil {
		t.Fatalf("parse %s: %v", spec, err)
	}
	return s
}

func doc(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := jsonx.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("doc %s: %v", body, err)
	}
	return m
}

// TestFieldTypes checks each type's values one by one: "" is a valid
// value, anything else is the failed_field message.
func TestFieldTypes(t *testing.T) {
	cases := []struct {
		field, value, msg string
	}{
		{`{"type":"anything"}`, `{"x":[1]}`, ""},
		{`{"type":"boolean"}`, `false`, ""},
		{`{"type":"boolean"}`, `"true"`, "The field must be of type boolean."},
		{`{"type":"numeric"}`, `1.5`, ""},
		{`{"type":"numeric"}`, `"1"`, "The field must be a number."},
		{`{"type":"numeric","typeOptions":{"range":{"min":2,"max":10}}}`, `1.5`, "Value 1.5 is lesser than the allowed minimum (2)"},
		{`{"type":"numeric","typeOptions":{"range":{"min":2,"max":10}}}`, `11`, "Value 11 is greater than the allowed maximum (10)"},
		{`{"type":"integer"}`, `3`, ""},
		{`{"type":"integer"}`, `3.5`, "The field must be an integer."},
		{`{"type":"integer","typeOptions":{"range":{"max":2}}}`, `3.5`, "Value 3.5 is greater than the allowed maximum (2)"},
		{`{"type":"string"}`, `""`, ""},
		{`{"type":"string"}`, `1`, "The field must be a string."},
		{`{"type":"string","typeOptions":{"length":{"min":3}}}`, `"ab"`, `Invalid string length. Expected min: 3. Received: 2 ("ab")`},
		{`{"type":"string","typeOptions":{"length":{"max":3}}}`, `"abcd"`, `Invalid string length. Expected max: 3. Received: 4 ("abcd")`},
		{`{"type":"string","typeOptions":{"length":{"max":2}}}`, `"😀"`, ""}, // two UTF-16 units
		{`{"type":"string","typeOptions":{"length":{"max":1}}}`, `"😀"`, `Invalid string length. Expected max: 1. Received: 2 ("😀")`},
		{`{"type":"enum","typeOptions":{"values":["a","b"]}}`, `"b"`, ""},
		{`{"type":"enum","typeOptions":{"values":["a","b"]}}`, `"c"`, `The field only accepts following values: "a, b".`},
		{`{"type":"enum","typeOptions":{"values":["a"]}}`, `1`, "The field must be a string."},
		{`{"type":"email"}`, `"a@example.com"`, ""},
		{`{"type":"email"}`, `""`, ""},
		{`{"type":"email","typeOptions":{"notEmpty":true}}`, `""`, "The string must not be empty."},
		{`{"type":"email"}`, `"nope"`, "The string must be a valid email address."},
		{`{"type":"email"}`, `3`, "The field must be a string."},
		{`{"type":"url"}`, `"https://kuzzle.io/x?y"`, ""},
		{`{"type":"url"}`, `"not a url"`, "The string must be a valid URL."},
		{`{"type":"url","typeOptions":{"notEmpty":true}}`, `""`, "The string must not be empty."},
		{`{"type":"ip_address"}`, `"::1"`, ""},
		{`{"type":"ip_address"}`, `"1.2.3.256"`, "The string must be a valid IP address."},
		{`{"type":"ip_address"}`, `[]`, "The field is not a multivalued field; Multiple values provided."},
		{`{"type":"object"}`, `{}`, ""},
		{`{"type":"object"}`, `"x"`, "The value must be an object."},
		{`{"type":"geo_point"}`, `{"lat":43.6,"lon":3.9}`, ""},
		{`{"type":"geo_point"}`, `"43.6, 3.9"`, ""},
		{`{"type":"geo_point"}`, `{"lat_lon":[43.6,3.9]}`, ""},
		{`{"type":"geo_point"}`, `"spfb09"`, ""},
		{`{"type":"geo_point"}`, `{"lat":43.6}`, "Invalid GeoPoint format"},
		{`{"type":"geo_point"}`, `true`, "Invalid GeoPoint format"},
		{`{"type":"date"}`, `1500000000000`, ""},
		{`{"type":"date"}`, `"2017-01-01"`, "The date format is invalid."},
		{`{"type":"date","typeOptions":{"formats":["strict_date","epoch_second"]}}`, `"2017-01-01"`, ""},
		{`{"type":"date","typeOptions":{"formats":["strict_date","epoch_second"]}}`, `1500000000`, ""},
		{`{"type":"date","typeOptions":{"formats":["strict_date"]}}`, `"2017-1-1"`, "The date format is invalid."},
		{`{"type":"date","typeOptions":{"formats":["date"]}}`, `"2017-1-1"`, ""},
		{`{"type":"date","typeOptions":{"formats":["date"],"range":{"min":"2017-01-02"}}}`, `"2017-01-01"`,
			"The provided date is before the defined minimum."},
		{`{"type":"date","typeOptions":{"formats":["date"],"range":{"max":"2016-12-31T23:59:59Z"}}}`, `"2017-01-01"`,
			"The provided date is after the defined maximum."},
		{`{"type":"date","typeOptions":{"formats":["date"],"range":{"max":"NOW"}}}`, `"9999-01-01"`,
			"The provided date is after the defined maximum."},
		{`{"type":"date","typeOptions":{"range":{"min":0}}}`, `-1`, "The provided date is before the defined minimum."},
		{`{"type":"geo_shape"}`, `{"type":"point","coordinates":[3.9,43.6]}`, ""},
		{`{"type":"geo_shape"}`, `{"type":"polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"orientation":"cw"}`, ""},
		{`{"type":"geo_shape"}`, `{"type":"circle","coordinates":[0,0],"radius":"10km"}`, ""},
		{`{"type":"geo_shape"}`, `{"type":"circle","coordinates":[0,0],"radius":12}`, ""},
		{`{"type":"geo_shape"}`, `{"type":"envelope","coordinates":[[0,1],[1,0]]}`, ""},
		{`{"type":"geo_shape"}`, `{"type":"linestring","coordinates":[[0,1],[1,0]]}`, ""},
		{`{"type":"geo_shape"}`, `{"type":"multipoint","coordinates":[[0,1],[1,0]]}`, ""},
		{`{"type":"geo_shape"}`, `{"type":"multilinestring","coordinates":[[[0,1],[1,0]]]}`, ""},
		{`{"type":"geo_shape"}`, `{"type":"multipolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`, ""},
		{`{"type":"geo_shape"}`, `{"type":"geometrycollection","geometries":[{"type":"point","coordinates":[0,0]}]}`, ""},
		{`{"type":"geo_shape"}`, `{"coordinates":[0,0]}`, "The shape object has no type defined."},
		{`{"type":"geo_shape"}`, `{"type":"point","coordinates":[0,0],"foo":1}`, "The shape object has a not allowed property."},
		{`{"type":"geo_shape","typeOptions":{"shapeTypes":["polygon"]}}`, `{"type":"point","coordinates":[0,0]}`,
			"The provided shape type is not allowed."},
		{`{"type":"geo_shape"}`, `{"type":"point"}`, `The coordinates property must be provided for the "point" shape type.`},
		{`{"type":"geo_shape"}`, `{"type":"point","coordinates":[200,0]}`, `The shape type "point" has bad coordinates.`},
		{`{"type":"geo_shape"}`, `{"type":"polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`, `The shape type "polygon" has bad coordinates.`},
		{`{"type":"geo_shape"}`, `{"type":"polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"orientation":"up"}`,
			"The orientation property has not a valid value."},
		{`{"type":"geo_shape"}`, `{"type":"multipoint","coordinates":[[0,0],[0,100]]}`,
			`One of the shapes in  the shape type "multipoint" has bad coordinates.`},
		{`{"type":"geo_shape"}`, `{"type":"circle","coordinates":[0,0]}`, `The radius property is mandatory for the "circle" shape type.`},
		{`{"type":"geo_shape"}`, `{"type":"circle","coordinates":[0,0],"radius":"far"}`, "The radius property has not a valid format."},
		{`{"type":"geo_shape"}`, `{"type":"point","coordinates":[0,0],"radius":1}`, `The radius property must not be provided for the "point" shape type.`},
		{`{"type":"geo_shape"}`, `{"type":"geometrycollection","coordinates":[0,0],"geometries":[]}`,
			`The coordinates property must not be provided for the "geometrycollection" shape type.`},
		{`{"type":"geo_shape"}`, `{"type":"geometrycollection"}`,
			`The geometries property must be provided for the "geometrycollection" shape type.`},
		{`{"type":"geo_shape"}`, `{"type":"geometrycollection","geometries":[{"type":"point","coordinates":[0,91]}]}`,
			`The shape type "point" has bad coordinates.`},
	}
	for _, c := range cases {
		s := mustParse(t, `{"fields":{"f":`+c.field+`}}`)
		_, err := s.Check(Write{Body: doc(t, `{"f":`+c.value+`}`)})
		if c.msg == "" {
			if err != nil {
				t.Errorf("%s with %s: %v", c.field, c.value, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s with %s: accepted, want %q", c.field, c.value, c.msg)
			continue
		}
		ke := kerr(t, err)
		want := `Validation failed. Field "f": ` + c.msg
		if ke.ID != "validation.check.failed_field" || ke.Message != want {
			t.Errorf("%s with %s:\n got %s %q\nwant %q", c.field, c.value, ke.ID, ke.Message, want)
		}
	}
}

func TestCheckDocument(t *testing.T) {
	spec := `{"strict":true,"fields":{
		"name":{"type":"string","mandatory":true},
		"age":{"type":"integer","defaultValue":18},
		"tags":{"type":"string","multivalued":{"value":true,"minCount":1,"maxCount":2}},
		"zero":{"type":"integer","defaultValue":0,"mandatory":true},
		"addr":{"type":"object","typeOptions":{"strict":false}},
		"addr/city":{"type":"string","defaultValue":"Montpellier"},
		"meta":{"type":"object","multivalued":{"value":true}},
		"meta/k":{"type":"string","mandatory":true}},
		"validators":[{"not":{"equals":{"name":"forbidden"}}}]}`
	s := mustParse(t, spec)
	cases := []struct {
		name, body, want, err string
	}{
		{"defaults applied", `{"name":"a"}`, `{"age":18,"name":"a"}`, ""},
		{"nested default", `{"name":"a","addr":{"zip":1}}`, `{"addr":{"city":"Montpellier","zip":1},"age":18,"name":"a"}`, ""},
		{"null filled", `{"name":"a","age":null}`, `{"age":18,"name":"a"}`, ""},
		{"multivalued objects defaults", `{"name":"a","meta":[{"k":"x"}]}`, `{"age":18,"meta":[{"k":"x"}],"name":"a"}`, ""},
		{"mandatory", `{"age":3}`, "", `Validation failed. Field "name": The field is mandatory.`},
		{"strict root", `{"name":"a","zz":1,"other":2}`, "", `Failed to validate document: The document validation is strict. Cannot add unspecified sub-field "other"`},
		{"unary for multivalued", `{"name":"a","tags":"x"}`, "", `Validation failed. Field "tags": The field must be multivalued, unary value provided.`},
		{"min count", `{"name":"a","tags":[]}`, "", `Validation failed. Field "tags": Not enough elements. Minimum count is set to 1.`},
		{"max count", `{"name":"a","tags":["a","b","c"]}`, "", `Validation failed. Field "tags": Too many elements. Maximum count is set to 2.`},
		{"element type", `{"name":"a","tags":["a",1]}`, "", `Validation failed. Field "tags": The field must be a string.`},
		{"nested type", `{"name":"a","addr":{"city":1}}`, "", `Validation failed. Field "addr.city": The field must be a string.`},
		{"nested mandatory", `{"name":"a","meta":[{"k":"x"},{}]}`, "", `Validation failed. Field "meta.k": The field is mandatory.`},
		{"nested strict inherited", `{"name":"a","meta":[{"k":"x","j":1}]}`, "",
			`Validation failed. Field "meta": The field is set to "strict"; cannot add unspecified sub-field "j".`},
		{"validators", `{"name":"forbidden"}`, "", `Failed to validate document: The document does not match validation filters.`},
		{"prototype names pass strictness", `{"name":"a","constructor":1}`, `{"age":18,"constructor":1,"name":"a"}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := doc(t, c.body)
			before, _ := jsonx.Marshal(body)
			got, err := s.Check(Write{Body: body})
			after, _ := jsonx.Marshal(body)
			if string(before) != string(after) {
				t.Errorf("body modified: %s → %s", before, after)
			}
			if c.err != "" {
				if err == nil {
					t.Fatalf("accepted: %v", got)
				}
				if ke := kerr(t, err); ke.Message != c.err {
					t.Errorf("got %q, want %q", ke.Message, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out, _ := jsonx.Marshal(got)
			if string(out) != c.want {
				t.Errorf("got %s, want %s", out, c.want)
			}
		})
	}
}

func TestCheckUpdate(t *testing.T) {
	s := mustParse(t, `{"fields":{"name":{"type":"string","mandatory":true},"age":{"type":"integer","defaultValue":18},
		"n":{"type":"integer","defaultValue":5}}}`)
	stored := doc(t, `{"name":"a","age":30}`)
	// The changes alone lack the mandatory name: the stored one counts.
	got, err := s.Check(Write{Update: true, Body: doc(t, `{"age":31}`), Stored: stored})
	if err != nil {
		t.Fatal(err)
	}
	// Defaults fill null fields only: n, absent, stays absent.
	if out, _ := jsonx.Marshal(got); string(out) != `{"age":31}` {
		t.Errorf("got %s", out)
	}
	got, err = s.Check(Write{Update: true, Body: doc(t, `{"n":null}`), Stored: stored})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := jsonx.Marshal(got); string(out) != `{"n":5}` {
		t.Errorf("got %s", out)
	}
	_, err = s.Check(Write{Update: true, Body: doc(t, `{"age":"x"}`), Stored: stored})
	if err == nil || kerr(t, err).Message != `Validation failed. Field "age": The field must be a number.` {
		t.Errorf("got %v", err)
	}
}

func TestValidatorsSeeID(t *testing.T) {
	s := mustParse(t, `{"validators":[{"ids":{"values":["ok"]}}]}`)
	if _, err := s.Check(Write{ID: "ok", Body: map[string]any{}}); err != nil {
		t.Errorf("id ok: %v", err)
	}
	if _, err := s.Check(Write{ID: "ko", Body: map[string]any{}}); err == nil {
		t.Error("id ko accepted")
	}
}

func TestVerbose(t *testing.T) {
	s := mustParse(t, `{"strict":false,"fields":{
		"a":{"type":"string"},"b":{"type":"integer","mandatory":true},
		"o":{"type":"object","multivalued":{"value":true},"typeOptions":{"strict":true}},
		"o/x":{"type":"integer"},"o/y":{"type":"boolean","mandatory":true}},
		"validators":[{"exists":"zz"}]}`)
	cases := []struct{ name, body, want string }{
		{"valid", `{"b":1,"zz":true}`, `{"errorMessages":{},"valid":true}`},
		{"every problem", `{"a":1,"o":[{"x":"1","y":true},{"y":false,"q":1},{}]}`,
			`{"errorMessages":{"fieldScope":{"children":{"a":{"messages":["The field must be a string."]},` +
				`"b":{"messages":["The field is mandatory."]},` +
				`"o":{"children":{"x":{"messages":["The field must be a number."]},"y":{"messages":["The field is mandatory."]}},` +
				`"messages":["The field is set to \"strict\"; cannot add unspecified sub-field \"q\"."]}}},` +
				`"documentScope":["The document does not match validation filters."]},"valid":false}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := jsonx.Marshal(s.Verbose(Write{Body: doc(t, c.body)}))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("\n got %s\nwant %s", got, c.want)
			}
		})
	}
	strict := mustParse(t, `{"strict":true,"fields":{"a":{"type":"string"}},"validators":[{"exists":"a"}]}`)
	got, _ := jsonx.Marshal(strict.Verbose(Write{Body: doc(t, `{"b":1}`)}))
	want := `{"errorMessages":{"documentScope":["The document validation is strict. Cannot add unspecified sub-field \"b\"",` +
		`"The document does not match validation filters."]},"valid":false}`
	if string(got) != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestNoSpecification(t *testing.T) {
	var s *Specification
	body := map[string]any{"a": 1.0}
	got, err := s.Check(Write{Body: body})
	if err != nil || !reflect.DeepEqual(got, body) {
		t.Errorf("got %v, %v", got, err)
	}
	out, _ := jsonx.Marshal(s.Verbose(Write{Body: body}))
	if string(out) != `{"errorMessages":{},"valid":true}` {
		t.Errorf("got %s", out)
	}
}

func TestDefaultsDeep(t *testing.T) {
	dst := doc(t, `{"a":{"b":1},"l":[{"x":1}],"n":null,"s":"keep"}`)
	src := doc(t, `{"a":{"b":2,"c":3},"l":[{"x":2,"y":2},{"z":1}],"n":4,"s":{"o":1},"new":[1]}`)
	DefaultsDeep(dst, src)
	out, _ := jsonx.Marshal(dst)
	want := `{"a":{"b":1,"c":3},"l":[{"x":1,"y":2},{"z":1}],"n":null,"new":[1],"s":"keep"}`
	if string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
}
