package api

import (
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

// FuzzParse feeds arbitrary payloads to Parse: it never panics, always
// yields a request with an id, and the response it leads to is valid JSON.
func FuzzParse(f *testing.F) {
	for _, payload := range requests {
		f.Add([]byte(payload))
	}
	f.Add([]byte(`{"controller":"\u0000","action":"\ud800","requestId":"\\"}`))
	f.Add([]byte(`{"index":{"a":[1,{}]},"collection":-0,"volatile":{},"body":[]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		req, err := Parse(payload, Connection{ID: "c"})
		if req == nil || req.ID == "" {
			t.Fatal("no request or no id")
		}
		var resp *Response
		if err != nil {
			resp = Failure(req, err, "n")
		} else {
			_ = req.Args()
			resp = Success(req, "ok", "n")
		}
		out, encErr := resp.AppendJSON(nil)
		if encErr != nil {
			return // an argument value the codec cannot re-encode is reported, not sent
		}
		if !jsonx.Valid(out) {
			t.Fatalf("invalid response JSON for %q: %s", payload, out)
		}
	})
}
