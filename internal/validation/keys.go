package validation

import (
	"errors"

	"github.com/starlingmq/starling/internal/jsonx"
)

var errNotObject = errors.New("not a JSON object")

// objectKeys lists the keys of a raw JSON object in JavaScript's
// Object.keys order: integer-like keys ascending first, then the others in
// the order of their first occurrence (JSON.parse keeps a duplicate key's
// first position and last value).
func objectKeys(raw []byte) ([]string, error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, errNotObject
	}
	var keys []string
	seen := map[string]bool{}
	i = skipSpace(raw, i+1)
	for i < len(raw) && raw[i] != '}' {
		end, err := skipString(raw, i)
		if err != nil {
			return nil, err
		}
		var key string
		if err := jsonx.Unmarshal(raw[i:end], &key); err != nil {
			return nil, err
		}
		if !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, errNotObject
		}
		if i, err = skipValue(raw, skipSpace(raw, i+1)); err != nil {
			return nil, err
		}
		i = skipSpace(raw, i)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return jsKeyOrder(keys), nil
}

// jsKeyOrder moves array-index keys first, ascending, as JavaScript
// orders an object's own keys.
func jsKeyOrder(keys []string) []string {
	var idx, other []string
	for _, k := range keys {
		if isArrayIndex(k) {
			idx = append(idx, k)
		} else {
			other = append(other, k)
		}
	}
	if len(idx) == 0 {
		return keys
	}
	sortIndexKeys(idx)
	return append(idx, other...)
}

func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return false
	}
	var n uint64
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
		n = n*10 + uint64(k[i]-'0')
	}
	return n < 1<<32-1
}

func sortIndexKeys(keys []string) {
	less := func(a, b string) bool {
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && less(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the JSON string starting at i.
func skipString(raw []byte, i int) (int, error) {
	if i >= len(raw) || raw[i] != '"' {
		return 0, errNotObject
	}
	for i++; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, errNotObject
}

// skipValue returns the index just past the JSON value starting at i; the
// input is known to be valid JSON.
func skipValue(raw []byte, i int) (int, error) {
	if i >= len(raw) {
		return 0, errNotObject
	}
	switch raw[i] {
	case '"':
		return skipString(raw, i)
	case '{', '[':
		depth := 0
		for ; i < len(raw); i++ {
			switch raw[i] {
			case '"':
				end, err := skipString(raw, i)
				if err != nil {
					return 0, err
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
		}
		return 0, errNotObject
	}
	for i < len(raw) && raw[i] != ',' && raw[i] != '}' && raw[i] != ']' && raw[i] != ' ' &&
		raw[i] != '\t' && raw[i] != '\n' && raw[i] != '\r' {
		i++
	}
	return i, nil
}
