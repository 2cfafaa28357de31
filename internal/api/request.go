package api

import (
	"bytes"

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
	// Args holds every other top-level key, raw (index, collection, _id,
	// requestId and action arguments).
	Args map[string]jsonx.RawMessage
	// Connection says who sent the request.
	Connection Connection

	hasController, hasAction bool
}

// Connection identifies the client connection a request came through.
type Connection struct {
	// ID is Starling's connection id, unique for the server's lifetime.
	ID string
	// Protocol is the transport, "mqtt".
	Protocol string
}

var null = []byte("null")

// isNull reports whether a raw value is absent or JSON null.
func isNull(raw jsonx.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(raw, null)
}

// Parse builds a Request from a JSON payload. Any payload Kuzzle's MQTT
// protocol would refuse yields network.mqtt.unexpected_error; the returned
// request then still carries the requestId when one could be read, so that
// the client can match the error response.
func Parse(payload []byte, conn Connection) (*Request, *kerror.Error) {
	var fields map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(payload, &fields); err != nil || fields == nil {
		req := &Request{ID: NewID(), Connection: conn}
		if err == nil || jsonx.Valid(payload) {
			return req, mqttError("Input request data must be a non-null object")
		}
		return req, mqttError(err.Error())
	}
	req := &Request{Args: fields, Connection: conn}
	id, err := optionalString(fields, "requestId")
	if err != nil || id == "" || isFalsy(fields["requestId"]) {
		id = NewID()
	}
	req.ID = id
	if err != nil {
		return req, err
	}
	for _, field := range []struct {
		name string
		dst  *string
		set  *bool
	}{
		{"controller", &req.Controller, &req.hasController},
		{"action", &req.Action, &req.hasAction},
		{"jwt", &req.JWT, nil},
	} {
		s, err := optionalString(fields, field.name)
		if err != nil {
			return req, err
		}
		*field.dst = s
		if field.set != nil {
			*field.set = !isNull(fields[field.name])
		}
		delete(fields, field.name)
	}
	if raw := fields["volatile"]; !isNull(raw) {
		if raw[0] != '{' {
			return req, mqttError(`Attribute volatile must be of type "object"`)
		}
		req.Volatile = raw
	}
	delete(fields, "volatile")
	if raw := fields["body"]; !isNull(raw) {
		if raw[0] != '{' && raw[0] != '[' {
			return req, mqttError(`Attribute body must be of type "object" or "array"`)
		}
		req.Body = raw
	}
	delete(fields, "body")
	return req, nil
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
func optionalString(fields map[string]jsonx.RawMessage, name string) (string, *kerror.Error) {
	raw := fields[name]
	if isNull(raw) {
		return "", nil
	}
	if raw[0] != '"' {
		if name == "requestId" && isFalsy(raw) {
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
	raw := r.Args[name]
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
