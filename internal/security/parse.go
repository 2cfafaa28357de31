package security

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// decodeBody decodes a request body that must be a JSON object. An empty
// or null body is Kuzzle's api.assert.body_required.
func decodeBody(body []byte) (map[string]any, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, kerror.New("api.assert.body_required")
	}
	var value any
	if err := jsonx.Unmarshal(trimmed, &value); err != nil {
		return nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	obj, ok := value.(map[string]any)
	if !ok {
		return nil, kerror.New("api.assert.invalid_type", "body", "object")
	}
	return obj, nil
}

// bodyArray is Kuzzle's request.getBodyArray(name) on a decoded body: a
// missing key is missing_argument, any other value than an array (null
// included) is invalid_type, both naming "body.<path>".
func bodyArray(obj map[string]any, key, path string) ([]any, error) {
	value, ok := obj[key]
	if !ok {
		return nil, kerror.New("api.assert.missing_argument", path)
	}
	array, ok := value.([]any)
	if !ok {
		return nil, kerror.New("api.assert.invalid_type", path, "array")
	}
	return array, nil
}

// sortedKeys returns obj's keys in order. Kuzzle walks definitions in the
// order of their JSON keys; decoded Go maps have none, so when a definition
// holds several errors the one reported first may differ from Kuzzle's.
func sortedKeys[V any](obj map[string]V) []string {
	return slices.Sorted(maps.Keys(obj))
}

// jsString renders a decoded JSON value as JavaScript's String() does, for
// the placeholders where Kuzzle interpolates a value itself.
func jsString(value any) string {
	switch v := value.(type) {
	case nil:
		return "null"
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e21 {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, element := range v {
			if element != nil {
				parts[i] = jsString(element)
			}
		}
		return strings.Join(parts, ",")
	case map[string]any:
		return "[object Object]"
	default:
		return fmt.Sprint(v)
	}
}

// truthy is JavaScript's truthiness for a decoded JSON value.
func truthy(value any) bool {
	switch v := value.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0 && !math.IsNaN(v)
	case string:
		return v != ""
	default:
		return true
	}
}
