package koncorde

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/starlingmq/starling/internal/jsonx"
)

// MaxDepth is how deeply objects and arrays may nest in a JSON document
// given to ParseDocument or TestJSON; deeper documents are rejected with
// ErrTooDeep.
const MaxDepth = 1000

// ErrTooDeep is the error (wrapped) for documents nested deeper than
// MaxDepth.
var ErrTooDeep = errors.New("koncorde: document nested too deeply")

// object is a JSON object of a document read by the flattener: its
// members in document order, keys unique (the last duplicate's value wins,
// at the first one's place, as with JSON.parse). It stands where the
// decoded path has a map[string]any.
type object struct{ members []field }

func (o *object) get(key string) (any, bool) {
	for i := range o.members {
		if o.members[i].path == key {
			return o.members[i].value, true
		}
	}
	return nil, false
}

// flattener reads a JSON document in one pass and appends its flattened
// fields, the way newDocument flattens a decoded one, without building
// maps. Its stacks are reused from one document to the next.
type flattener struct {
	s      string
	i      int
	depth  int
	dotted bool
	fields []field
	recs   []member // members of the open objects, innermost last
	vals   []any    // elements of the open arrays, innermost last

	rootKeys map[string]int // keys of a large document object
}

// member is one member of an open object; start and end delimit its
// fields when the object is flattened.
type member struct {
	key        string
	value      any
	start, end int
}

// syntaxError is a malformed document.
func (p *flattener) syntaxError(msg string) error {
	return fmt.Errorf("koncorde: invalid JSON document at offset %d: %s", p.i, msg)
}

// flatten reads src and appends its fields to fields: src must be a JSON
// object or null (no fields, as decoding null into a map gives).
func (p *flattener) flatten(src string, fields []field) ([]field, error) {
	p.s, p.i, p.depth, p.dotted, p.fields = src, 0, 0, false, fields
	defer p.release()
	p.ws()
	switch {
	case strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
	case p.i < len(p.s) && p.s[p.i] == '{':
		if _, err := p.object("", true, true); err != nil {
			return p.fields, err
		}
	case p.i == len(p.s):
		return p.fields, p.syntaxError("unexpected end of JSON input")
	default:
		return p.fields, p.syntaxError("the document is not a JSON object")
	}
	p.ws()
	if p.i != len(p.s) {
		return p.fields, p.syntaxError(fmt.Sprintf("invalid character %q after the document", p.s[p.i]))
	}
	return p.fields, nil
}

// release drops the references the stacks hold so that a pooled
// flattener does not keep documents alive.
func (p *flattener) release() {
	clear(p.recs[:cap(p.recs)])
	clear(p.vals[:cap(p.vals)])
	p.recs, p.vals, p.s, p.fields = p.recs[:0], p.vals[:0], "", nil
	clear(p.rootKeys)
}

func (p *flattener) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// expect consumes optional white space then one of two delimiters,
// reporting whether it was the first.
func (p *flattener) expect(more, end byte) (bool, error) {
	p.ws()
	if p.i >= len(p.s) {
		return false, p.syntaxError("unexpected end of JSON input")
	}
	switch p.s[p.i] {
	case more:
		p.i++
		p.ws()
		return true, nil
	case end:
		p.i++
		return false, nil
	}
	return false, p.syntaxError(fmt.Sprintf("invalid character %q, expecting %q or %q", p.s[p.i], more, end))
}

func (p *flattener) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return fmt.Errorf("%w (more than %d levels, offset %d)", ErrTooDeep, MaxDepth, p.i)
	}
	return nil
}

// object reads an object at p.i. When flat, its members are appended as
// fields under prefix, objects among them flattened in turn. The root
// object has no value of its own.
func (p *flattener) object(prefix string, flat, root bool) (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		p.depth--
		if root {
			return nil, nil
		}
		return &object{}, nil
	}
	base := len(p.recs)
	var index map[string]int // key → position in recs, for large objects
	for {
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.syntaxError("expecting a member name")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.syntaxError("expecting ':' after a member name")
		}
		p.i++
		p.ws()
		dup := p.find(key, base, index)
		path := key
		if flat {
			if prefix != "" {
				path = prefix + "." + key
			}
			if !p.dotted && strings.IndexByte(key, '.') >= 0 {
				p.dotted = true
			}
			if dup >= 0 {
				p.drop(dup, base)
			}
		}
		start := len(p.fields)
		var v any
		if root {
			err = p.rootValue(path)
		} else {
			if flat {
				p.fields = append(p.fields, field{path: path})
			}
			v, err = p.value(path, flat)
			if flat {
				p.fields[start].value = v
			}
		}
		if err != nil {
			return nil, err
		}
		rec := member{key: key, value: v, start: start, end: len(p.fields)}
		switch {
		case dup >= 0:
			p.recs[dup] = rec
		default:
			p.recs = append(p.recs, rec)
			if index != nil {
				index[key] = len(p.recs) - 1
			} else if len(p.recs)-base > 32 {
				index = p.keyIndex(root, len(p.recs)-base)
				for j := base; j < len(p.recs); j++ {
					index[p.recs[j].key] = j
				}
			}
		}
		more, err := p.expect(',', '}')
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
	}
	var o *object
	if !root {
		o = &object{members: make([]field, len(p.recs)-base)}
		for j := range o.members {
			r := &p.recs[base+j]
			o.members[j] = field{path: r.key, value: r.value}
		}
	}
	clear(p.recs[base:])
	p.recs = p.recs[:base]
	p.depth--
	if root {
		return nil, nil
	}
	return o, nil
}

// keyIndex returns an empty map for the keys of a large object; the
// document object's is kept from one document to the next.
func (p *flattener) keyIndex(root bool, n int) map[string]int {
	if !root {
		return make(map[string]int, 2*n)
	}
	if p.rootKeys == nil {
		p.rootKeys = make(map[string]int, 2*n)
	}
	clear(p.rootKeys)
	return p.rootKeys
}

// find returns the position in recs of an open object's member, or -1.
func (p *flattener) find(key string, base int, index map[string]int) int {
	if index != nil {
		if j, ok := index[key]; ok {
			return j
		}
		return -1
	}
	for j := base; j < len(p.recs); j++ {
		if p.recs[j].key == key {
			return j
		}
	}
	return -1
}

// drop removes the fields of a member whose key comes again, and shifts
// the fields of the members after it.
func (p *flattener) drop(dup, base int) {
	old := p.recs[dup]
	n := old.end - old.start
	if n == 0 {
		return
	}
	p.fields = append(p.fields[:old.start], p.fields[old.end:]...)
	clear(p.fields[len(p.fields) : len(p.fields)+n])
	for j := base; j < len(p.recs); j++ {
		if p.recs[j].start >= old.end {
			p.recs[j].start -= n
			p.recs[j].end -= n
		}
	}
	p.recs[dup].end = p.recs[dup].start
}

// rootValue reads a member's value of the document object and appends
// its fields; strings and numbers stay unboxed there, as no object value
// holds them.
func (p *flattener) rootValue(path string) error {
	if p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			s, err := p.str()
			p.fields = append(p.fields, field{path: path, str: s, kind: kindString})
			return err
		case c == '-' || (c >= '0' && c <= '9'):
			x, err := p.number()
			p.fields = append(p.fields, field{path: path, num: x, kind: kindNumber})
			return err
		}
	}
	start := len(p.fields)
	p.fields = append(p.fields, field{path: path})
	v, err := p.value(path, true)
	p.fields[start].value = v
	return err
}

// value reads any JSON value at p.i; objects are flattened under path
// when flat.
func (p *flattener) value(path string, flat bool) (any, error) {
	if p.i >= len(p.s) {
		return nil, p.syntaxError("unexpected end of JSON input")
	}
	switch c := p.s[p.i]; c {
	case '{':
		return p.object(path, flat, false)
	case '[':
		return p.array()
	case '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return s, nil
	case 't':
		return true, p.literal("true")
	case 'f':
		return false, p.literal("false")
	case 'n':
		return nil, p.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			x, err := p.number()
			if err != nil {
				return nil, err
			}
			return x, nil
		}
		return nil, p.syntaxError(fmt.Sprintf("invalid character %q looking for a value", c))
	}
}

func (p *flattener) literal(lit string) error {
	if !strings.HasPrefix(p.s[p.i:], lit) {
		return p.syntaxError("invalid literal, expecting " + lit)
	}
	p.i += len(lit)
	return nil
}

func (p *flattener) array() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		p.depth--
		return []any{}, nil
	}
	base := len(p.vals)
	for {
		v, err := p.value("", false)
		if err != nil {
			return nil, err
		}
		p.vals = append(p.vals, v)
		more, err := p.expect(',', ']')
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
	}
	arr := make([]any, len(p.vals)-base)
	copy(arr, p.vals[base:])
	clear(p.vals[base:])
	p.vals = p.vals[:base]
	p.depth--
	return arr, nil
}

// str reads a string at p.i. Plain strings are slices of the source;
// strings with escapes or invalid UTF-8 go through the JSON decoder so
// that they decode exactly as in a decoded document.
func (p *flattener) str() (string, error) {
	s := p.s
	start := p.i + 1
	i := start
	escaped, high := false, false
	for {
		if i >= len(s) {
			p.i = i
			return "", p.syntaxError("unexpected end of JSON input in a string")
		}
		c := s[i]
		if c == '"' {
			break
		}
		switch {
		case c == '\\':
			escaped = true
			i += 2
			continue
		case c < 0x20:
			p.i = i
			return "", p.syntaxError(fmt.Sprintf("invalid character %q in a string", c))
		case c >= 0x80:
			high = true
		}
		i++
	}
	p.i = i + 1
	raw := s[start:i]
	if !escaped && (!high || utf8.ValidString(raw)) {
		return raw, nil
	}
	var out string
	if err := jsonx.Unmarshal([]byte(s[start-1:i+1]), &out); err != nil {
		return "", fmt.Errorf("koncorde: invalid JSON string at offset %d: %w", start-1, err)
	}
	return out, nil
}

// number reads a JSON number as a float64, JavaScript's number type.
func (p *flattener) number() (float64, error) {
	s := p.s
	start := p.i
	i := start
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	integer := true
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		p.i = i
		return 0, p.syntaxError("invalid number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		integer = false
		if digits() == 0 {
			p.i = i
			return 0, p.syntaxError("invalid number: no digit after the decimal point")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		integer = false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.i = i
			return 0, p.syntaxError("invalid number: no digit in the exponent")
		}
	}
	p.i = i
	lit := s[start:i]
	if integer && len(lit) <= 15 { // exact in a float64
		n := 0
		for _, c := range []byte(strings.TrimPrefix(lit, "-")) {
			n = n*10 + int(c-'0')
		}
		if lit[0] == '-' {
			return -float64(n), nil
		}
		return float64(n), nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return 0, fmt.Errorf("koncorde: invalid JSON number at offset %d: %w", start, err)
	}
	return f, nil
}
