package api

import (
	"math"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// The argument getters below behave as Kuzzle's KuzzleRequest getters of
// the same names: same defaults, same errors.

// Boolean returns the boolean argument name: false when absent or null, an
// api.assert.invalid_type error for another type. Over HTTP a query-string
// flag is true when present, whatever its value.
func (r *Request) Boolean(name string) (bool, *kerror.Error) {
	raw := r.Arg(name)
	if r.Connection.Protocol == "http" {
		return raw != nil, nil
	}
	switch string(raw) {
	case "", "null", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, kerror.New("api.assert.invalid_type", name, "boolean")
}

// Integer returns the integer argument name, or def when absent (a nil def
// makes it required: api.assert.missing_argument). Like JavaScript's
// parseFloat, a numeric string is accepted.
func (r *Request) Integer(name string, def *int) (int, *kerror.Error) {
	raw := r.Arg(name)
	if raw == nil {
		if def == nil {
			return 0, kerror.New("api.assert.missing_argument", name)
		}
		return *def, nil
	}
	f, ok := parseFloat(raw)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53-1 {
		return 0, kerror.New("api.assert.invalid_type", name, "integer")
	}
	return int(f), nil
}

// Int is a convenience for Integer's default.
func Int(v int) *int { return &v }

// parseFloat reads a number or a string starting with one, as JavaScript's
// parseFloat does.
func parseFloat(raw jsonx.RawMessage) (float64, bool) {
	text := string(raw)
	if raw[0] == '"' {
		s, err := decodeString(raw)
		if err != nil {
			return 0, false
		}
		text = strings.TrimSpace(s)
		end := 0
		for end < len(text) && strings.IndexByte("+-0123456789.eE", text[end]) >= 0 {
			end++
		}
		text = text[:end]
	}
	f, err := strconv.ParseFloat(text, 64)
	return f, err == nil
}

// StringOr returns the string argument name, or def when absent or null.
func (r *Request) StringOr(name, def string) (string, *kerror.Error) {
	s, ok, err := r.String(name)
	if err != nil {
		return "", err
	}
	if !ok {
		return def, nil
	}
	return s, nil
}

// DocumentID returns the _id argument: api.assert.missing_argument when absent or
// empty, api.assert.invalid_type when not a string.
func (r *Request) DocumentID() (string, *kerror.Error) {
	raw := r.Arg("_id")
	if isFalsy(raw) {
		return "", kerror.New("api.assert.missing_argument", "_id")
	}
	if raw[0] != '"' {
		return "", kerror.New("api.assert.invalid_type", "_id", "string")
	}
	id, err := decodeString(raw)
	if err != nil {
		return "", kerror.New("api.assert.invalid_type", "_id", "string")
	}
	return id, nil
}

// IndexAndCollection returns the index and collection arguments, both
// required.
func (r *Request) IndexAndCollection() (string, string, *kerror.Error) {
	if isFalsy(r.index) {
		return "", "", kerror.New("api.assert.missing_argument", "index")
	}
	if isFalsy(r.collection) {
		return "", "", kerror.New("api.assert.missing_argument", "collection")
	}
	index, err := textOf(r.index)
	if err != nil {
		return "", "", err
	}
	collection, err := textOf(r.collection)
	return index, collection, err
}

// RequiredIndex returns the index argument, required.
func (r *Request) RequiredIndex() (string, *kerror.Error) {
	if isFalsy(r.index) {
		return "", kerror.New("api.assert.missing_argument", "index")
	}
	return textOf(r.index)
}

// textOf is JavaScript's String(value) of a string or scalar argument.
func textOf(raw jsonx.RawMessage) (string, *kerror.Error) {
	if raw[0] == '"' {
		return decodeString(raw)
	}
	return string(raw), nil
}

// BodyObject returns the body, which must be a JSON object:
// api.assert.body_required when absent, api.assert.invalid_type
// ("body", "object") otherwise.
func (r *Request) BodyObject() (jsonx.RawMessage, *kerror.Error) {
	if r.Body == nil {
		return nil, kerror.New("api.assert.body_required")
	}
	if r.Body[0] != '{' {
		return nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	return r.Body, nil
}

// BodyField returns one raw field of an object body, nil when the body or
// the field is absent or null.
func (r *Request) BodyField(name string) (jsonx.RawMessage, *kerror.Error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.Body[0] != '{' {
		return nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	var fields map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(r.Body, &fields); err != nil {
		return nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	if raw := fields[name]; !isNull(raw) {
		return raw, nil
	}
	return nil, nil
}

// Lang returns the lang argument: "elasticsearch" (default) or "koncorde".
func (r *Request) Lang() (string, *kerror.Error) {
	lang, err := r.StringOr("lang", "elasticsearch")
	if err != nil {
		return "", err
	}
	if lang != "elasticsearch" && lang != "koncorde" {
		return "", kerror.New("api.assert.invalid_argument", "lang", `"elasticsearch" or "koncorde"`)
	}
	return lang, nil
}
