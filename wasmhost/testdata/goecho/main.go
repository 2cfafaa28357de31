//go:build wasip1

// Command goecho answers what the Go SDK read of its request ("echo"), a
// result of every type the SDK encodes itself ("encode") and a Kuzzle error
// ("fail"), for the SDK's tests.
package main

import (
	"encoding/json"

	"github.com/starlingmq/starling/guests/go/starling"
)

func init() {
	starling.Controller("echo", []string{"echo", "encode", "fail"}, func(req *starling.Request) (any, error) {
		switch req.Action {
		case "encode":
			return []any{nil, true, "é\"\n<\x01", 1.5, 1e21, 1e-7, int64(-3), []string{"a"},
				map[string]any{"b": 1, "a": 2}, json.RawMessage(`{"x":1}`), []byte(`[1]`)}, nil
		case "fail":
			return nil, &starling.Error{ID: "api.assert.missing_argument", Props: []any{"x"}}
		}
		conn := req.Connection()
		index, _ := req.ArgString("index")
		return map[string]any{
			"controller": req.Controller, "action": req.Action, "requestId": req.RequestID(),
			"index": index, "size": req.Arg("size"), "args": len(req.Args()),
			"body": req.Body(), "volatile": req.Volatile(), "connection": conn.ID + "/" + conn.Protocol,
		}, nil
	})
}

func main() {}
