package validation

import "testing"

func BenchmarkCheck(b *testing.B) {
	s, err := Parse("i", "c", []byte(`{"strict":true,"fields":{
		"name":{"type":"string","mandatory":true,"typeOptions":{"length":{"max":64}}},
		"age":{"type":"integer","defaultValue":18,"typeOptions":{"range":{"min":0}}},
		"email":{"type":"email"},
		"born":{"type":"date","typeOptions":{"formats":["strict_date"]}},
		"addr":{"type":"object"},"addr/city":{"type":"string"}},
		"validators":[{"exists":"name"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	body := map[string]any{"name": "Ada", "email": "ada@example.com", "born": "1815-12-10", "addr": map[string]any{"city": "London"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Check(Write{ID: "x", Body: body}); err != nil {
			b.Fatal(err)
		}
	}
}
