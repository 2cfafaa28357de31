package validation

import (
	"os"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

// testdata/validator.json holds validator.js 13.15's answers for a corpus
// of emails, URLs and IP addresses.
func TestFormatsMatchValidatorJS(t *testing.T) {
	raw, err := os.ReadFile("testdata/validator.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx map[string][][2]any
	if err := jsonx.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	checks := map[string]func(string) bool{"email": isEmail, "url": isURL, "ip": isIP}
	for kind, cases := range fx {
		for _, c := range cases {
			input, want := c[0].(string), c[1].(bool)
			if got := checks[kind](input); got != want {
				t.Errorf("%s %q: got %v, validator.js %v", kind, input, got, want)
			}
		}
	}
}
