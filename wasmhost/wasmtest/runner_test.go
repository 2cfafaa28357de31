package wasmtest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost/wasmtest"
)

// open loads a module with mocks; it is closed with the test.
func open(t *testing.T, path string, mocks wasmtest.Mocks) *wasmtest.Runner {
	t.Helper()
	r, err := wasmtest.Open(context.Background(), path, wasmtest.Options{Mocks: mocks, CacheDir: "-"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

// geofences builds the geofence example in C and in Go.
func geofences(t *testing.T) map[string]string {
	return map[string]string{
		"c":  buildC(t, "geofence-c", "examples/geofence/c/geofence.c"),
		"go": buildGo(t, "geofence-go", "./examples/geofence/go"),
	}
}

func TestAction(t *testing.T) {
	published := wasmtest.Mocks{"realtime:publish": {Result: jsonx.RawMessage(`{"published":true}`)}}
	refused := wasmtest.Mocks{"realtime:publish": {Error: &wasmtest.MockError{ID: "security.rights.forbidden"}}}
	tests := []struct {
		name, action, payload string
		mocks                 wasmtest.Mocks
		result, errorID       string
		calls                 int
	}{
		{"inside", "check", `{"body":{"lat":43.6,"lon":1.44}}`, nil, `{"inside":true,"distance":595}`, "", 0},
		{"outside, published", "geofence:check", `{"body":{"lat":43.3,"lon":5.37}}`, published,
			`{"inside":false,"distance":318687,"alert":true}`, "", 1},
		{"outside, not mocked", "check", `{"body":{"lat":43.3,"lon":5.37}}`, nil,
			`{"inside":false,"distance":318687,"alert":false}`, "", 1},
		{"outside, refused", "check", `{"body":{"lat":43.3,"lon":5.37}}`, refused,
			`{"inside":false,"distance":318687,"alert":false}`, "", 1},
		{"missing lat", "check", `{"body":{"lon":5.37}}`, nil, "", "api.assert.missing_argument", 0},
		{"unknown action", "nope", `{}`, nil, "", "api.process.action_not_found", 0},
		{"other controller", "other:check", `{}`, nil, "", "api.process.controller_not_found", 0},
		{"not JSON", "check", `{"body":`, nil, "", "api.assert.invalid_argument", 0},
	}
	for lang, wasm := range geofences(t) {
		for _, tt := range tests {
			t.Run(lang+"/"+tt.name, func(t *testing.T) {
				r := open(t, wasm, tt.mocks)
				res, kerr := r.Action(context.Background(), tt.action, []byte(tt.payload))
				if tt.errorID != "" {
					if kerr == nil || kerr.ID != tt.errorID {
						t.Fatalf("got %s / %v, want %s", res, kerr, tt.errorID)
					}
					return
				}
				if kerr != nil || !sameJSON(t, res, tt.result) {
					t.Fatalf("got %s / %v, want %s", res, kerr, tt.result)
				}
				calls := r.Calls()
				if len(calls) != tt.calls {
					t.Fatalf("%d API calls, want %d", len(calls), tt.calls)
				}
				if tt.calls > 0 && (calls[0].Controller != "realtime" || calls[0].Action != "publish" ||
					!strings.Contains(string(calls[0].Payload), `"distance":318687`)) {
					t.Fatalf("call %+v", calls[0])
				}
			})
		}
	}
}

func TestFilter(t *testing.T) {
	r := open(t, buildC(t, "geofence-filter", "examples/geofence-filter/geofence_filter.c"), nil)
	args := jsonx.RawMessage(`{"lat":43.6045,"lon":1.444,"distance":5000}`)
	for doc, want := range map[string]bool{
		`{"location":{"lat":43.6,"lon":1.44}}`: true,
		`{"location":{"lat":43.3,"lon":5.37}}`: false,
	} {
		got, err := r.Filter(context.Background(), "near", args, []byte(doc))
		if err != nil || got != want {
			t.Fatalf("%s: got %v %v, want %v", doc, got, err, want)
		}
	}
	if _, err := r.Filter(context.Background(), "far", args, []byte(`{}`)); err == nil ||
		!strings.Contains(err.Error(), "module has no such filter") {
		t.Fatalf("unknown filter: %v", err)
	}
	if _, err := r.Filter(context.Background(), "near", args, []byte(`{`)); err == nil ||
		!strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("bad document: %v", err)
	}
}

func TestLoadMocks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	m, err := wasmtest.LoadMocks(write("ok.json", `{"document:get":{"result":{"_id":"a"}},"auth:login":{"error":{"id":"security.credentials.unknown_user"}}}`))
	if err != nil || string(m["document:get"].Result) != `{"_id":"a"}` || m["auth:login"].Error.ID != "security.credentials.unknown_user" {
		t.Fatalf("got %+v / %v", m, err)
	}
	if _, err := wasmtest.LoadMocks(write("bad.json", `{"documentget":{}}`)); err == nil || !strings.Contains(err.Error(), "not controller:action") {
		t.Fatalf("bad key: %v", err)
	}
	if _, err := wasmtest.LoadMocks(write("notjson.json", `[`)); err == nil {
		t.Fatal("invalid JSON must be refused")
	}
}

// sameJSON compares two JSON values whatever their key order.
func sameJSON(t *testing.T, got jsonx.RawMessage, want string) bool {
	var a, b any
	if jsonx.Unmarshal(got, &a) != nil || jsonx.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	x, _ := jsonx.Marshal(a)
	y, _ := jsonx.Marshal(b)
	return string(x) == string(y)
}
