package mapping

import "testing"

func mustParse(t testing.TB, raw string) *Mappings {
	t.Helper()
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatalf("Parse(%s): %v", raw, err)
	}
	return m
}

func TestMerge(t *testing.T) {
	old := `{"dynamic":"strict","_meta":{"v":1},"properties":{
		"name":{"type":"text","analyzer":"french","fields":{"k":{"type":"keyword"}}},
		"user":{"properties":{"age":{"type":"integer"}}},
		"tags":{"type":"nested","properties":{"t":{"type":"keyword"}}},
		"code":{"type":"keyword","ignore_above":10}}}`
	tests := []struct {
		name, update, want, id, message string
	}{
		{name: "nothing", update: `{}`,
			want: `{"_meta":{"v":1},"dynamic":"strict","properties":{"code":{"type":"keyword","ignore_above":10},` +
				`"name":{"type":"text","analyzer":"french","fields":{"k":{"type":"keyword"}}},` +
				`"tags":{"type":"nested","properties":{"t":{"type":"keyword"}}},"user":{"properties":{"age":{"type":"integer"}}}}}`},
		{name: "new fields, dynamic and meta replaced",
			update: `{"dynamic":"false","_meta":{"v":2},"properties":{"user":{"dynamic":"true","properties":{"city":{"type":"keyword"}}},` +
				`"name":{"type":"text","fields":{"raw":{"type":"keyword"}}},"code":{"type":"keyword","ignore_above":20},"n":{"type":"long"}}}`,
			want: `{"_meta":{"v":2},"dynamic":"false","properties":{"code":{"type":"keyword","ignore_above":20},` +
				`"n":{"type":"long"},"name":{"type":"text","analyzer":"french","fields":{"k":{"type":"keyword"},"raw":{"type":"keyword"}}},` +
				`"tags":{"type":"nested","properties":{"t":{"type":"keyword"}}},` +
				`"user":{"dynamic":"true","properties":{"age":{"type":"integer"},"city":{"type":"keyword"}}}}}`},
		{name: "type change", update: `{"properties":{"user":{"properties":{"age":{"type":"long"}}}}}`,
			id: "services.storage.cannot_change_mapping", message: `Field "user.age" already has a mapping, and it cannot be changed`},
		{name: "object to concrete", update: `{"properties":{"user":{"type":"keyword"}}}`,
			id: "services.storage.cannot_change_mapping", message: `Field "user" already has a mapping, and it cannot be changed`},
		{name: "nested to object", update: `{"properties":{"tags":{"properties":{}}}}`,
			id: "services.storage.cannot_change_mapping", message: `Field "tags" already has a mapping, and it cannot be changed`},
		{name: "multi-field type change", update: `{"properties":{"name":{"type":"text","fields":{"k":{"type":"text"}}}}}`,
			id: "services.storage.cannot_change_mapping", message: `Field "name.k" already has a mapping, and it cannot be changed`},
		{name: "fixed parameter", update: `{"properties":{"name":{"type":"text","analyzer":"english"}}}`,
			id:      "services.storage.unexpected_bad_request",
			message: "Mapper for [name] conflicts with existing mapper:\n\tCannot update parameter [analyzer] from [\"french\"] to [\"english\"]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := mustParse(t, old)
			before, _ := o.MarshalJSON()
			got, err := Merge(o, mustParse(t, tt.update))
			if after, _ := o.MarshalJSON(); string(after) != string(before) {
				t.Fatalf("Merge modified old: %s", after)
			}
			if tt.id != "" {
				wantKerror(t, err, tt.id, tt.message)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out, _ := got.MarshalJSON(); string(out) != tt.want {
				t.Fatalf("got  %s\nwant %s", out, tt.want)
			}
		})
	}
}

func TestMergeNil(t *testing.T) {
	got, err := Merge(nil, mustParse(t, `{"properties":{"a":{"type":"long"}}}`))
	if err != nil || got.Lookup("a") == nil {
		t.Fatalf("Merge(nil, a) = %+v, %v", got, err)
	}
	got, err = Merge(got, nil)
	if err != nil || got.Lookup("a") == nil {
		t.Fatalf("Merge(a, nil) = %+v, %v", got, err)
	}
}
