package wasmhost_test

import (
	"context"
	"testing"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/wasmhost"
)

// TestGoSDK checks what the Go SDK reads of requests (its fast path and its
// general scanner) and how it encodes results and errors.
func TestGoSDK(t *testing.T) {
	h := newHost(t, wasmhost.Config{}, nil)
	m := load(t, h, "goecho", buildGo(t, "./wasmhost/testdata/goecho"))
	tests := []struct {
		name, payload, result string
	}{
		{"every part", `{"controller":"goecho/echo","action":"echo","requestId":"r-1","index":"shop","size":10,` +
			`"body":{"a":[1,{"b":"}"}]},"volatile":{"v":true}}`,
			`{"action":"echo","args":2,"body":{"a":[1,{"b":"}"}]},"connection":"c1/mqtt","controller":"goecho/echo",` +
				`"index":"shop","requestId":"r-1","size":10,"volatile":{"v":true}}`},
		{"nothing but the action", `{"controller":"goecho/echo","action":"echo","requestId":"r"}`,
			`{"action":"echo","args":0,"body":null,"connection":"c1/mqtt","controller":"goecho/echo",` +
				`"index":"","requestId":"r","size":null,"volatile":null}`},
		{"escapes", `{"controller":"goecho/echo","action":"echo","requestId":"a\"b\\c\u00e9","index":"x\ny"}`,
			`{"action":"echo","args":1,"body":null,"connection":"c1/mqtt","controller":"goecho/echo",` +
				`"index":"x\ny","requestId":"a\"b\\cé","size":null,"volatile":null}`},
		{"encode", `{"controller":"goecho/echo","action":"encode"}`,
			`[null,true,"é\"\n<\u0001",1.5,1e+21,1e-7,-3,["a"],{"a":2,"b":1},{"x":1},[1]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, kerr := m.Handle(context.Background(), request(t, tt.payload))
			if kerr != nil || string(res) != tt.result {
				t.Fatalf("got %s / %v\nwant %s", res, kerr, tt.result)
			}
		})
	}
	_, kerr := m.Handle(context.Background(), request(t, `{"controller":"goecho/echo","action":"fail"}`))
	if kerr == nil || kerr.ID != "api.assert.missing_argument" || kerr.Message != `Missing argument "x".` {
		t.Fatalf("fail: %v", kerr)
	}
	// A connection the SDK does not know by name is read all the same.
	req, perr := api.Parse([]byte(`{"controller":"goecho/echo","action":"echo","requestId":"r"}`),
		api.Connection{ID: "ws-7", Protocol: "websocket"})
	if perr != nil {
		t.Fatal(perr)
	}
	if res, kerr := m.Handle(context.Background(), req); kerr != nil || !sameJSON(t, res, `{"action":"echo","args":0,"body":null,`+
		`"connection":"ws-7/websocket","controller":"goecho/echo","index":"","requestId":"r","size":null,"volatile":null}`) {
		t.Fatalf("websocket: %s / %v", res, kerr)
	}
}
