package api

import (
	"fmt"
	"strconv"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Response is the answer to one request, as Kuzzle's RequestResponse
// serializes it.
type Response struct {
	// Request is what is answered; nil answers a payload that was no request.
	Request *Request
	// Status is 200 on success, the error's status otherwise.
	Status int
	// Error is nil on success.
	Error *kerror.Error
	// Result is the action's result, encoded with jsonx, or written as is
	// when it is Compact or a jsonx.RawMessage (then valid JSON).
	Result any
	// Node is the id of the server that answered.
	Node string
}

// Compact is a result already encoded as compact, valid JSON, which a
// response writes as is.
type Compact string

// Success returns a 200 response carrying result.
func Success(req *Request, result any, node string) *Response {
	return &Response{Request: req, Status: 200, Result: result, Node: node}
}

// Failure returns a response carrying err with its status.
func Failure(req *Request, err *kerror.Error, node string) *Response {
	return &Response{Request: req, Status: err.Status, Error: err, Node: node}
}

// AppendJSON appends the response's JSON to dst. Keys come in Kuzzle's
// order: action, collection, controller, error, headers, index, node,
// requestId, result, status, volatile; index and collection only when the
// request named them, as JSON.stringify drops undefined values.
func (r *Response) AppendJSON(dst []byte) ([]byte, error) {
	req := r.Request
	if req == nil {
		req = &Request{}
	}
	dst = append(dst, `{"action":`...)
	dst = appendOptionalString(dst, req.Action, req.hasAction)
	if raw := req.collection; raw != nil {
		dst = append(dst, `,"collection":`...)
		dst = append(dst, raw...)
	}
	dst = append(dst, `,"controller":`...)
	dst = appendOptionalString(dst, req.Controller, req.hasController)
	dst = append(dst, `,"error":`...)
	if r.Error == nil {
		dst = append(dst, "null"...)
	} else {
		encoded, err := jsonx.Marshal(r.Error)
		if err != nil {
			return dst, fmt.Errorf("encode error %s: %w", r.Error.ID, err)
		}
		dst = append(dst, encoded...)
	}
	dst = append(dst, `,"headers":{}`...)
	if raw := req.index; raw != nil {
		dst = append(dst, `,"index":`...)
		dst = append(dst, raw...)
	}
	dst = append(dst, `,"node":`...)
	dst = appendString(dst, r.Node)
	dst = append(dst, `,"requestId":`...)
	dst = appendString(dst, req.ID)
	dst = append(dst, `,"result":`...)
	switch raw := r.Result.(type) {
	case nil:
		dst = append(dst, "null"...)
	case Compact:
		dst = append(dst, raw...)
	case jsonx.RawMessage:
		// Already encoded (a stored document, a result built by hand):
		// written as is, not scanned again by the encoder. It must be
		// valid JSON.
		dst = append(dst, raw...)
	default:
		encoded, err := jsonx.Marshal(r.Result)
		if err != nil {
			return dst, fmt.Errorf("encode result of %s:%s: %w", req.Controller, req.Action, err)
		}
		dst = append(dst, encoded...)
	}
	dst = append(dst, `,"status":`...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	dst = append(dst, `,"volatile":`...)
	if req.Volatile == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, req.Volatile...)
	}
	return append(dst, '}'), nil
}

func appendOptionalString(dst []byte, s string, present bool) []byte {
	if !present {
		return append(dst, "null"...)
	}
	return appendString(dst, s)
}

// appendString appends s as a JSON string.
func appendString(dst []byte, s string) []byte { return jsonx.AppendString(dst, s) }
