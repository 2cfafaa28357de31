package documents

import "github.com/starlingmq/starling/internal/jsonx"

// updatedFields is Kuzzle's extractFields of an update's changes, with
// _kuzzle_info ignored at any depth: the dotted path of every leaf (a
// value that is no object), in the order of the request's body, as a JSON
// array.
func updatedFields(changes jsonx.RawMessage) jsonx.RawMessage {
	paths := appendLeaves([]string{}, changes, "")
	return mustJSON(paths)
}

// appendLeaves appends the leaf paths of the JSON object raw under prefix.
func appendLeaves(dst []string, raw []byte, prefix string) []string {
	keys, values := objectEntries(raw)
	for i, key := range keys {
		if key == "_kuzzle_info" {
			continue
		}
		path := key
		if prefix != "" {
			path = prefix + "." + key
		}
		if v := values[i]; len(v) > 0 && v[0] == '{' {
			dst = appendLeaves(dst, v, path)
			continue
		}
		dst = append(dst, path)
	}
	return dst
}

// objectEntries returns the keys and raw values of a JSON object in their
// order, nothing when raw is no valid object.
func objectEntries(raw []byte) ([]string, [][]byte) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, nil
	}
	var keys []string
	var values [][]byte
	for i = skipSpace(raw, i+1); i < len(raw) && raw[i] != '}'; {
		end := skipValue(raw, i)
		var key string
		if jsonx.Unmarshal(raw[i:end], &key) != nil {
			return nil, nil
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, nil
		}
		i = skipSpace(raw, i+1)
		end = skipValue(raw, i)
		keys, values = append(keys, key), append(values, raw[i:end])
		i = skipSpace(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return keys, values
}

// skipSpace returns the index of the first non-space byte from i.
func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at i.
func skipValue(raw []byte, i int) int {
	depth, inString := 0, false
	for ; i < len(raw); i++ {
		b := raw[i]
		switch {
		case inString:
			if b == '\\' {
				i++
			} else if b == '"' {
				inString = false
				if depth == 0 {
					return i + 1
				}
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
		case b == '}' || b == ']':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case depth == 0 && (b == ',' || b == ' ' || b == '\t' || b == '\n' || b == '\r'):
			return i
		}
	}
	return i
}
