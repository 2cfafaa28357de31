//go:build wasip1

package starling

import (
	"encoding/json"
	"strconv"
	"unsafe"
)

// ABI 3: pipes and hooks on Kuzzle's events, init and tick, the module's
// configuration, its state and outbound HTTP (guests/README.md).

// manifest is what starling_manifest returns.
type manifest struct {
	controller string
	actions    []string
	filters    []string
	pipes      []string
	hooks      []string
	tick       int
}

// append encodes the manifest, leaving out what is empty.
func (m *manifest) append(dst []byte) []byte {
	dst = append(dst, '{')
	sep := false
	key := func(k string) {
		if sep {
			dst = append(dst, ',')
		}
		sep = true
		dst = append(appendString(dst, k), ':')
	}
	if m.controller != "" {
		key("controller")
		dst = appendString(dst, m.controller)
	}
	for _, l := range []struct {
		k     string
		names []string
	}{{"actions", m.actions}, {"filters", m.filters}, {"pipes", m.pipes}, {"hooks", m.hooks}} {
		if len(l.names) > 0 {
			key(l.k)
			dst, _ = appendJSON(dst, l.names)
		}
	}
	if m.tick > 0 {
		key("tick")
		dst = strconv.AppendInt(dst, int64(m.tick), 10)
	}
	return append(dst, '}')
}

// Event is what a pipe or a hook receives.
type Event struct {
	// Name is the event, e.g. "document:beforeCreate".
	Name string
	// Request is the request the event is about.
	Request *Request
	// Result is the raw result (after and success events), nil otherwise.
	Result json.RawMessage
	// Error is the error (error events), nil otherwise.
	Error *Error
}

// Change is what a pipe returns to change the request (before and
// onExecution events: the fields set replace the request's) or its result
// (after, success and error events: Result set, even to "null"). A nil
// *Change leaves everything as it was. Values alias nothing: they are
// copied into the answer.
type Change struct {
	Args, Body, Volatile json.RawMessage
	Result               json.RawMessage
}

// PipeFunc serves the pipes of the events it was registered for.
type PipeFunc func(ev *Event) (*Change, error)

// HookFunc is told of the events it was registered for; its error is
// logged by the host.
type HookFunc func(ev *Event) error

var (
	pipe   PipeFunc
	hook   HookFunc
	initFn func(config json.RawMessage) error
	tickFn func(now int64) error
)

// Pipes registers the events (Kuzzle's names, wildcards allowed) whose
// pipe f serves.
func Pipes(events []string, f PipeFunc) { man.pipes, pipe = events, f }

// Hooks registers the events f is told of.
func Hooks(events []string, f HookFunc) { man.hooks, hook = events, f }

// Init registers f, run once per module version before it serves anything,
// with the module's configuration (JSON, "null" when none). An error keeps
// the module from loading.
func Init(f func(config json.RawMessage) error) { initFn = f }

// Tick registers f, called every ms milliseconds (at least 100) with the
// wall clock in milliseconds.
func Tick(ms int, f func(now int64) error) { man.tick, tickFn = ms, f }

//go:wasmexport starling_abi_version
func abiVersion() int32 { return 3 }

// parseEvent reads a pipe or hook input.
func parseEvent(b []byte, ev *Event) error {
	req = Request{}
	ev.Request = &req
	var perr error
	f := newFields(b)
	for k, v, ok := f.next(); ok; k, v, ok = f.next() {
		switch {
		case keyIs(k, "event"):
			ev.Name, _ = unquote(v)
		case keyIs(k, "request"):
			perr = parseRequest(v, &req)
		case keyIs(k, "result"):
			ev.Result = v
		case keyIs(k, "error"):
			if string(v) != "null" {
				ev.Error = parseError(v)
			}
		}
	}
	if f.err != nil {
		return f.err
	}
	return perr
}

//go:wasmexport starling_pipe
func runPipe(_ uint32, n int32) int64 {
	if pipe == nil {
		return fail(&Error{Message: "no pipe registered"})
	}
	var ev Event
	if err := parseEvent(in(n), &ev); err != nil {
		return fail(err)
	}
	c, err := pipe(&ev)
	if err != nil {
		return fail(err)
	}
	output = c.append(output[:0])
	return pack(output, false)
}

// append encodes a pipe's answer; nothing at all for no change.
func (c *Change) append(dst []byte) []byte {
	if c == nil {
		return dst
	}
	if c.Result != nil {
		return append(append(append(dst, `{"result":`...), c.Result...), '}')
	}
	dst = append(dst, `{"request":{`...)
	sep := false
	for _, f := range []struct {
		k string
		v json.RawMessage
	}{{"args", c.Args}, {"body", c.Body}, {"volatile", c.Volatile}} {
		if f.v == nil {
			continue
		}
		if sep {
			dst = append(dst, ',')
		}
		sep = true
		dst = append(append(appendString(dst, f.k), ':'), f.v...)
	}
	return append(dst, "}}"...)
}

//go:wasmexport starling_hook
func runHook(_ uint32, n int32) int64 {
	if hook == nil {
		return fail(&Error{Message: "no hook registered"})
	}
	var ev Event
	if err := parseEvent(in(n), &ev); err != nil {
		return fail(err)
	}
	return result(nil, hook(&ev))
}

//go:wasmexport starling_init
func runInit(_ uint32, n int32) int64 {
	if initFn == nil {
		return result(nil, nil)
	}
	cfg := field(in(n), "config")
	if cfg == nil {
		cfg = json.RawMessage("null")
	}
	return result(nil, initFn(cfg))
}

//go:wasmexport starling_tick
func runTick(_ uint32, n int32) int64 {
	if tickFn == nil {
		return result(nil, nil)
	}
	now, _ := strconv.ParseInt(string(field(in(n), "now")), 10, 64)
	return result(nil, tickFn(now))
}

//go:wasmimport starling config
func hostConfig() uint32

//go:wasmimport starling state_get
func hostStateGet(k unsafe.Pointer, kn uint32) int32

//go:wasmimport starling state_set
func hostStateSet(k unsafe.Pointer, kn uint32, v unsafe.Pointer, vn uint32) int32

//go:wasmimport starling state_delete
func hostStateDelete(k unsafe.Pointer, kn uint32) int32

//go:wasmimport starling state_incr
func hostStateIncr(k unsafe.Pointer, kn uint32, delta int64, out unsafe.Pointer) int32

//go:wasmimport starling http_request
func hostHTTPRequest(ptr unsafe.Pointer, n uint32) uint32

// Config returns the module's configuration (plugins.wasm.modules.NAME.config)
// as JSON, "null" when it has none.
func Config() json.RawMessage { return lastAnswer(hostConfig()) }
