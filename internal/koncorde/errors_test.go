package koncorde

import (
	"errors"
	"os"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// testdata/errors.json holds one malformed filter per error case of
// koncorde's standardize.js (and of its storage), with the message
// koncorde 4.7.0 itself gives for it.
func TestErrorsMatchKoncorde(t *testing.T) {
	raw, err := os.ReadFile("testdata/errors.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Filter  map[string]any `json:"filter"`
		Message string         `json:"message"`
	}
	if err := jsonx.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	e := New()
	for _, tc := range cases {
		t.Run(tc.Message, func(t *testing.T) {
			_, err := e.Normalize("i", "c", tc.Filter)
			var ke *kerror.Error
			if !errors.As(err, &ke) {
				t.Fatalf("%s: want error %q, got %v", show(tc.Filter), tc.Message, err)
			}
			if ke.ID != "api.assert.koncorde_dsl_error" || ke.Code != 0x0201000e || ke.Status != 400 {
				t.Errorf("%s: wrong error %s %x %d", show(tc.Filter), ke.ID, ke.Code, ke.Status)
			}
			if ke.Message != tc.Message {
				t.Errorf("%s:\n got %q\nwant %q", show(tc.Filter), ke.Message, tc.Message)
			}
		})
	}
}

func TestTooManyConditions(t *testing.T) {
	e := New(WithMaxConditions(3))
	f := mustJSON(t, `{"and":[{"equals":{"a":1}},{"in":{"b":["x","y"]}},{"exists":"c"}]}`)
	_, err := e.Normalize("i", "c", f)
	var ke *kerror.Error
	if !errors.As(err, &ke) || ke.ID != "api.assert.koncorde_dsl_error" ||
		ke.Message != "Filter too complex: exceeds the configured maximum number of conditions (conditions: 4, max: 3)" {
		t.Fatalf("got %v", err)
	}
	if _, err := New().Normalize("i", "c", f); err != nil {
		t.Fatalf("unlimited engine refused: %v", err)
	}
}
