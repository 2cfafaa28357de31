package wasmtest

import (
	"bytes"
	"context"
	"fmt"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/wasmhost"
)

// Event is what a pipe or hook is told of, beside the event's name.
type Event struct {
	// Request is the request JSON, as a client sends it ({"index": …,
	// "body": …}) or as a guest receives it ({"args": {…}, "body": …,
	// "connection": {…}}: args are arguments, connection the request's
	// connection); nil is {}. Its controller and action default to the
	// event's (document:beforeCreate: document, create) and must match
	// them; request:* events need them. requestId defaults to "wasm-run",
	// the connection to {"id": "wasm-run", "protocol": "mqtt"}.
	Request jsonx.RawMessage
	// Result is the action's result, for after events and
	// request:onSuccess; nil for none.
	Result jsonx.RawMessage
	// Error is the failure of error events and request:onError (required
	// there, refused elsewhere): a catalogued id keeps its status, anything
	// else is plugin.runtime.unexpected_error.
	Error *MockError
}

// ParseEvent reads the input of `starling wasm run --pipe/--hook`: either a
// full pipe input, {"event": …, "request": …, "result": …, "error": …}
// (guests/README.md; every key optional, no other key), or a request
// alone. name is the input's event, "" when it has none.
func ParseEvent(input []byte) (name string, ev Event, err error) {
	input = bytes.TrimSpace(input)
	if len(input) == 0 {
		return "", Event{}, nil
	}
	var fields map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(input, &fields); err != nil || fields == nil {
		return "", Event{}, fmt.Errorf("the input is not a JSON object: %.80q", input)
	}
	if _, ok := fields["request"]; !ok {
		return "", Event{Request: jsonx.RawMessage(input)}, nil
	}
	for k := range fields {
		switch k {
		case "event", "request", "result", "error":
		default:
			return "", Event{Request: jsonx.RawMessage(input)}, nil // a request with a "request" argument
		}
	}
	var full struct {
		Event   string           `json:"event"`
		Request jsonx.RawMessage `json:"request"`
		Result  jsonx.RawMessage `json:"result"`
		Error   *MockError       `json:"error"`
	}
	if err := jsonx.Unmarshal(input, &full); err != nil {
		return "", Event{}, fmt.Errorf("the pipe input: %w", err)
	}
	return full.Event, Event{Request: full.Request, Result: full.Result, Error: full.Error}, nil
}

// eventArgs is what an Event gives a pipe or hook: the request, the result
// (nil for none) and the failure.
func eventArgs(event string, ev Event) (*api.Request, any, *kerror.Error, error) {
	s, controller, action, err := wasmhost.ParseEvent(event)
	if err != nil {
		return nil, nil, nil, err
	}
	req, err := eventRequest(ev.Request, controller, action)
	if err != nil {
		return nil, nil, nil, err
	}
	if controller == "" && (req.Controller == "" || req.Action == "") {
		return nil, nil, nil, fmt.Errorf("%s needs the request's controller and action", event)
	}
	errorEvent := s == api.StageError || s == api.StageOnError
	resultEvent := s == api.StageAfter || s == api.StageSuccess
	switch {
	case errorEvent && ev.Error == nil:
		return nil, nil, nil, fmt.Errorf("%s is fired by a failure: give its error", event)
	case !errorEvent && ev.Error != nil:
		return nil, nil, nil, fmt.Errorf("%s has no error: only error events and request:onError have one", event)
	case !resultEvent && ev.Result != nil:
		return nil, nil, nil, fmt.Errorf("%s has no result: only after events and request:onSuccess have one", event)
	}
	var result any
	if ev.Result != nil {
		if !jsonx.Valid(ev.Result) {
			return nil, nil, nil, fmt.Errorf("the result is not JSON: %.80q", ev.Result)
		}
		result = ev.Result
	}
	var failure *kerror.Error
	if ev.Error != nil {
		failure = ev.Error.kerror()
	}
	return req, result, failure, nil
}

// eventRequest builds the request of an event of controller:action ("" for
// request:* events) from a client's or a guest's request JSON.
func eventRequest(raw jsonx.RawMessage, controller, action string) (*api.Request, error) {
	fields := map[string]jsonx.RawMessage{}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := jsonx.Unmarshal(raw, &fields); err != nil || fields == nil {
			return nil, fmt.Errorf("the request is not a JSON object: %.80q", raw)
		}
	}
	if args, ok := fields["args"]; ok {
		var a map[string]jsonx.RawMessage
		if err := jsonx.Unmarshal(args, &a); err != nil || a == nil {
			return nil, fmt.Errorf("the request's args are not an object: %.80q", args)
		}
		delete(fields, "args")
		for k, v := range a {
			fields[k] = v
		}
	}
	conn := api.Connection{ID: "wasm-run", Protocol: "mqtt"}
	if c, ok := fields["connection"]; ok {
		var given struct{ ID, Protocol string }
		if err := jsonx.Unmarshal(c, &given); err != nil {
			return nil, fmt.Errorf("the request's connection is not {\"id\": …, \"protocol\": …}: %.80q", c)
		}
		delete(fields, "connection")
		conn.ID, conn.Protocol = given.ID, given.Protocol
	}
	if err := fill(fields, "controller", controller); err != nil {
		return nil, err
	}
	if err := fill(fields, "action", action); err != nil {
		return nil, err
	}
	if _, ok := fields["requestId"]; !ok {
		fields["requestId"] = jsonx.RawMessage(`"wasm-run"`)
	}
	payload, err := jsonx.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("the request: %w", err)
	}
	req, kerr := api.Parse(payload, conn)
	if kerr != nil {
		return nil, fmt.Errorf("the request: %s", kerr.Message)
	}
	return req, nil
}

// fill sets fields[key] to want when absent, and refuses another value.
func fill(fields map[string]jsonx.RawMessage, key, want string) error {
	if want == "" {
		return nil
	}
	raw, ok := fields[key]
	if !ok {
		fields[key], _ = jsonx.Marshal(want)
		return nil
	}
	var got string
	if err := jsonx.Unmarshal(raw, &got); err != nil || got != want {
		return fmt.Errorf("the request's %s is %s, the event's is %q", key, raw, want)
	}
	return nil
}

// PipeResult is what goes on after a pipe.
type PipeResult struct {
	// Request is, after request:onExecution and before events, the
	// request as the action (and the next pipes) get it, in the form
	// guests receive it ({"controller", "action", "requestId", "args",
	// "body", "volatile", "connection"}); nil after other events.
	Request jsonx.RawMessage `json:"request,omitempty"`
	// Result is, after the other events, the result the client gets;
	// nil after request events.
	Result jsonx.RawMessage `json:"result,omitempty"`
}

// Pipe runs the module's pipe on event (a single event's name, which the
// module's manifest pipes under that name or a wildcard) as a server runs
// it: same input, deadline and checks of the answer, same errors. kerr is
// the Kuzzle error that fails the request (the pipe's, or on error events
// the failure the pipe left as it was); err says why the pipe could not be
// run (a bad event or input).
func (r *Runner) Pipe(ctx context.Context, event string, ev Event) (out PipeResult, kerr *kerror.Error, err error) {
	req, result, failure, err := eventArgs(event, ev)
	if err != nil {
		return PipeResult{}, nil, fmt.Errorf("pipe %s: %w", event, err)
	}
	s, _, _, _ := wasmhost.ParseEvent(event)
	req, result, kerr, err = r.module.Pipe(ctx, event, req, result, failure)
	switch {
	case err != nil:
		return PipeResult{}, nil, fmt.Errorf("pipe %s: %w", event, err)
	case kerr != nil:
		return PipeResult{}, kerr, nil
	case s == api.StageExecution || s == api.StageBefore:
		out.Request, err = requestJSON(req)
	default:
		out.Result, err = resultJSON(result)
	}
	return out, nil, err
}

// HookError is a hook's failure: a trap, a timeout, an error object, or
// its skipping while the module is quarantined. A server logs it and goes
// on.
type HookError struct {
	// Event is the event the hook was told of.
	Event string
	// Err is the failure, as the server logs it.
	Err error
}

func (e *HookError) Error() string { return e.Err.Error() }

// Unwrap returns the failure.
func (e *HookError) Unwrap() error { return e.Err }

// Hook tells the module's hook of event (which its manifest names, or a
// wildcard of it) and waits for it to finish, as a server's hook workers
// run it. It returns a *HookError when the hook failed, another error when
// it could not be run (a bad event or input); Calls and State tell what it
// did.
func (r *Runner) Hook(ctx context.Context, event string, ev Event) error {
	req, result, failure, err := eventArgs(event, ev)
	if err != nil {
		return fmt.Errorf("hook %s: %w", event, err)
	}
	failed, err := r.module.Hook(ctx, event, req, result, failure)
	if err != nil {
		return fmt.Errorf("hook %s: %w", event, err)
	}
	if failed != nil {
		return &HookError{Event: event, Err: failed}
	}
	return nil
}

// requestJSON encodes a request as guests receive it, its arguments in key
// order.
func requestJSON(req *api.Request) (jsonx.RawMessage, error) {
	args := map[string]jsonx.RawMessage{}
	for k, v := range req.Args() {
		if k != "requestId" {
			args[k] = v
		}
	}
	type connection struct {
		ID       string `json:"id"`
		Protocol string `json:"protocol"`
	}
	out, err := jsonx.Marshal(struct {
		Controller string                      `json:"controller"`
		Action     string                      `json:"action"`
		RequestID  string                      `json:"requestId"`
		Args       map[string]jsonx.RawMessage `json:"args"`
		Body       jsonx.RawMessage            `json:"body,omitempty"`
		Volatile   jsonx.RawMessage            `json:"volatile,omitempty"`
		Connection connection                  `json:"connection"`
	}{req.Controller, req.Action, req.ID, args, req.Body, req.Volatile,
		connection{req.Connection.ID, req.Connection.Protocol}})
	if err != nil {
		return nil, fmt.Errorf("encode the request: %w", err)
	}
	return out, nil
}

// resultJSON encodes a pipe's result: raw JSON, or a Go value.
func resultJSON(result any) (jsonx.RawMessage, error) {
	switch r := result.(type) {
	case nil:
		return jsonx.RawMessage("null"), nil
	case jsonx.RawMessage:
		return r, nil
	}
	out, err := jsonx.Marshal(result)
	if err != nil {
		return nil, fmt.Errorf("encode the result: %w", err)
	}
	return out, nil
}
