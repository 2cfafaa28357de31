package api

import (
	"bytes"
	"sync"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Request is one API request. It is built by Parse and read-only afterwards,
// so it may be shared between goroutines.
type Request struct {
	// ID is the requestId the client gave, or a generated UUID.
	ID string
	// Controller and Action name what to run; "" when absent or null.
	Controller, Action string
	// JWT is the authentication token, "" when absent.
	JWT string
	// Volatile is the raw volatile object, nil when absent or null.
	Volatile jsonx.RawMessage
	// Body is the raw body (object or array), nil when absent or null.
	Body jsonx.RawMessage
	// Connection says who sent the request.
	Connection Connection

	hasController, hasAction bool
	// hasArgs is false when the payload has no action argument: Arg then
	// answers without decoding it.
	hasArgs bool
	// index and collection are kept raw, as the response echoes them; _id
	// too, asked by most actions.
	index, collection, id jsonx.RawMessage
	// payload is decoded again, once, when an action asks for arguments.
	payload  []byte
	argsOnce sync.Once
	args     map[string]jsonx.RawMessage
}

// Connection identifies the client connection a request came through.
type Connection struct {
	// ID is Starling's connection id, unique for the server's lifetime.
	ID string
	// Protocol is the transport, "mqtt".
	Protocol string
	// Token is the token the connection authenticated with when it opened
	// (MQTT CONNECT credentials), "" for none: its requests that carry no
	// jwt of their own run with it.
	Token string
}

// wire holds the top-level fields Parse reads; every other key is an
// argument, decoded only when an action asks for it.
type wire struct {
	RequestID  jsonx.RawMessage `json:"requestId"`
	Controller jsonx.RawMessage `json:"controller"`
	Action     jsonx.RawMessage `json:"action"`
	JWT        jsonx.RawMessage `json:"jwt"`
	Volatile   jsonx.RawMessage `json:"volatile"`
	Body       jsonx.RawMessage `json:"body"`
	Index      jsonx.RawMessage `json:"index"`
	Collection jsonx.RawMessage `json:"collection"`
	ID         jsonx.RawMessage `json:"_id"`
	// other is true when the payload has a key of none of the fields
	// above: an action argument.
	other bool
}

// set stores the raw value of a top-level key, if it is a field of wire.
func (w *wire) set(key, value []byte) {
	switch string(key) {
	case "requestId":
		w.RequestID = value
	case "controller":
		w.Controller = value
	case "action":
		w.Action = value
	case "jwt":
		w.JWT = value
	case "volatile":
		w.Volatile = value
	case "body":
		w.Body = value
	case "index":
		w.Index = value
	case "collection":
		w.Collection = value
	case "_id":
		w.ID = value
	default:
		w.other = true
	}
}

// resourceFields are the keys Kuzzle keeps out of the arguments.
var resourceFields = []string{"controller", "action", "jwt", "volatile", "body"}

var null = []byte("null")

// isNull reports whether a raw value is absent or JSON null.
func isNull(raw jsonx.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(raw, null)
}

// Parse builds a Request from a JSON payload, which the request keeps. Any
// payload Kuzzle's MQTT protocol would refuse yields
// network.mqtt.unexpected_error; the returned request then still carries
// the requestId when one could be read, so that the client can match the
// error response.
func Parse(payload []byte, conn Connection) (*Request, *kerror.Error) {
	req := &Request{Connection: conn}
	var w wire
	if len(bytes.TrimSpace(payload)) == 0 || (payload[firstNonSpace(payload)] != '{') {
		req.ID = NewID()
		if jsonx.Valid(payload) {
			return req, mqttError("Input request data must be a non-null object")
		}
		var v any
		return req, mqttError(jsonx.Unmarshal(payload, &v).Error())
	}
	if !scanWire(payload, &w) {
		var slow wire // on the heap: only this rare path pays for it
		if err := jsonx.Unmarshal(payload, &slow); err != nil {
			req.ID = NewID()
			return req, mqttError(err.Error())
		}
		w = slow
		w.other = true // not told: arguments are decoded when asked
	}
	req.payload, req.hasArgs = payload, w.other
	id, err := optionalString("requestId", w.RequestID)
	if err != nil || id == "" {
		id = NewID()
	}
	req.ID = id
	if err != nil {
		return req, err
	}
	if req.Controller, err = optionalString("controller", w.Controller); err != nil {
		return req, err
	}
	if req.Action, err = optionalString("action", w.Action); err != nil {
		return req, err
	}
	if req.JWT, err = optionalString("jwt", w.JWT); err != nil {
		return req, err
	}
	req.hasController, req.hasAction = !isNull(w.Controller), !isNull(w.Action)
	req.index, req.collection, req.id = w.Index, w.Collection, w.ID
	if !isNull(w.Volatile) {
		if w.Volatile[0] != '{' {
			return req, mqttError(`Attribute volatile must be of type "object"`)
		}
		req.Volatile = w.Volatile
	}
	if !isNull(w.Body) {
		if w.Body[0] != '{' && w.Body[0] != '[' {
			return req, mqttError(`Attribute body must be of type "object" or "array"`)
		}
		req.Body = w.Body
	}
	return req, nil
}

func firstNonSpace(b []byte) int {
	for i, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return i
		}
	}
	return 0
}

// Args returns every top-level key but controller, action, jwt, volatile
// and body, raw: index, collection, _id, requestId and action arguments.
func (r *Request) Args() map[string]jsonx.RawMessage {
	r.argsOnce.Do(func() {
		r.args = map[string]jsonx.RawMessage{}
		if r.payload != nil {
			_ = jsonx.Unmarshal(r.payload, &r.args) // Parse already decoded it once
		}
		for _, k := range resourceFields {
			delete(r.args, k)
		}
	})
	return r.args
}

// Arg returns one raw argument, nil when absent.
func (r *Request) Arg(name string) jsonx.RawMessage {
	switch name {
	case "index":
		return r.index
	case "collection":
		return r.collection
	case "_id":
		return r.id
	case "requestId":
	default:
		if !r.hasArgs {
			return nil
		}
	}
	return r.Args()[name]
}

// isFalsy reports whether a raw value is one JavaScript treats as false,
// which Kuzzle replaces by a generated requestId.
func isFalsy(raw jsonx.RawMessage) bool {
	switch string(raw) {
	case "", "null", "false", "0", `""`, "-0":
		return true
	}
	return false
}

// optionalString reads a string field; absent or null gives "".
func optionalString(name string, raw jsonx.RawMessage) (string, *kerror.Error) {
	if isNull(raw) {
		return "", nil
	}
	if raw[0] != '"' {
		if name == "requestId" && isFalsy(raw) { // Kuzzle generates an id instead
			return "", nil
		}
		return "", mqttError(`Attribute ` + name + ` must be of type "string"`)
	}
	return decodeString(raw)
}

// decodeString decodes a JSON string, without the decoder when it holds no
// escape.
func decodeString(raw jsonx.RawMessage) (string, *kerror.Error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	if err := jsonx.Unmarshal(raw, &s); err != nil {
		return "", mqttError(err.Error())
	}
	return s, nil
}

func mqttError(message string) *kerror.Error {
	return kerror.New("network.mqtt.unexpected_error", message)
}

// String returns the string argument name, "" and false when absent or
// null; a value of another type is an api.assert.invalid_type error.
func (r *Request) String(name string) (string, bool, *kerror.Error) {
	raw := r.Arg(name)
	if isNull(raw) {
		return "", false, nil
	}
	if raw[0] != '"' {
		return "", false, kerror.New("api.assert.invalid_type", name, "string")
	}
	s, err := decodeString(raw)
	if err != nil {
		return "", false, kerror.New("api.assert.invalid_type", name, "string")
	}
	return s, true, nil
}

// Index returns the index argument, "" when absent.
func (r *Request) Index() string {
	s, _, _ := r.String("index")
	return s
}

// Collection returns the collection argument, "" when absent.
func (r *Request) Collection() string {
	s, _, _ := r.String("collection")
	return s
}
