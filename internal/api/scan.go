package api

import "encoding/binary"

// scanDepth is how deeply a payload may nest for scanWire; deeper ones go
// to the decoder.
const scanDepth = 512

// scanWire reads the top-level fields of a request payload into w, as
// slices of payload: no copy, no allocation. It checks that the whole
// payload is one JSON object. It gives up (false) on anything it does not
// read exactly as JSON.parse would: invalid JSON, a key written with
// escapes, nesting deeper than scanDepth. The caller then decodes the
// payload the slow way, which also words the error.
func scanWire(payload []byte, w *wire) bool {
	s := scanner{b: payload}
	s.ws()
	if !s.object(w) {
		return false
	}
	s.ws()
	return s.i == len(s.b)
}

// scanner walks JSON text; i is the next byte to read.
type scanner struct {
	b     []byte
	i     int
	depth int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next consumes c, after optional white space.
func (s *scanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// value reads one value after optional white space.
func (s *scanner) value() bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(nil)
	case c == '[':
		return s.array()
	case c == '"':
		_, ok := s.str()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return false
}

// object reads an object at s.i; with w, its members are the request's
// top-level fields.
func (s *scanner) object(w *wire) bool {
	if !s.next('{') || !s.enter() {
		return false
	}
	if s.next('}') {
		s.depth--
		return true
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		start := s.i + 1
		escaped, ok := s.str()
		if !ok {
			return false
		}
		key := s.b[start : s.i-1]
		if !s.next(':') {
			return false
		}
		s.ws()
		valueStart := s.i
		if !s.value() {
			return false
		}
		if w != nil {
			if escaped {
				return false
			}
			w.set(key, s.b[valueStart:s.i:s.i])
		}
		if s.next('}') {
			s.depth--
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

func (s *scanner) array() bool {
	if !s.next('[') || !s.enter() {
		return false
	}
	if s.next(']') {
		s.depth--
		return true
	}
	for {
		if !s.value() {
			return false
		}
		if s.next(']') {
			s.depth--
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

func (s *scanner) enter() bool {
	s.depth++
	return s.depth <= scanDepth
}

// str reads a string at s.i (its opening quote), reporting whether it
// holds escapes.
func (s *scanner) str() (escaped, ok bool) {
	s.i++
	for s.i < len(s.b) {
		// Eight plain bytes at a time: none a quote, a backslash or a
		// control character.
		for s.i+8 <= len(s.b) && plain8(binary.LittleEndian.Uint64(s.b[s.i:])) {
			s.i += 8
		}
		if s.i >= len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return escaped, true
		case c < 0x20:
			return false, false
		case c == '\\':
			escaped = true
			if !s.escape() {
				return false, false
			}
			continue
		}
		s.i++
	}
	return false, false
}

// plain8 reports whether none of the eight bytes of w is a quote, a
// backslash or below 0x20 (the bytes that end or interrupt a string's
// plain run; bytes of 0x80 and over are plain).
func plain8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	hasZero := func(x uint64) uint64 { return (x - ones) &^ x & highs }
	control := (w - 0x20*ones) &^ w & highs // a byte below 0x20
	return control|hasZero(w^('"'*ones))|hasZero(w^('\\'*ones)) == 0
}

// escape reads one escape sequence at s.i (its backslash).
func (s *scanner) escape() bool {
	if s.i+1 >= len(s.b) {
		return false
	}
	switch s.b[s.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.i += 2
		return true
	case 'u':
		if s.i+6 > len(s.b) {
			return false
		}
		for _, h := range s.b[s.i+2 : s.i+6] {
			if !isHex(h) {
				return false
			}
		}
		s.i += 6
		return true
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

// number reads a number: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.digits() == 0:
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}
