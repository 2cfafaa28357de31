package documents

import (
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

func TestUpdatedFieldsJSON(t *testing.T) {
	cases := []struct{ changes, want string }{
		{`{}`, `[]`},
		{`{"b":1,"a":{"y":[1,{"z":2}],"x":{}},"_kuzzle_info":{"author":"x"}}`, `["b","a.y"]`},
		{` { "s" : "a\"}b" , "o" : { "_kuzzle_info" : 1 , "n" : null } } `, `["s","o.n"]`},
		{`{"k":"v","k2":true,"k3":-1.5e3}`, `["k","k2","k3"]`},
		{`[1]`, `[]`},
	}
	for _, tc := range cases {
		if got := string(updatedFieldsJSON(jsonx.RawMessage(tc.changes))); got != tc.want {
			t.Errorf("updatedFields(%s) = %s, want %s", tc.changes, got, tc.want)
		}
	}
}

func FuzzUpdatedFields(f *testing.F) {
	for _, seed := range []string{`{}`, `{"a":{"b":[1,"]"]},"c":"\\"}`, `{"a"`, `{"a":}`, `[`, `"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		_ = updatedFields(raw, nil, "")
		_ = fieldOf(raw, "a")
	})
}
