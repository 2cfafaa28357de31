//go:build wasip1

// Package starling is the Go SDK for Starling Wasm guests, ABI 2 (see
// guests/README.md). A guest registers one function in an init function:
//
//	func init() {
//		starling.Controller("hello", []string{"hi"}, func(req *starling.Request) (any, error) {
//			return "hi", nil
//		})
//	}
//	func main() {}
//
// and is built with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared.
//
// starling imports nothing of Starling's server: a guest links its SDK only.
package starling

import (
	"encoding/json"
	"errors"
	"unsafe"
)

// Request is what a controller action receives.
type Request struct {
	Controller string                     `json:"controller"`
	Action     string                     `json:"action"`
	RequestID  string                     `json:"requestId"`
	Args       map[string]json.RawMessage `json:"args"`
	Body       json.RawMessage            `json:"body"`
	Volatile   json.RawMessage            `json:"volatile"`
	Connection struct {
		ID       string `json:"id"`
		Protocol string `json:"protocol"`
	} `json:"connection"`
}

// Error is a Kuzzle error a handler returns: ID names a catalogued Kuzzle
// error (optional), Message says what went wrong.
type Error struct {
	ID      string `json:"id,omitempty"`
	Message string `json:"message,omitempty"`
	Props   []any  `json:"props,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Handler serves every action of a controller; its result is encoded with
// encoding/json (a json.RawMessage is sent as is).
type Handler func(req *Request) (any, error)

// FilterFunc tests a document against a named filter with its arguments.
type FilterFunc func(name string, args, doc json.RawMessage) (bool, error)

// manifest is what starling_manifest returns.
type manifest struct {
	Controller string   `json:"controller,omitempty"`
	Actions    []string `json:"actions,omitempty"`
	Filters    []string `json:"filters,omitempty"`
}

// The guest's registrations and the buffers the host reads; a guest
// instance serves one call at a time.
var (
	man     manifest
	handler Handler
	filter  FilterFunc
	input   []byte
	output  []byte
)

// Controller registers the controller name, its actions and their handler.
func Controller(name string, actions []string, h Handler) {
	man.Controller, man.Actions, handler = name, actions, h
}

// Filters registers filter names and the function testing them.
func Filters(names []string, f FilterFunc) {
	man.Filters, filter = names, f
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
	Status int             `json:"status"`
	Error  *Error          `json:"error"`
	Result json.RawMessage `json:"result"`
}

// Call runs an API request as the user of the request being served.
func Call(request any) (*Response, error) {
	payload, err := json.Marshal(request)
	if err != nil {
		return nil, err
	}
	n := hostCall(unsafe.Pointer(unsafe.SliceData(payload)), uint32(len(payload)))
	out := make([]byte, n+1)
	hostCallResult(unsafe.Pointer(unsafe.SliceData(out)))
	var resp Response
	if err := json.Unmarshal(out[:n], &resp); err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return &resp, resp.Error
	}
	return &resp, nil
}

//go:wasmexport starling_abi_version
func abiVersion() int32 { return 2 }

//go:wasmexport starling_alloc
func alloc(n int32) uint32 {
	input = make([]byte, n+1)
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(input))))
}

// pack hands out a buffer: its address in the high half, its length (and
// the error flag) in the low half.
func pack(b []byte, isError bool) int64 {
	output = b
	n := uint64(len(b))
	if isError {
		n |= 1 << 31
	}
	return int64(uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))<<32 | n)
}

//go:wasmexport starling_manifest
func getManifest() int64 {
	b, _ := json.Marshal(man)
	return pack(b, false)
}

//go:wasmexport starling_handle
func handle(ptr uint32, n int32) int64 {
	var req Request
	if err := json.Unmarshal(input[:n], &req); err != nil {
		return fail(err)
	}
	if handler == nil {
		return fail(errors.New("no controller"))
	}
	res, err := handler(&req)
	if err != nil {
		return fail(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return fail(err)
	}
	return pack(b, false)
}

func fail(err error) int64 {
	e, ok := err.(*Error)
	if !ok {
		e = &Error{Message: err.Error()}
	}
	b, _ := json.Marshal(e)
	return pack(b, true)
}

//go:wasmexport starling_filter
func testFilter(ptr uint32, n int32) int32 {
	var in struct {
		Filter   string          `json:"filter"`
		Args     json.RawMessage `json:"args"`
		Document json.RawMessage `json:"document"`
	}
	if filter == nil || json.Unmarshal(input[:n], &in) != nil {
		return -1
	}
	ok, err := filter(in.Filter, in.Args, in.Document)
	switch {
	case err != nil:
		return -1
	case ok:
		return 1
	}
	return 0
}
