package validation

import (
	"os"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
)

// testdata/moment.json holds moment.js 2.30's answers (Kuzzle's date
// formats applied to a corpus of inputs, and ISO 8601 as range bounds are
// read), recorded with the time of the recording.
type momentFixture struct {
	Now     int64 `json:"now"`
	Formats []struct {
		Format string  `json:"format"`
		Input  any     `json:"input"`
		Valid  bool    `json:"valid"`
		MS     float64 `json:"ms"`
	} `json:"formats"`
	ISO []struct {
		Input string  `json:"input"`
		Valid bool    `json:"valid"`
		MS    float64 `json:"ms"`
	} `json:"iso"`
}

func loadMomentFixture(t *testing.T) momentFixture {
	t.Helper()
	raw, err := os.ReadFile("testdata/moment.json")
	if err != nil {
		t.Fatal(err)
	}
	var f momentFixture
	if err := jsonx.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDateFormatsMatchMoment(t *testing.T) {
	fx := loadMomentFixture(t)
	now := time.UnixMilli(fx.Now)
	failures := 0
	for _, c := range fx.Formats {
		f, ok := lookupDateFormat(c.Format)
		if !ok {
			t.Fatalf("format %s unknown", c.Format)
		}
		ms, valid := f.parse(c.Input, now)
		if valid != c.Valid || valid && ms != c.MS {
			failures++
			if failures <= 40 {
				t.Errorf("%s %#v: got valid=%v ms=%v, moment valid=%v ms=%v", c.Format, c.Input, valid, ms, c.Valid, c.MS)
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d cases differ", failures, len(fx.Formats))
	}
}

func TestISORangeValuesMatchMoment(t *testing.T) {
	fx := loadMomentFixture(t)
	now := time.UnixMilli(fx.Now)
	for _, c := range fx.ISO {
		ms, valid := parseISO(c.Input, false, now)
		if valid != c.Valid || valid && ms != c.MS {
			t.Errorf("%q: got valid=%v ms=%v, moment valid=%v ms=%v", c.Input, valid, ms, c.Valid, c.MS)
		}
	}
}
