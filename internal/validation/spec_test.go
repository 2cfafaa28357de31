package validation

import (
	"errors"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

func kerr(t *testing.T, err error) *kerror.Error {
	t.Helper()
	var ke *kerror.Error
	if !errors.As(err, &ke) {
		t.Fatalf("want a *kerror.Error, got %v", err)
	}
	return ke
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, spec, id, msg string
	}{
		{"unknown top property", `{"foo":1}`, "validation.assert.unexpected_properties",
			`The object "i.c" contains unexpected properties (allowed: strict, fields, validators).`},
		{"not an object", `[1]`, "validation.assert.unexpected_properties",
			`The object "i.c" contains unexpected properties (allowed: strict, fields, validators).`},
		{"unknown type", `{"fields":{"a":{"type":"nope"}}}`, "validation.assert.unknown_type", `In "i.c.a": unknown type "nope".`},
		{"missing type", `{"fields":{"a":{}}}`, "validation.assert.missing_type", `Missing property "type" in field "i.c.a".`},
		{"unknown field property", `{"fields":{"a":{"type":"string","foo":1}}}`, "validation.assert.unexpected_properties",
			`The object "i.c.a" contains unexpected properties (allowed: mandatory, type, defaultValue, description, multivalued, typeOptions).`},
		{"field not an object", `{"fields":{"a":"string"}}`, "validation.assert.unexpected_properties",
			`The object "i.c.a" contains unexpected properties (allowed: mandatory, type, defaultValue, description, multivalued, typeOptions).`},
		{"multivalued value type", `{"fields":{"a":{"type":"string","multivalued":{"value":"yes"}}}}`,
			"validation.assert.invalid_type", `Wrong type for parameter "i.c.a.multivalued.value" (expected: boolean).`},
		{"multivalued value missing", `{"fields":{"a":{"type":"string","multivalued":{}}}}`,
			"validation.assert.missing_value", `Missing property "value" in field "i.c.a.multivalued".`},
		{"multivalued extra", `{"fields":{"a":{"type":"string","multivalued":{"value":true,"x":1}}}}`,
			"validation.assert.unexpected_properties", `The object "i.c.a.multivalued" contains unexpected properties (allowed: value, minCount, maxCount).`},
		{"count without multivalued", `{"fields":{"a":{"type":"string","multivalued":{"value":false,"minCount":1}}}}`,
			"validation.assert.not_multivalued", `Field "i.c.a": cannot set a property "minCount" if the field is not multivalued.`},
		{"count range", `{"fields":{"a":{"type":"string","multivalued":{"value":true,"minCount":3,"maxCount":2}}}}`,
			"validation.assert.invalid_range", `Property "i.c.a": invalid range (minCount > maxCount).`},
		{"unknown type option", `{"fields":{"a":{"type":"string","typeOptions":{"foo":1}}}}`,
			"validation.assert.unexpected_properties", `The object "i.c.a" contains unexpected properties (allowed: length).`},
		{"no type option allowed", `{"fields":{"a":{"type":"boolean","typeOptions":{"foo":1}}}}`,
			"validation.assert.unexpected_properties", `The object "i.c.a" contains unexpected properties (allowed: ).`},
		{"length type", `{"fields":{"a":{"type":"string","typeOptions":{"length":{"min":"1"}}}}}`,
			"validation.assert.invalid_type", `Wrong type for parameter "length.min" (expected: number).`},
		{"length range", `{"fields":{"a":{"type":"string","typeOptions":{"length":{"min":5,"max":1}}}}}`,
			"validation.assert.invalid_range", `Property "length": invalid range (min > max).`},
		{"length extra", `{"fields":{"a":{"type":"string","typeOptions":{"length":{"min":1,"avg":2}}}}}`,
			"validation.assert.unexpected_properties", `The object "length" contains unexpected properties (allowed: min, max).`},
		{"numeric range extra", `{"fields":{"a":{"type":"numeric","typeOptions":{"range":{"foo":2}}}}}`,
			"validation.assert.unexpected_properties", `The object "range" contains unexpected properties (allowed: min, max).`},
		{"integer range max", `{"fields":{"a":{"type":"integer","typeOptions":{"range":{"max":true}}}}}`,
			"validation.assert.invalid_type", `Wrong type for parameter "range.max" (expected: number).`},
		{"numeric range order", `{"fields":{"a":{"type":"numeric","typeOptions":{"range":{"min":2,"max":1}}}}}`,
			"validation.assert.invalid_range", `Property "range": invalid range (min > max).`},
		{"enum values missing", `{"fields":{"a":{"type":"enum"}}}`, "validation.types.missing_enum_values",
			`The "enum" type requires a "values" property holding the list of the enum values.`},
		{"enum values empty", `{"fields":{"a":{"type":"enum","typeOptions":{"values":[]}}}}`,
			"validation.assert.invalid_type", `Wrong type for parameter "values" (expected: string[]).`},
		{"enum values not strings", `{"fields":{"a":{"type":"enum","typeOptions":{"values":["a",1]}}}}`,
			"validation.assert.invalid_type", `Wrong type for parameter "values" (expected: string[]).`},
		{"date formats empty", `{"fields":{"a":{"type":"date","typeOptions":{"formats":[]}}}}`,
			"validation.assert.invalid_type", `Wrong type for parameter "formats" (expected: non-empty array).`},
		{"date format unknown", `{"fields":{"a":{"type":"date","typeOptions":{"formats":["nope","date","bad"]}}}}`,
			"validation.types.invalid_date_format", `The following date types are invalid: nope, bad.`},
		{"date range unparsable", `{"fields":{"a":{"type":"date","typeOptions":{"range":{"min":"abc"}}}}}`,
			"validation.types.invalid_date", `Cannot parse the date value: "abc".`},
		{"date range boolean", `{"fields":{"a":{"type":"date","typeOptions":{"range":{"max":true}}}}}`,
			"validation.types.invalid_date", `Cannot parse the date value: "true".`},
		{"date range order", `{"fields":{"a":{"type":"date","typeOptions":{"range":{"min":"2020-01-01","max":"2019-01-01"}}}}}`,
			"validation.assert.invalid_range", `Property "range": invalid range (min > max).`},
		{"date range extra", `{"fields":{"a":{"type":"date","typeOptions":{"range":{"from":1}}}}}`,
			"validation.assert.unexpected_properties", `The object "range" contains unexpected properties (allowed: min, max).`},
		{"email notEmpty", `{"fields":{"a":{"type":"email","typeOptions":{"notEmpty":"yes"}}}}`,
			"validation.assert.invalid_type", `Wrong type for parameter "notEmpty" (expected: boolean).`},
		{"url notEmpty", `{"fields":{"a":{"type":"url","typeOptions":{"notEmpty":1}}}}`,
			"validation.assert.invalid_type", `Wrong type for parameter "notEmpty" (expected: boolean).`},
		{"ip notEmpty", `{"fields":{"a":{"type":"ip_address","typeOptions":{"notEmpty":null}}}}`,
			"validation.assert.invalid_type", `Wrong type for parameter "notEmpty" (expected: boolean).`},
		{"object strict", `{"fields":{"a":{"type":"object","typeOptions":{"strict":"yes"}}}}`,
			"validation.assert.invalid_type", `Wrong type for parameter "strict" (expected: boolean).`},
		{"shape types empty", `{"fields":{"a":{"type":"geo_shape","typeOptions":{"shapeTypes":[]}}}}`,
			"validation.assert.invalid_type", `Wrong type for parameter "shapeTypes" (expected: string[]).`},
		{"shape types unknown", `{"fields":{"a":{"type":"geo_shape","typeOptions":{"shapeTypes":["point","foo","bar"]}}}}`,
			"validation.types.invalid_geoshape", `The following shapes are invalid: [ 'foo', 'bar' ].`},
		{"nested without parent level", `{"fields":{"a/b":{"type":"string"}}}`,
			"validation.assert.missing_nested_spec", `All levels of an object have to be defined in the specification.`},
		{"nested level gap", `{"fields":{"a":{"type":"object"},"a/b/c":{"type":"string"}}}`,
			"validation.assert.missing_nested_spec", `All levels of an object have to be defined in the specification.`},
		{"nested missing parent", `{"fields":{"a":{"type":"object"},"x/b":{"type":"string"}}}`,
			"validation.assert.missing_parent", `The parent field of the field "x.b" is not defined.`},
		{"children of a string", `{"fields":{"a":{"type":"string"},"a/b":{"type":"string"}}}`,
			"validation.assert.unexpected_children", `The field type "string" is not allowed to have children fields.`},
		{"bad validators", `{"validators":[{"foo":{}}]}`, "validation.assert.invalid_filters",
			`Invalid filters validator: "bool.and.foo": unknown keyword`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("i", "c", []byte(c.spec))
			ke := kerr(t, err)
			if ke.ID != c.id || ke.Message != c.msg {
				t.Errorf("got %s %q, want %s %q", ke.ID, ke.Message, c.id, c.msg)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	specs := []string{
		`{}`,
		`{"strict":true}`,
		`{"fields":{}}`,
		`{"validators":"ignored when not an array"}`,
		`{"strict":true,"fields":{"a":{"type":"object","typeOptions":{"strict":false}},"a/b":{"type":"object"},"a/b/c":{"type":"string","mandatory":true}}}`,
		`{"fields":{"d":{"type":"date","typeOptions":{"formats":["date","epoch_millis"],"range":{"min":"NOW","max":1e15}}}}}`,
		`{"fields":{"g":{"type":"geo_shape","typeOptions":{"shapeTypes":["point","circle"]}},"p":{"type":"geo_point"}}}`,
		`{"fields":{"a":{"type":"anything","description":"x","defaultValue":3,"multivalued":{"value":true,"minCount":1,"maxCount":1}}}}`,
		`{"validators":[{"equals":{"a":1}},{"exists":"b"}]}`,
	}
	for _, s := range specs {
		if _, err := Parse("i", "c", []byte(s)); err != nil {
			t.Errorf("%s: %v", s, err)
		}
		if _, r := Check("i", "c", []byte(s)); !r.Valid {
			t.Errorf("%s: report %+v", s, r)
		}
	}
}

func TestCheckReport(t *testing.T) {
	cases := []struct {
		name, spec, report, err string
	}{
		{"valid", `{"fields":{"a":{"type":"string"}}}`, `{"valid":true}`, ""},
		{"every field's problems",
			`{"fields":{"b":{"type":"nope"},"a":{"type":"string","typeOptions":{"x":1,"length":{"min":"1"}}},"c":{"type":"string","multivalued":{"value":0,"minCount":2}}}}`,
			`{"description":"Some errors with provided specifications.","details":["In \"i.c.b\": unknown type \"nope\".",` +
				`"The object \"i.c.a\" contains unexpected properties (allowed: length).",` +
				`"Wrong type for parameter \"length.min\" (expected: number).",` +
				`"Wrong type for parameter \"i.c.c.multivalued.value\" (expected: boolean).",` +
				`"Field \"i.c.c\": cannot set a property \"minCount\" if the field is not multivalued."],"valid":false}`,
			"Errors occured with the provided specifications:\nIn \"i.c.b\": unknown type \"nope\".\n\t- " +
				"The object \"i.c.a\" contains unexpected properties (allowed: length).\n\t- " +
				"Wrong type for parameter \"length.min\" (expected: number).\n\t- " +
				"Wrong type for parameter \"i.c.c.multivalued.value\" (expected: boolean).\n\t- " +
				"Field \"i.c.c\": cannot set a property \"minCount\" if the field is not multivalued."},
		{"missing type reports both", `{"fields":{"a":{"mandatory":true}}}`,
			`{"description":"Some errors with provided specifications.","details":["Missing property \"type\" in field \"i.c.a\".","In \"i.c.a\": unknown type \"undefined\"."],"valid":false}`,
			"Errors occured with the provided specifications:\nMissing property \"type\" in field \"i.c.a\".\n\t- In \"i.c.a\": unknown type \"undefined\"."},
		{"tree problem is an error object", `{"fields":{"a/b":{"type":"string"}}}`,
			`{"description":"Some errors with provided specifications.","details":[{"code":83951617,"id":"validation.assert.missing_nested_spec","message":"All levels of an object have to be defined in the specification.","props":[],"status":412}],"valid":false}`,
			"Errors occured with the provided specifications:\nPreconditionError: All levels of an object have to be defined in the specification."},
		{"filter problem is an error object", `{"validators":[{"foo":{}}]}`,
			`{"description":"Some errors with provided specifications.","details":[{"code":83951629,"id":"validation.assert.invalid_filters","message":"Invalid filters validator: \"bool.and.foo\": unknown keyword","props":["\"bool.and.foo\": unknown keyword"],"status":400}],"valid":false}`,
			"Errors occured with the provided specifications:\nBadRequestError: Invalid filters validator: \"bool.and.foo\": unknown keyword"},
		{"top level", `{"field":{}}`,
			`{"description":"Some errors with provided specifications.","details":["The object \"i.c\" contains unexpected properties (allowed: strict, fields, validators)."],"valid":false}`,
			"Errors occured with the provided specifications:\nThe object \"i.c\" contains unexpected properties (allowed: strict, fields, validators)."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, r := Check("i", "c", []byte(c.spec))
			got, err := jsonx.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.report {
				t.Errorf("report\n got %s\nwant %s", got, c.report)
			}
			if c.err == "" {
				if r.Err() != nil || s == nil {
					t.Errorf("valid report: err %v, spec %v", r.Err(), s)
				}
				return
			}
			ke := kerr(t, r.Err())
			if ke.ID != "validation.assert.invalid_specifications" || ke.Message != c.err {
				t.Errorf("err %s\n got %q\nwant %q", ke.ID, ke.Message, c.err)
			}
		})
	}
}

func TestSpecificationJSON(t *testing.T) {
	raw := `{"strict":true,"fields":{"b":{"type":"string"},"a":{"type":"integer"}}}`
	s, err := Parse("idx", "col", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := jsonx.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"collection":"col","index":"idx","validation":` + raw + `}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if s.Index() != "idx" || s.Collection() != "col" || string(s.Raw()) != raw {
		t.Errorf("accessors: %s %s %s", s.Index(), s.Collection(), s.Raw())
	}
}
