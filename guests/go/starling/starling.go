//go:build wasip1

package starling

import (
	"encoding/json"
	"fmt"
	"unsafe"
)

// Request is what a controller action (and a pipe or hook, as Event.Request)
// receives. Controller and Action are read before the handler runs;
// everything else is found in the input on first use. The raw JSON values
// its methods return alias the input buffer: they are valid until the
// handler returns.
type Request struct {
	Controller string
	Action     string

	raw      []byte // the request object
	id       []byte // raw requestId
	indexed  bool   // args, body, volatile and connection located
	args     []byte
	body     []byte
	volatile []byte
	conn     []byte
}

// Connection is the client connection a request came from.
type Connection struct {
	ID       string
	Protocol string
}

// parseRequest reads controller, action and requestId (the host writes
// them first) and keeps the rest for later.
func parseRequest(b []byte, r *Request) error {
	*r = Request{raw: b}
	if fastPrefix(b, r) {
		return nil
	}
	f := newFields(b)
	found := 0
	for k, v, ok := f.next(); ok && found < 3; k, v, ok = f.next() {
		switch {
		case keyIs(k, "controller"):
			r.Controller = intern(v, man.controller, lastController)
			lastController = r.Controller
		case keyIs(k, "action"):
			r.Action = intern(v, man.actions...)
		case keyIs(k, "requestId"):
			r.id = v
		default:
			continue
		}
		found++
	}
	return f.err
}

// index locates the other top-level values, once.
func (r *Request) index() {
	if r.indexed {
		return
	}
	r.indexed = true
	f := newFields(r.raw)
	for k, v, ok := f.next(); ok; k, v, ok = f.next() {
		switch {
		case keyIs(k, "args"):
			r.args = v
		case keyIs(k, "body"):
			r.body = v
		case keyIs(k, "volatile"):
			r.volatile = v
		case keyIs(k, "connection"):
			r.conn = v
		}
	}
}

// RequestID returns the request's id.
func (r *Request) RequestID() string {
	s, _ := unquote(r.id)
	return s
}

// Body returns the raw JSON body, nil when the request has none.
func (r *Request) Body() json.RawMessage {
	r.index()
	return r.body
}

// Volatile returns the raw JSON volatile data, nil when none.
func (r *Request) Volatile() json.RawMessage {
	r.index()
	return r.volatile
}

// Connection returns the connection the request came from (empty for
// calls on no connection: init, tick).
func (r *Request) Connection() Connection {
	r.index()
	if r.conn == nil {
		return Connection{}
	}
	id, _ := unquote(field(r.conn, "id"))
	return Connection{ID: id, Protocol: intern(field(r.conn, "protocol"), "mqtt", "websocket", "http")}
}

// Arg returns the raw JSON value of the named argument, nil when absent.
func (r *Request) Arg(name string) json.RawMessage {
	r.index()
	if len(r.args) == 0 {
		return nil
	}
	return field(r.args, name)
}

// ArgString returns the named argument when it is a string.
func (r *Request) ArgString(name string) (string, bool) {
	return unquote(r.Arg(name))
}

// RawArgs returns the raw JSON object of the arguments ({} when none).
func (r *Request) RawArgs() json.RawMessage {
	r.index()
	if len(r.args) == 0 {
		return json.RawMessage("{}")
	}
	return r.args
}

// Args decodes every argument into a map of raw values.
func (r *Request) Args() map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	f := newFields(r.RawArgs())
	for k, v, ok := f.next(); ok; k, v, ok = f.next() {
		if name, ok := unquote(k); ok {
			m[name] = v
		}
	}
	return m
}

// DecodeBody decodes the body into v with encoding/json; a request without
// body gets api.assert.body_required.
func (r *Request) DecodeBody(v any) error {
	body := r.Body()
	if len(body) == 0 {
		return &Error{ID: "api.assert.body_required", Message: "The request must specify a body."}
	}
	return json.Unmarshal(body, v)
}

// Error is a Kuzzle error a handler returns: ID names a catalogued Kuzzle
// error (optional), Message says what went wrong, Props fill the
// catalogue's placeholders. Status is set on errors the host reports (an
// API call's, an error event's) and ignored in what a guest returns.
type Error struct {
	ID      string `json:"id,omitempty"`
	Message string `json:"message,omitempty"`
	Props   []any  `json:"props,omitempty"`
	Status  int    `json:"status,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// parseError reads an error object as the host sends it.
func parseError(b []byte) *Error {
	e := &Error{}
	f := newFields(b)
	for k, v, ok := f.next(); ok; k, v, ok = f.next() {
		switch {
		case keyIs(k, "id"):
			e.ID, _ = unquote(v)
		case keyIs(k, "message"):
			e.Message, _ = unquote(v)
		case keyIs(k, "status"):
			_ = json.Unmarshal(v, &e.Status)
		case keyIs(k, "props"):
			_ = json.Unmarshal(v, &e.Props)
		}
	}
	return e
}

// appendError encodes an error object.
func appendError(dst []byte, err error) []byte {
	e, ok := err.(*Error)
	if !ok {
		e = &Error{Message: err.Error()}
	}
	dst = append(dst, '{')
	sep := false
	if e.ID != "" {
		dst = appendString(append(dst, `"id":`...), e.ID)
		sep = true
	}
	if e.Message != "" {
		if sep {
			dst = append(dst, ',')
		}
		dst = appendString(append(dst, `"message":`...), e.Message)
		sep = true
	}
	if len(e.Props) > 0 {
		if sep {
			dst = append(dst, ',')
		}
		props, perr := appendList(append(dst, `"props":`...), e.Props)
		if perr == nil {
			dst = props
		} else {
			dst = append(dst[:len(dst)-len(`"props":`)], "null"...)
		}
	}
	return append(dst, '}')
}

// Handler serves every action of a controller. Its result is encoded as
// Marshal does: a json.RawMessage or []byte is sent as is.
type Handler func(req *Request) (any, error)

// FilterFunc tests a document against a named filter with its arguments.
type FilterFunc func(name string, args, doc json.RawMessage) (bool, error)

// The guest's registrations and buffers. An instance serves one call at a
// time, so one set per instance is enough.
var (
	man     manifest
	handler Handler
	filter  FilterFunc
	input   []byte // the input buffer, the host's until starling_alloc is called again
	output  []byte // the last result, reused: the host copies it at once
	req     Request
	// lastController is the controller name the host last sent
	// ("module/controller"), kept to read the next one without allocating.
	lastController string
)

// Controller registers the controller name, its actions and their handler.
func Controller(name string, actions []string, h Handler) {
	man.controller, man.actions, handler = name, actions, h
}

// Filters registers filter names and the function testing them.
func Filters(names []string, f FilterFunc) {
	man.filters, filter = names, f
}

//go:wasmimport starling log
func hostLog(level uint32, ptr unsafe.Pointer, n uint32)

//go:wasmimport starling now
func hostNow() int64

//go:wasmimport starling call
func hostCall(ptr unsafe.Pointer, n uint32) uint32

//go:wasmimport starling call_result
func hostCallResult(ptr unsafe.Pointer)

// Log levels.
const (
	Debug = iota
	Info
	Warn
	ErrorLevel
)

// Log writes a line in the server's log.
func Log(level int, msg string) {
	if msg == "" {
		return
	}
	hostLog(uint32(level), unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
}

// Now returns the wall clock in milliseconds since the epoch.
func Now() int64 { return hostNow() }

// Response is an API response.
type Response struct {
	Status int
	Error  *Error
	Result json.RawMessage
}

// Call runs an API request (anything Marshal encodes, e.g. a map or a
// json.RawMessage) as the user of the request being served. A response
// with an error is returned with that error.
func Call(request any) (*Response, error) {
	payload, err := Marshal(request)
	if err != nil {
		return nil, err
	}
	out := lastAnswer(hostCall(unsafe.Pointer(unsafe.SliceData(payload)), uint32(len(payload))))
	resp := &Response{}
	f := newFields(out)
	for k, v, ok := f.next(); ok; k, v, ok = f.next() {
		switch {
		case keyIs(k, "status"):
			_ = json.Unmarshal(v, &resp.Status)
		case keyIs(k, "error"):
			if string(v) != "null" {
				resp.Error = parseError(v)
			}
		case keyIs(k, "result"):
			resp.Result = v
		}
	}
	if f.err != nil {
		return nil, fmt.Errorf("starling: API response %q: %w", out, f.err)
	}
	if resp.Error != nil {
		return resp, resp.Error
	}
	return resp, nil
}

// lastAnswer copies the host's last answer (call, config, state_get,
// http_request) of n bytes.
func lastAnswer(n uint32) []byte {
	out := make([]byte, n+1)
	hostCallResult(unsafe.Pointer(unsafe.SliceData(out)))
	return out[:n]
}

//go:wasmexport starling_alloc
func alloc(n int32) uint32 {
	input = make([]byte, n+1)
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(input))))
}

// in returns the input the host wrote for this call.
func in(n int32) []byte {
	if n < 0 || int(n) > len(input) {
		return nil
	}
	return input[:n]
}

// pack hands out a buffer: its address in the high half, its length (and
// the error flag) in the low half.
func pack(b []byte, isError bool) int64 {
	n := uint64(len(b))
	if isError {
		n |= 1 << 31
	}
	return int64(uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))<<32 | n)
}

// result encodes what a handler returned into the output buffer.
func result(v any, err error) int64 {
	if err != nil {
		return fail(err)
	}
	b, err := appendJSON(output[:0], v)
	if err != nil {
		return fail(err)
	}
	output = b
	return pack(b, false)
}

// fail encodes an error object into the output buffer.
func fail(err error) int64 {
	output = appendError(output[:0], err)
	return pack(output, true)
}

//go:wasmexport starling_manifest
func getManifest() int64 {
	output = man.append(output[:0])
	return pack(output, false)
}

//go:wasmexport starling_handle
func handle(_ uint32, n int32) int64 {
	if handler == nil {
		return fail(&Error{Message: "no controller registered"})
	}
	req = Request{}
	if err := parseRequest(in(n), &req); err != nil {
		return fail(err)
	}
	return result(handler(&req))
}

//go:wasmexport starling_filter
func testFilter(_ uint32, n int32) int32 {
	if filter == nil {
		return -1
	}
	var name string
	var args, doc json.RawMessage
	f := newFields(in(n))
	for k, v, ok := f.next(); ok; k, v, ok = f.next() {
		switch {
		case keyIs(k, "filter"):
			name = intern(v, man.filters...)
		case keyIs(k, "args"):
			args = v
		case keyIs(k, "document"):
			doc = v
		}
	}
	if f.err != nil {
		return -1
	}
	ok, err := filter(name, args, doc)
	switch {
	case err != nil:
		return -1
	case ok:
		return 1
	}
	return 0
}

// intern returns the one of known the raw JSON string is, without
// allocating; any other string is decoded.
func intern(raw []byte, known ...string) string {
	for _, k := range known {
		if rawEquals(raw, k) {
			return k
		}
	}
	s, _ := unquote(raw)
	return s
}

// fastPrefix reads {"controller":"C","action":"A","requestId":"R" as the
// host writes them; ok is false when the input starts otherwise (escapes,
// spaces, another order), for the general scanner to read it.
func fastPrefix(b []byte, r *Request) bool {
	const (
		p1 = `{"controller":"`
		p2 = `","action":"`
		p3 = `","requestId":`
	)
	if !prefixAt(b, 0, p1) {
		return false
	}
	i := len(p1)
	end := stringEnd(b, i)
	if !prefixAt(b, end, p2) {
		return false
	}
	controller := b[i:end]
	i = end + len(p2)
	end = stringEnd(b, i)
	if !prefixAt(b, end, p3) {
		return false
	}
	action := b[i:end]
	i = end + len(p3)
	if i >= len(b) || b[i] != '"' {
		return false
	}
	end = stringEnd(b, i+1)
	if end < 0 {
		return false
	}
	r.Controller = internBytes(controller, lastController, man.controller)
	lastController = r.Controller
	r.Action = internBytes(action, man.actions...)
	r.id = b[i : end+1]
	return true
}
