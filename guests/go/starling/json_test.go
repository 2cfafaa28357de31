package starling

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestField(t *testing.T) {
	obj := `{ "a" : 1 , "b":"x\"}", "c":{"d":[1,"]"]}, "e\u0041":true,"f":null, "":2 }`
	tests := []struct{ key, want string }{
		{"a", "1"}, {"b", `"x\"}"`}, {"c", `{"d":[1,"]"]}`}, {"eA", "true"}, {"f", "null"}, {"", "2"}, {"d", ""},
	}
	for _, tt := range tests {
		if got := Field([]byte(obj), tt.key); string(got) != tt.want {
			t.Errorf("Field(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
	for _, bad := range []string{``, `[]`, `"a"`, `{"a"}`, `{"a":}`, `{"a":1`} {
		if got := Field([]byte(bad), "a"); got != nil && bad != `{"a":1` {
			t.Errorf("Field(%q) = %q, want nil", bad, got)
		}
	}
}

func TestFloatString(t *testing.T) {
	if f, ok := Float(json.RawMessage("-1.5e3")); !ok || f != -1500 {
		t.Errorf("Float: %v %v", f, ok)
	}
	for _, bad := range []string{"", `"1"`, "true", "1x"} {
		if _, ok := Float(json.RawMessage(bad)); ok {
			t.Errorf("Float(%q) ok", bad)
		}
	}
	if s, ok := String(json.RawMessage(`"a\nb\u00e9"`)); !ok || s != "a\nbé" {
		t.Errorf("String: %q %v", s, ok)
	}
}

func TestMarshal(t *testing.T) {
	v := map[string]any{"z": []any{nil, 1.0, 1e-7, 1e21, "<é\x00>", false, int64(-2)},
		"a": json.RawMessage(`{"raw":1}`), "m": map[string]any{}, "s": []string{}, "t": struct{ X int }{3}}
	got, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":{"raw":1},"m":{},"s":[],"t":{"X":3},"z":[null,1,1e-7,1e+21,"<é\u0000>",false,-2]}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	std, _ := json.Marshal(map[string]any{"z": []any{nil, 1.0, 1e-7, 1e21, "é\x00\n\"", false}})
	mine, _ := Marshal(map[string]any{"z": []any{nil, 1.0, 1e-7, 1e21, "é\x00\n\"", false}})
	if !bytes.Equal(std, mine) {
		t.Fatalf("encoding/json %s, Marshal %s", std, mine)
	}
}

// FuzzField checks Field against encoding/json on valid objects without
// duplicate keys.
func FuzzField(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":"\"","b":[{}]}`, `{ "k\u00e9" : {"a":"}"} }`, `{"a":[1,2,"]"],"b":null}`} {
		f.Add([]byte(s), "a")
	}
	f.Fuzz(func(t *testing.T, obj []byte, key string) {
		var m map[string]json.RawMessage
		if !json.Valid(obj) || json.Unmarshal(obj, &m) != nil || m == nil {
			return
		}
		keys := 0
		fs := newFields(obj)
		for _, _, ok := fs.next(); ok; _, _, ok = fs.next() {
			keys++
		}
		if fs.err != nil {
			t.Fatalf("newFields(%q): %v", obj, fs.err)
		}
		if keys != len(m) {
			return // duplicate keys: Field finds the first, encoding/json keeps the last
		}
		want, ok := m[key]
		got := Field(obj, key)
		if ok != (got != nil) || !bytes.Equal(got, want) {
			t.Fatalf("Field(%q, %q) = %q, want %q (%v)", obj, key, got, want, ok)
		}
	})
}
