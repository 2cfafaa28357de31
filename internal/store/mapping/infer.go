package mapping

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
)

// infer returns the mapping Elasticsearch's dynamic mapping gives a new
// field holding value, nil when it maps nothing (null, an empty array, an
// array of nulls):
//
//   - a string that is a date (strict_date_optional_time with at least
//     year, month and day, or yyyy/MM/dd [HH:mm:ss]) → date (date_detection);
//     any other string → text with a keyword multi-field (ignore_above 256);
//   - an integer-valued number → long, another number → float;
//   - a boolean → boolean;
//   - an object → object, its fields inferred as they are walked;
//   - an array → the mapping of its first non-null element.
//
// Numeric strings stay text (numeric_detection is off). A number decoded to
// float64 has lost its spelling: 1.0 is integer-valued here, where
// Elasticsearch, reading the JSON token, would map a float.
func infer(value any) *Field {
	switch v := value.(type) {
	case string:
		if isISODate(v, 3) {
			return &Field{Type: "date"}
		}
		if isSlashDate(v) {
			return &Field{Type: "date", Options: map[string]jsonx.RawMessage{
				"format": jsonx.RawMessage(strconv.Quote(slashDateFormat)),
			}}
		}
		return &Field{Type: "text", Fields: map[string]*Field{
			"keyword": {Type: "keyword", Options: map[string]jsonx.RawMessage{
				"ignore_above": jsonx.RawMessage("256"),
			}},
		}}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			return &Field{Type: "long"}
		}
		return &Field{Type: "float"}
	case jsonx.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return &Field{Type: "float"}
		}
		return &Field{Type: "long"}
	case bool:
		return &Field{Type: "boolean"}
	case map[string]any:
		return &Field{}
	case []any:
		for _, e := range v {
			if f := infer(e); f != nil {
				return f
			}
		}
	}
	return nil
}

// preview renders a value the way Elasticsearch's error messages do (Java's
// toString of the parsed value).
func preview(value any) string {
	switch v := value.(type) {
	case nil:
		return "null"
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case jsonx.Number:
		return string(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = preview(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + preview(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "?"
}
