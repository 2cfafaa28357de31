package wasmhost_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost"
)

// languages builds the same guest written in each SDK's language.
var languages = []struct {
	name  string
	build func(t testing.TB, src string) string
	// geofence is the example controller's source, empty the benchmark's.
	geofence, empty string
}{
	{"c", func(t testing.TB, src string) string { return buildC(t, src) },
		"../examples/geofence/c/geofence.c", "testdata/empty.c"},
	{"assemblyscript", buildAS, "../examples/geofence/assemblyscript/geofence.ts", "testdata/as/empty.ts"},
	{"go", buildGo, "./examples/geofence/go", "./wasmhost/testdata/goempty"},
	{"rust", buildRust, "../examples/geofence/rust/geofence.rs", "testdata/rust/empty.rs"},
}

// TestExamplesOverMQTT builds the geofence example in every language, loads
// them side by side and checks that they answer alike over MQTT.
func TestExamplesOverMQTT(t *testing.T) {
	modules := map[string]string{}
	for _, l := range languages {
		modules["geofence-"+l.name] = l.build(t, l.geofence)
	}
	s := startServer(t, wasmhost.Limits{}, modules)
	cl := connect(t, s.addr)
	tests := []struct {
		name, body, result, errorID string
		alert                       bool
	}{
		{"inside", `{"lat":43.6,"lon":1.44}`, `{"inside":true,"distance":595}`, "", false},
		{"outside", `{"lat":43.3,"lon":5.37}`, `{"inside":false,"distance":318687,"alert":true}`, "", true},
		{"missing lat", `{"lon":5.37}`, "", "api.assert.missing_argument", false},
	}
	for _, l := range languages {
		for _, tt := range tests {
			t.Run(l.name+"/"+tt.name, func(t *testing.T) {
				r := cl.call(t, `{"controller":"geofence-`+l.name+`/geofence","action":"check","body":`+tt.body+`}`)
				if tt.errorID != "" {
					if r.Error == nil || r.Error.ID != tt.errorID || r.Error.Message != `Missing argument "body.lat".` {
						t.Fatalf("got %s, want %s", r.raw, tt.errorID)
					}
					return
				}
				if r.Status != 200 || !sameJSON(t, r.Result, tt.result) {
					t.Fatalf("got %s, want result %s", r.raw, tt.result)
				}
				if !tt.alert {
					return
				}
				select {
				case p := <-s.published:
					if !strings.Contains(p.body, `"distance":318687`) {
						t.Fatalf("alert %s", p.body)
					}
				case <-time.After(wait):
					t.Fatal("no alert published")
				}
			})
		}
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

func TestExampleFilter(t *testing.T) {
	h := newHost(t, wasmhost.Config{}, nil)
	load(t, h, "geofence-filter", buildC(t, "../examples/geofence-filter/geofence_filter.c"))
	f, err := h.Filter("geofence-filter", "near", jsonx.RawMessage(`{"lat":43.6045,"lon":1.444,"distance":5000}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc  string
		want bool
	}{
		{`{"location":{"lat":43.6,"lon":1.44}}`, true},
		{`{"location":{"lat":43.3,"lon":5.37}}`, false},
		{`{"name":"no location"}`, false},
	}
	for _, tt := range tests {
		got, err := f.Test(context.Background(), []byte(tt.doc))
		if err != nil || got != tt.want {
			t.Fatalf("%s: got %v %v, want %v", tt.doc, got, err, tt.want)
		}
	}
	if _, err := h.Filter("geofence-filter", "far", nil); err == nil {
		t.Fatal("an unknown filter name must be refused")
	}
	bad, err := h.Filter("geofence-filter", "near", jsonx.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Test(context.Background(), []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "returned -1") {
		t.Fatalf("bad arguments: %v", err)
	}
}

func TestEmptyInEveryLanguage(t *testing.T) {
	for _, l := range languages {
		t.Run(l.name, func(t *testing.T) {
			h := newHost(t, wasmhost.Config{}, nil)
			m := load(t, h, "empty", l.build(t, l.empty))
			res, kerr := m.Handle(context.Background(), request(t, `{"action":"empty"}`))
			if kerr != nil || string(res) != "null" {
				t.Fatalf("got %s / %v", res, kerr)
			}
		})
	}
}

func TestGoGuestPanic(t *testing.T) {
	h := newHost(t, wasmhost.Config{}, nil)
	m := load(t, h, "gopanic", buildGo(t, "./wasmhost/testdata/goempty"))
	_, kerr := m.Handle(context.Background(), request(t, `{"action":"panic"}`))
	if kerr == nil || kerr.ID != "plugin.runtime.unexpected_error" || !strings.Contains(kerr.Message, `module "gopanic": wasm error: unreachable`) {
		t.Fatalf("got %v", kerr)
	}
	if res, kerr := m.Handle(context.Background(), request(t, `{"action":"empty"}`)); kerr != nil || string(res) != "null" {
		t.Fatalf("after the panic: %s / %v", res, kerr)
	}
}
