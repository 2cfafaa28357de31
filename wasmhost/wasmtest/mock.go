package wasmtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Mock is the canned answer to one API action: Result, or Error when set.
type Mock struct {
	// Result is the response's result (null when absent).
	Result jsonx.RawMessage `json:"result"`
	// Error, when set, makes the call fail with this Kuzzle error.
	Error *MockError `json:"error"`
}

// MockError is a mocked Kuzzle error: a catalogued ID (its status and
// message come from the catalogue unless Message is set) or just a
// message (plugin.runtime.unexpected_error).
type MockError struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Props   []any  `json:"props"`
}

// Mocks maps "controller:action" to its answer.
type Mocks map[string]Mock

// LoadMocks reads a mocks file: a JSON object mapping "controller:action"
// to {"result": …} or {"error": {"id": …, "message": …}}.
func LoadMocks(path string) (Mocks, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mocks: %w", err)
	}
	var m Mocks
	if err := jsonx.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("mocks file %s: %w", path, err)
	}
	for k := range m {
		if c, a, ok := strings.Cut(k, ":"); !ok || c == "" || a == "" {
			return nil, fmt.Errorf("mocks file %s: key %q is not controller:action", path, k)
		}
	}
	return m, nil
}

// Call is one API call a guest made, as the mock caller saw it.
type Call struct {
	// Controller and Action name the action called.
	Controller, Action string
	// Payload is the request JSON the guest sent (with the jwt the host set).
	Payload jsonx.RawMessage
}

// mockCaller answers a guest's API calls from Mocks and records them. It
// implements wasmhost.Caller.
type mockCaller struct {
	mocks Mocks
	mu    sync.Mutex
	calls []Call
}

// Call answers one API call with its mock, or with an error saying that the
// action is not mocked.
func (c *mockCaller) Call(_ context.Context, payload []byte, conn api.Connection) ([]byte, error) {
	req, kerr := api.Parse(payload, conn)
	if kerr != nil {
		return response(nil, nil, kerr), nil
	}
	key := req.Controller + ":" + req.Action
	c.mu.Lock()
	c.calls = append(c.calls, Call{Controller: req.Controller, Action: req.Action, Payload: append(jsonx.RawMessage(nil), payload...)})
	c.mu.Unlock()
	m, ok := c.mocks[key]
	switch {
	case !ok:
		return response(req, nil, kerror.New("plugin.runtime.unexpected_error",
			fmt.Sprintf("%s is not mocked (give its answer in the mocks file)", key))), nil
	case m.Error != nil:
		return response(req, nil, m.Error.kerror()), nil
	}
	return response(req, m.Result, nil), nil
}

// kerror builds the Kuzzle error a mock stands for.
func (e *MockError) kerror() *kerror.Error {
	if e.ID != "" && kerror.Known(e.ID) {
		if e.Message != "" {
			return kerror.WithMessage(e.Message, e.ID, e.Props...)
		}
		return kerror.New(e.ID, e.Props...)
	}
	msg := e.Message
	if msg == "" {
		msg = e.ID
	}
	return kerror.New("plugin.runtime.unexpected_error", msg)
}

// response is the Kuzzle response JSON of a mocked call.
func response(req *api.Request, result jsonx.RawMessage, kerr *kerror.Error) []byte {
	r := struct {
		RequestID  string           `json:"requestId"`
		Status     int              `json:"status"`
		Error      *kerror.Error    `json:"error"`
		Controller string           `json:"controller"`
		Action     string           `json:"action"`
		Volatile   jsonx.RawMessage `json:"volatile"`
		Result     jsonx.RawMessage `json:"result"`
	}{Status: 200, Error: kerr, Result: result}
	if req != nil {
		r.RequestID, r.Controller, r.Action, r.Volatile = req.ID, req.Controller, req.Action, req.Volatile
	}
	if kerr != nil {
		r.Status = kerr.Status
	}
	if len(r.Result) == 0 {
		r.Result = jsonx.RawMessage("null")
	}
	if len(r.Volatile) == 0 {
		r.Volatile = jsonx.RawMessage("null")
	}
	out, err := jsonx.Marshal(r)
	if err != nil {
		return []byte(`{"status":500,"error":{"message":"unencodable mock response"},"result":null}`)
	}
	return out
}
