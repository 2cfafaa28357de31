package koncorde

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/starlingmq/starling/internal/kerror"
)

// dslError is the error of a malformed filter: Kuzzle's
// api.assert.koncorde_dsl_error whose message is koncorde's, prefixed with
// the quoted path of the faulty part when there is one.
func dslError(path, msg string) error {
	if path != "" {
		msg = fmt.Sprintf("%q: %s", path, msg)
	}
	return kerror.New("api.assert.koncorde_dsl_error", msg)
}

// join appends one step to a filter path.
func join(path, leaf string) string {
	if path == "" {
		return leaf
	}
	return path + "." + leaf
}

// objectRules are the optional constraints of expectObject.
type objectRules struct {
	nonEmpty   bool
	properties int
	required   []string
	allowed    []string
}

// expectObject checks that v is a JSON object obeying rules.
func expectObject(v any, path string, r objectRules) (map[string]any, error) {
	o, ok := v.(map[string]any)
	if !ok {
		return nil, dslError(path, "must be an object")
	}
	if r.nonEmpty && len(o) == 0 {
		return nil, dslError(path, "must be a non-empty object")
	}
	if r.properties > 0 && len(o) != r.properties {
		s := "y"
		if r.properties > 1 {
			s = "ies"
		}
		return nil, dslError(path, fmt.Sprintf("expected object to have exactly %d propert%s, got %d", r.properties, s, len(o)))
	}
	for _, k := range r.required {
		if _, ok := o[k]; !ok {
			return nil, dslError(path, fmt.Sprintf("the property %q is missing", k))
		}
	}
	if r.allowed != nil {
		for _, k := range sortedKeys(o) {
			if !slices.Contains(r.allowed, k) {
				return nil, dslError(path, fmt.Sprintf("%q is not an allowed attribute (allowed: %s)", k, strings.Join(r.allowed, ",")))
			}
		}
	}
	return o, nil
}

// expectString checks that v is a non-empty string.
func expectString(v any, path string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", dslError(path, "must be a string")
	}
	if s == "" {
		return "", dslError(path, "cannot be empty")
	}
	return s, nil
}

// expectInteger checks that v is a number without decimals.
func expectInteger(v any, path string) (int, error) {
	f, ok := v.(float64)
	if !ok {
		return 0, dslError(path, "must be an integer")
	}
	if math.Floor(f) != f {
		return 0, dslError(path, "cannot have decimals, must be an integer")
	}
	return int(f), nil
}

// expectArray checks that v is an array, non-empty and of strings only
// when asked.
func expectArray(v any, path string, nonEmpty, strings bool) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, dslError(path, "must be an array")
	}
	if nonEmpty && len(a) == 0 {
		return nil, dslError(path, "cannot be empty")
	}
	if strings {
		for _, e := range a {
			if _, ok := e.(string); !ok {
				return nil, dslError(path, `must hold only values of type "string"`)
			}
		}
	}
	return a, nil
}

// sortedKeys returns the keys of o in a stable order. Koncorde follows the
// document's key order; a Go map has none, so ties go to sorted order.
func sortedKeys(o map[string]any) []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// onlyKey returns the single key of a one-property object.
func onlyKey(o map[string]any) string {
	for k := range o {
		return k
	}
	return ""
}
