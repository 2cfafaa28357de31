package validation

import (
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// FuzzSpecification feeds specifications to the parser and the checks:
// they must never panic, Parse and Check must agree on validity, errors
// must be Kuzzle's, and a parsed specification must check documents.
func FuzzSpecification(f *testing.F) {
	seeds := []string{
		`{}`, `{"strict":true,"fields":{"a":{"type":"string"}}}`,
		`{"fields":{"a":{"type":"object"},"a/b":{"type":"date","typeOptions":{"formats":["date"],"range":{"min":"NOW"}}}}}`,
		`{"fields":{"g":{"type":"geo_shape"},"e":{"type":"enum","typeOptions":{"values":["x"]}}},"validators":[{"exists":"g"}]}`,
		`{"fields":{"m":{"type":"numeric","multivalued":{"value":true,"minCount":1}}}}`,
		`{"fields":{"a":null}}`, `{"fields":{"a":{"type":"string","multivalued":null}}}`, `{"fields":"abc"}`, `{"fields":[{"type":"url"}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), []byte(`{"a":"x","g":{"type":"point","coordinates":[1,2]},"m":[1]}`))
	}
	f.Fuzz(func(t *testing.T, spec, body []byte) {
		if !jsonx.Valid(spec) {
			return
		}
		s, err := Parse("i", "c", spec)
		_, report := Check("i", "c", spec)
		if err != nil {
			if _, ok := err.(*kerror.Error); !ok {
				t.Fatalf("not a Kuzzle error: %v", err)
			}
			if report.Valid {
				t.Fatalf("Parse failed (%v) but Check passed", err)
			}
			return
		}
		if !report.Valid {
			t.Fatalf("Parse passed but Check failed: %v", report.Details)
		}
		if _, err := jsonx.Marshal(report); err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if jsonx.Unmarshal(body, &doc) != nil || doc == nil {
			return
		}
		if _, err := s.Check(Write{Body: doc}); err != nil {
			if _, ok := err.(*kerror.Error); !ok {
				t.Fatalf("not a Kuzzle error: %v", err)
			}
		}
		if _, err := jsonx.Marshal(s.Verbose(Write{Body: doc, Update: true, Stored: doc})); err != nil {
			t.Fatal(err)
		}
	})
}
