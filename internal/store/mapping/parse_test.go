package mapping

import (
	"errors"
	"testing"

	"github.com/starlingmq/starling/internal/kerror"
)

// wantKerror fails t unless err is the Kuzzle error id with message.
func wantKerror(t *testing.T, err error, id, message string) {
	t.Helper()
	var ke *kerror.Error
	if !errors.As(err, &ke) {
		t.Fatalf("error = %v, want %s", err, id)
	}
	if ke.ID != id || (message != "" && ke.Message != message) {
		t.Fatalf("error = %s %q, want %s %q", ke.ID, ke.Message, id, message)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, raw, id, message string
	}{
		{"not an object", `[1]`, "api.assert.invalid_type", `Wrong type for argument "mappings" (expected: object)`},
		{"unknown root property", `{"dynamik":"true"}`, "services.storage.invalid_mapping",
			`Invalid mapping property "mappings.dynamik".`},
		{"unknown property of an object", `{"properties":{"user":{"properties":{},"enabled":false}}}`,
			"services.storage.invalid_mapping", `Invalid mapping property "mappings.properties.user.enabled".`},
		{"dynamic not a string", `{"dynamic":1}`, "services.storage.invalid_mapping",
			`Invalid mapping property "mappings.dynamic".Dynamic property value should be a string.`},
		{"dynamic wrong value", `{"properties":{"o":{"dynamic":"yes","properties":{}}}}`, "services.storage.invalid_mapping",
			`Invalid mapping property "mappings.properties.o.dynamic".Incorrect dynamic property value (yes). Should be one of "true", "false", "strict"`},
		{"unknown type", `{"properties":{"n":{"type":"strnig"}}}`, "services.storage.invalid_mapping_type",
			`Field "n": the data type "strnig" doesn't exist`},
		{"unknown type in an object", `{"properties":{"o":{"properties":{"n":{"type":"geo_shape"}}}}}`,
			"services.storage.invalid_mapping_type", `Field "o.n": the data type "geo_shape" doesn't exist`},
		{"object multi-field", `{"properties":{"n":{"type":"text","fields":{"o":{"type":"object"}}}}}`,
			"services.storage.invalid_mapping_type", `Field "n.o": the data type "object" doesn't exist`},
		{"unsupported parameter", `{"properties":{"n":{"type":"keyword","analyzer":"french"}}}`,
			"services.storage.unexpected_properties", `Property "analyzer : french" is not supported for field "n".`},
		{"properties on a concrete field", `{"properties":{"n":{"type":"long","properties":{}}}}`,
			"services.storage.unexpected_properties", `Property "properties : {}" is not supported for field "n".`},
		{"dynamic on a concrete field", `{"properties":{"n":{"type":"long","dynamic":"true"}}}`,
			"services.storage.unexpected_properties", `Property "dynamic : true" is not supported for field "n".`},
		{"definition not an object", `{"properties":{"n":"keyword"}}`,
			"services.storage.wrong_mapping_property", `Cannot parse mapping property "n"`},
		{"type not a string", `{"properties":{"n":{"type":12}}}`,
			"services.storage.wrong_mapping_property", `Cannot parse mapping property "n.type"`},
		{"fields not an object", `{"properties":{"n":{"type":"text","fields":"x"}}}`,
			"services.storage.wrong_mapping_property", `Cannot parse mapping property "n.fields"`},
		{"_meta not an object", `{"_meta":"x"}`, "services.storage.wrong_mapping_property", ""},
		{"multi-field without type", `{"properties":{"n":{"type":"text","fields":{"k":{}}}}}`,
			"services.storage.unexpected_bad_request", "No type specified for field [n.k]"},
		{"scaled_float without factor", `{"properties":{"n":{"type":"scaled_float"}}}`,
			"services.storage.unexpected_bad_request", "Field [scaling_factor] is required"},
		{"dotted name conflict", `{"properties":{"a":{"type":"long"},"a.b":{"type":"long"}}}`,
			"services.storage.cannot_change_mapping", `Field "a" already has a mapping, and it cannot be changed`},
		{"empty field name", `{"properties":{"":{"type":"long"}}}`, "services.storage.unexpected_bad_request", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.raw))
			wantKerror(t, err, tt.id, tt.message)
		})
	}
}

func TestParseRoundTrip(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"empty", ``, `{"properties":{}}`},
		{"null", `null`, `{"properties":{}}`},
		{"boolean dynamic becomes a string", `{"dynamic":false}`, `{"dynamic":"false","properties":{}}`},
		{"every part", `{"_meta":{"a":1},"dynamic":"strict","dynamic_templates":[],"properties":{
			"name":{"type":"text","analyzer":"french","fields":{"raw":{"type":"keyword","ignore_above":10}}},
			"user":{"type":"object","dynamic":true,"properties":{"age":{"type":"integer","coerce":false}}},
			"tags":{"type":"nested","properties":{"t":{"type":"keyword"}}},
			"price":{"type":"scaled_float","scaling_factor":100},
			"at":{"type":"date","format":"epoch_millis"},"loc":{"type":"geo_point"},"ok":{"type":"boolean"},
			"empty":{}}}`,
			`{"_meta":{"a":1},"dynamic":"strict","dynamic_templates":[],"properties":{` +
				`"at":{"type":"date","format":"epoch_millis"},"empty":{"type":"object"},"loc":{"type":"geo_point"},` +
				`"name":{"type":"text","analyzer":"french","fields":{"raw":{"type":"keyword","ignore_above":10}}},` +
				`"ok":{"type":"boolean"},"price":{"type":"scaled_float","scaling_factor":100},` +
				`"tags":{"type":"nested","properties":{"t":{"type":"keyword"}}},` +
				`"user":{"dynamic":"true","properties":{"age":{"type":"integer","coerce":false}}}}}`},
		{"dotted names expand", `{"properties":{"a.b":{"type":"long"},"a":{"properties":{"c":{"type":"keyword"}}}}}`,
			`{"properties":{"a":{"properties":{"b":{"type":"long"},"c":{"type":"keyword"}}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			out, _ := m.MarshalJSON()
			if string(out) != tt.want {
				t.Fatalf("got  %s\nwant %s", out, tt.want)
			}
			again, err := Parse(out)
			if err != nil {
				t.Fatalf("reparse: %v", err)
			}
			if out2, _ := again.MarshalJSON(); string(out2) != string(out) {
				t.Fatalf("reparse changed it: %s", out2)
			}
		})
	}
}

func TestKuzzleMeta(t *testing.T) {
	m, err := Parse([]byte(`{"properties":{"n":{"type":"keyword"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	c := ForCollection(m)
	out, _ := c.MarshalJSON()
	want := `{"dynamic":"false","properties":{"_kuzzle_info":{"properties":{"author":{"type":"keyword"},` +
		`"createdAt":{"type":"date"},"updatedAt":{"type":"date"},"updater":{"type":"keyword"}}},"n":{"type":"keyword"}}}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	if m.Properties[KuzzleMetaField] != nil || m.Dynamic != "" {
		t.Fatal("ForCollection modified its argument")
	}
	out, _ = c.WithoutKuzzleMeta().MarshalJSON()
	if string(out) != `{"dynamic":"false","properties":{"n":{"type":"keyword"}}}` {
		t.Fatalf("without: %s", out)
	}
}

func TestLookupAndFields(t *testing.T) {
	m, err := Parse([]byte(`{"properties":{"name":{"type":"text","fields":{"keyword":{"type":"keyword"}}},
		"user":{"properties":{"age":{"type":"integer"},"tags":{"type":"nested","properties":{"t":{"type":"keyword"}}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for path, typ := range map[string]string{
		"name": "text", "name.keyword": "keyword", "user": "", "user.age": "integer",
		"user.tags": "nested", "user.tags.t": "keyword",
	} {
		if f := m.Lookup(path); f == nil || f.Type != typ {
			t.Errorf("Lookup(%q) = %+v, want type %q", path, f, typ)
		}
	}
	for _, path := range []string{"", "nope", "name.nope", "user.age.x"} {
		if f := m.Lookup(path); f != nil {
			t.Errorf("Lookup(%q) = %+v, want nil", path, f)
		}
	}
	var got []string
	m.Fields(func(path string, f *Field) { got = append(got, path+":"+f.Type) })
	want := []string{"name:text", "name.keyword:keyword", "user.age:integer", "user.tags.t:keyword"}
	if len(got) != len(want) {
		t.Fatalf("Fields = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Fields = %v, want %v", got, want)
		}
	}
}
