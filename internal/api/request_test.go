package api

import (
	"regexp"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// requests is a catalogue of request payloads by name.
var requests = map[string]string{
	"now":          `{"controller":"server","action":"now","requestId":"r1"}`,
	"full":         `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","_id":"x","body":{"a":1},"volatile":{"v":true},"jwt":"t","requestId":"r2","scope":"in"}`,
	"noRequestId":  `{"controller":"server","action":"now"}`,
	"falsyId":      `{"controller":"server","action":"now","requestId":0}`,
	"escaped":      `{"controller":"ser\u0076er","action":"now","requestId":"a\"b"}`,
	"invalidJSON":  `{"controller":`,
	"array":        `[1,2]`,
	"null":         `null`,
	"empty":        ``,
	"numberCtrl":   `{"controller":5,"action":"now","requestId":"r3"}`,
	"numberAction": `{"controller":"server","action":[],"requestId":"r4"}`,
	"numberId":     `{"controller":"server","action":"now","requestId":12}`,
	"arrayVol":     `{"controller":"server","action":"now","volatile":[1]}`,
	"stringBody":   `{"controller":"server","action":"now","body":"x"}`,
	"arrayBody":    `{"controller":"server","action":"now","body":[1]}`,
}

func TestParse(t *testing.T) {
	conn := Connection{ID: "c1", Protocol: "mqtt"}
	tests := []struct {
		name               string
		wantErr            string // error message, "" for success
		wantID             string // "" for a generated id
		controller, action string
	}{
		{"now", "", "r1", "server", "now"},
		{"full", "", "r2", "realtime", "subscribe"},
		{"noRequestId", "", "", "server", "now"},
		{"falsyId", "", "", "server", "now"},
		{"escaped", "", `a"b`, "server", "now"},
		{"invalidJSON", "Caught an unexpected MQTT error: ", "", "", ""},
		{"array", "Caught an unexpected MQTT error: Input request data must be a non-null object", "", "", ""},
		{"null", "Caught an unexpected MQTT error: Input request data must be a non-null object", "", "", ""},
		{"empty", "Caught an unexpected MQTT error: ", "", "", ""},
		{"numberCtrl", `Caught an unexpected MQTT error: Attribute controller must be of type "string"`, "r3", "", ""},
		{"numberAction", `Caught an unexpected MQTT error: Attribute action must be of type "string"`, "r4", "server", ""},
		{"numberId", `Caught an unexpected MQTT error: Attribute requestId must be of type "string"`, "", "", ""},
		{"arrayVol", `Caught an unexpected MQTT error: Attribute volatile must be of type "object"`, "", "server", "now"},
		{"stringBody", `Caught an unexpected MQTT error: Attribute body must be of type "object" or "array"`, "", "server", "now"},
		{"arrayBody", "", "", "server", "now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Parse([]byte(requests[tt.name]), conn)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.wantErr != "" {
				if err == nil || err.ID != "network.mqtt.unexpected_error" || err.Status != 400 || err.Code != 50462721 || !strings.HasPrefix(err.Message, tt.wantErr) {
					t.Fatalf("got error %+v, want network.mqtt.unexpected_error %q", err, tt.wantErr)
				}
			}
			if tt.wantID == "" && !uuidV4.MatchString(req.ID) {
				t.Fatalf("requestId %q is not a generated UUID", req.ID)
			}
			if tt.wantID != "" && req.ID != tt.wantID {
				t.Fatalf("requestId = %q, want %q", req.ID, tt.wantID)
			}
			if req.Controller != tt.controller || req.Action != tt.action {
				t.Fatalf("got %s:%s, want %s:%s", req.Controller, req.Action, tt.controller, tt.action)
			}
			if req.Connection != conn {
				t.Fatalf("connection not kept: %+v", req.Connection)
			}
		})
	}
}

func TestParseSplitsArguments(t *testing.T) {
	req, err := Parse([]byte(requests["full"]), Connection{})
	if err != nil {
		t.Fatal(err)
	}
	if string(req.Body) != `{"a":1}` || string(req.Volatile) != `{"v":true}` || req.JWT != "t" {
		t.Fatalf("resource fields wrong: %+v", req)
	}
	for _, k := range []string{"controller", "action", "jwt", "volatile", "body"} {
		if _, ok := req.Args()[k]; ok {
			t.Errorf("%s must not be an argument", k)
		}
	}
	if string(req.Arg("_id")) != `"x"` || string(req.Arg("requestId")) != `"r2"` {
		t.Fatalf("arguments wrong: %v", req.Args())
	}
	if req.Index() != "i" || req.Collection() != "c" {
		t.Fatalf("index/collection = %q/%q", req.Index(), req.Collection())
	}
	if s, ok, err := req.String("scope"); s != "in" || !ok || err != nil {
		t.Fatalf("scope = %q %v %v", s, ok, err)
	}
	if _, _, err := req.String("body"); err != nil {
		t.Fatalf("absent argument must not fail: %v", err)
	}
	bad, _ := Parse([]byte(`{"scope":3}`), Connection{})
	if _, _, err := bad.String("scope"); err == nil || err.ID != "api.assert.invalid_type" {
		t.Fatalf("want api.assert.invalid_type, got %v", err)
	}
}

func TestResponseJSON(t *testing.T) {
	req, _ := Parse([]byte(requests["full"]), Connection{})
	out, err := Success(req, map[string]any{"now": 1}, "knode-1").AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"action":"subscribe","collection":"c","controller":"realtime","error":null,"headers":{},"index":"i","node":"knode-1","requestId":"r2","result":{"now":1},"status":200,"volatile":{"v":true}}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}

	bad, perr := Parse([]byte(requests["invalidJSON"]), Connection{})
	out, err = Failure(bad, perr, "n").AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := jsonx.Unmarshal(out, &decoded); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, out)
	}
	if decoded["controller"] != nil || decoded["action"] != nil || decoded["status"] != 400.0 || decoded["result"] != nil {
		t.Fatalf("unexpected error response %s", out)
	}
	if _, ok := decoded["index"]; ok {
		t.Fatalf("index must be left out when the request had none: %s", out)
	}
	e := decoded["error"].(map[string]any)
	if e["id"] != "network.mqtt.unexpected_error" || e["code"] != 50462721.0 || e["status"] != 400.0 {
		t.Fatalf("unexpected error object %v", e)
	}
	if _, ok := e["stack"]; ok {
		t.Fatal("error objects carry no stack")
	}
}

func TestErrorObject(t *testing.T) {
	out, err := jsonx.Marshal(kerror.New("api.process.action_not_found", "server", "nope"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"code":33685509,"id":"api.process.action_not_found","message":"API action \"server\":\"nope\" not found","props":["server","nope"],"status":404}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
}

func BenchmarkParseAndRespond(b *testing.B) {
	payload := []byte(requests["now"])
	result := map[string]int64{"now": 1700000000000}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		req, err := Parse(payload, Connection{ID: "c"})
		if err != nil {
			b.Fatal(err)
		}
		buf, _ = Success(req, result, "knode").AppendJSON(buf[:0])
	}
}

func TestNullIndexIsEchoed(t *testing.T) {
	req, err := Parse([]byte(`{"controller":"server","action":"now","requestId":"n","index":null}`), Connection{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := Success(req, nil, "n").AppendJSON(nil)
	if !strings.Contains(string(out), `"index":null`) || strings.Contains(string(out), `"collection"`) {
		t.Fatalf("a null index is echoed, an absent collection is not: %s", out)
	}
}

func BenchmarkParse(b *testing.B) {
	payload := []byte(`{"controller":"realtime","action":"publish","index":"bench","collection":"fanout","body":{"kind":"alert","level":5,"device":"sensor-1","t":1234567890123},"requestId":"0f4b9c1e-2d7a-4c8e-9b1f-3a6d5e7c8b90"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(payload, Connection{ID: "c"}); err != nil {
			b.Fatal(err)
		}
	}
}
