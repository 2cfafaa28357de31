package starling

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The SDK's JSON: a scanner that finds the raw values of an object's
// top-level keys without decoding them, and an encoder for the values
// handlers usually return. Both avoid encoding/json's reflection, which
// costs tens of microseconds per call once compiled to Wasm; encoding/json
// remains the fallback for what they do not know (structs, typed maps).

var errSyntax = errors.New("starling: invalid JSON")

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at i
// (spaces before it skipped), or -1 when there is none. Strings, objects
// and arrays are matched, not validated: the host sends valid JSON.
func skipValue(b []byte, i int) int {
	i = skipSpace(b, i)
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		if end := stringEnd(b, i+1); end >= 0 {
			return end + 1
		}
		return skipString(b, i)
	case '{', '[':
		return skipNested(b, i)
	}
	start := i
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] > ' ' {
		i++
	}
	if i == start {
		return -1
	}
	return i
}

// skipNested returns the index just past the object or array at i.
func skipNested(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			if i = skipString(b, i); i < 0 {
				return -1
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}

// skipString returns the index just past the string whose quote is at i.
func skipString(b []byte, i int) int {
	for i++; ; {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return -1
		}
		i += q
		escaped := false
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			escaped = !escaped
		}
		if !escaped {
			return i + 1
		}
		i++
	}
}

// fields iterates over the top-level keys of a JSON object.
type fields struct {
	b   []byte
	i   int
	err error
}

// newFields starts iterating over the object b.
func newFields(b []byte) fields {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return fields{err: errSyntax}
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		i = len(b)
	}
	return fields{b: b, i: i}
}

// next returns the next raw key (quotes included) and raw value; ok is
// false at the end of the object or on a syntax error (then f.err is set).
func (f *fields) next() (key, val []byte, ok bool) {
	b, i := f.b, f.i
	if f.err != nil || i >= len(b) {
		return nil, nil, false
	}
	kend := -1
	if b[i] == '"' {
		kend = skipString(b, i)
	}
	if kend < 0 {
		f.err = errSyntax
		return nil, nil, false
	}
	key = b[i:kend]
	i = skipSpace(b, kend)
	if i >= len(b) || b[i] != ':' {
		f.err = errSyntax
		return nil, nil, false
	}
	vstart := skipSpace(b, i+1)
	vend := skipValue(b, vstart)
	if vend < 0 {
		f.err = errSyntax
		return nil, nil, false
	}
	i = skipSpace(b, vend)
	switch {
	case i < len(b) && b[i] == '}':
		f.i = len(b)
	case i < len(b) && b[i] == ',':
		f.i = skipSpace(b, i+1)
	default:
		f.err = errSyntax
		return nil, nil, false
	}
	return key, b[vstart:vend], true
}

// field returns the raw value of key in the object b, nil when absent.
// It is one loop over the object's keys with few calls (see fast.go); keys
// with escapes go through the general iterator.
func field(b []byte, key string) json.RawMessage {
	n, i := len(b), 0
	for i < n && b[i] <= ' ' {
		i++
	}
	if i >= n || b[i] != '{' {
		return nil
	}
	for i++; ; i++ {
		for i < n && b[i] <= ' ' {
			i++
		}
		if i >= n || b[i] != '"' {
			return nil
		}
		ks := i + 1
		ke := stringEnd(b, ks)
		if ke < 0 {
			return fieldSlow(b, key)
		}
		for i = ke + 1; i < n && b[i] <= ' '; i++ {
		}
		if i >= n || b[i] != ':' {
			return nil
		}
		for i++; i < n && b[i] <= ' '; i++ {
		}
		vs := i
		if i = skipValue(b, i); i < 0 {
			return nil
		}
		if ke-ks == len(key) && equal(b[ks:ke], key) {
			return b[vs:i]
		}
		for i < n && b[i] <= ' ' {
			i++
		}
		if i >= n || b[i] != ',' {
			return nil
		}
	}
}

// fieldSlow is field for objects whose keys have escapes.
func fieldSlow(b []byte, key string) json.RawMessage {
	f := newFields(b)
	for k, v, ok := f.next(); ok; k, v, ok = f.next() {
		if keyIs(k, key) {
			return v
		}
	}
	return nil
}

// keyIs reports whether the raw key (quotes included) is name; keys with
// escapes are decoded first.
func keyIs(raw []byte, name string) bool {
	if len(raw) == len(name)+2 && string(raw[1:len(raw)-1]) == name {
		return true
	}
	if slices.Contains(raw, '\\') {
		s, ok := unquote(raw)
		return ok && s == name
	}
	return false
}

// unquote decodes a raw JSON string; ok is false when raw is no string.
func unquote(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if !slices.Contains(inner, '\\') {
		return string(inner), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// rawEquals reports whether the raw JSON string raw is s, without decoding
// it when it has no escape.
func rawEquals(raw []byte, s string) bool {
	return keyIs(raw, s)
}

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// appendFloat appends f the way encoding/json does.
func appendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, errors.New("starling: cannot encode " + strconv.FormatFloat(f, 'g', -1, 64))
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		dst = strconv.AppendFloat(dst, f, 'e', -1, 64)
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1] // e-07 is written e-7
			dst = dst[:n-1]
		}
		return dst, nil
	}
	return strconv.AppendFloat(dst, f, 'f', -1, 64), nil
}

// appendJSON appends v encoded as JSON. json.RawMessage and []byte are
// taken as JSON already and copied as is; the usual dynamic types (nil,
// bool, string, numbers, map[string]any, []any, []string) are encoded here;
// anything else goes through encoding/json.
func appendJSON(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case json.RawMessage:
		if len(x) == 0 {
			return append(dst, "null"...), nil
		}
		return append(dst, x...), nil
	case []byte:
		if len(x) == 0 {
			return append(dst, "null"...), nil
		}
		return append(dst, x...), nil
	case string:
		return appendString(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case float64:
		return appendFloat(dst, x)
	case float32:
		return appendFloat(dst, float64(x))
	case map[string]any:
		return appendMap(dst, x)
	case []any:
		return appendList(dst, x)
	case []string:
		dst = append(dst, '[')
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
		}
		return append(dst, ']'), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// appendMap encodes an object with its keys sorted, as encoding/json does.
func appendMap(dst []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendString(dst, k), ':')
		if dst, err = appendJSON(dst, m[k]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendList(dst []byte, l []any) ([]byte, error) {
	if l == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	var err error
	for i, v := range l {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = appendJSON(dst, v); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

// Marshal encodes v as the SDK encodes results: json.RawMessage and []byte
// as is, common dynamic types without reflection, anything else with
// encoding/json.
func Marshal(v any) (json.RawMessage, error) {
	return appendJSON(nil, v)
}

// Field returns the raw JSON value of key in the JSON object obj (top level
// only), nil when absent or when obj is no object. It decodes nothing else.
func Field(obj json.RawMessage, key string) json.RawMessage {
	return field(obj, key)
}

// String returns the raw JSON value decoded when it is a string.
func String(raw json.RawMessage) (string, bool) {
	return unquote(raw)
}

// Float returns the raw JSON value when it is a number.
func Float(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, err == nil
}
