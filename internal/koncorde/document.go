package koncorde

import (
	"bytes"
	"math"
	"strings"
	"sync"
)

// field is one entry of a flattened document. Strings and numbers of
// the document's top level read from JSON bytes are kept unboxed, in str
// or num as kind tells; every other value is in value.
type field struct {
	path  string
	value any
	str   string
	num   float64
	kind  valueKind
}

// valueKind tells where a field keeps its value.
type valueKind uint8

const (
	kindAny valueKind = iota
	kindString
	kindNumber
)

// any returns the field's value as decoded JSON.
func (f *field) any() any {
	switch f.kind {
	case kindString:
		return f.str
	case kindNumber:
		return f.num
	}
	return f.value
}

func (f *field) number() (float64, bool) {
	if f.kind == kindNumber {
		return f.num, true
	}
	x, ok := f.value.(float64)
	return x, ok
}

func (f *field) string() (string, bool) {
	if f.kind == kindString {
		return f.str, true
	}
	x, ok := f.value.(string)
	return x, ok
}

// equals is the equals keyword's test: a scalar strictly equal to want.
func (f *field) equals(want any) bool {
	switch f.kind {
	case kindString:
		w, ok := want.(string)
		return ok && w == f.str
	case kindNumber:
		w, ok := want.(float64)
		return ok && w == f.num
	}
	return isScalar(f.value) && f.value == want
}

// jsString is JavaScript's String() of the value.
func (f *field) jsString() string {
	switch f.kind {
	case kindString:
		return f.str
	case kindNumber:
		return jsNumber(f.num)
	}
	return jsString(f.value)
}

func (f *field) truthy() bool {
	switch f.kind {
	case kindString:
		return f.str != ""
	case kindNumber:
		return f.num != 0 && !math.IsNaN(f.num)
	}
	return truthy(f.value)
}

// document is a document flattened the way koncorde sees it: every nested
// object's fields also appear under their dotted path, the objects
// themselves stay under their own path, arrays are values. Build it once,
// test it against any number of collections.
type document struct {
	fields []field

	// The document as JSON, for external filters: raw, else made once
	// from src when parsed, else from body.
	src    string
	parsed bool
	body   map[string]any
	once   sync.Once
	raw    []byte
}

// probe is one test of a document: the document and what was computed
// from it on the way (a path index for large documents, geopoints). One
// goroutine only; pooled with the scratch.
type probe struct {
	*document
	body   map[string]any // set when the document was not flattened
	raw    []byte         // the document as JSON, once needed
	byPath map[string]int
	points map[string]pointCache
}

func (p *probe) reset(d *document, body map[string]any) {
	p.document, p.body, p.raw = d, body, nil
	clear(p.points)
	if p.byPath != nil {
		clear(p.byPath)
	}
}

type pointCache struct {
	p  point
	ok bool
}

// Document is a document ready to be tested: flattened once, reusable,
// safe for concurrent reads once built.
type Document struct{ d *document }

// NewDocument flattens a decoded JSON document. A non-empty id is added as
// its _id field (replacing any _id of the body), as Kuzzle does for the
// "ids" keyword.
func NewDocument(body map[string]any, id string) *Document {
	d := newDocument(body, id)
	d.body = body
	return &Document{d: d}
}

// ParseDocument flattens a JSON object in one pass over its bytes, without
// decoding it first; id as in NewDocument. The values are those of the
// decoded document (numbers are float64, duplicate keys keep the last
// value); a document nested deeper than MaxDepth is an error.
func ParseDocument(raw []byte, id string) (*Document, error) {
	hint := bytesMembers(raw)
	p := flattener{recs: make([]member, 0, hint)}
	both := &struct { // one allocation for the two
		D Document
		d document
	}{}
	if err := both.d.parse(&p, string(raw), id, hint); err != nil {
		return nil, err
	}
	both.D.d = &both.d
	return &both.D, nil
}

// parse fills d from the JSON src, with room for about hint fields.
func (d *document) parse(p *flattener, src, id string, hint int) error {
	if cap(d.fields) < hint {
		d.fields = make([]field, 0, hint)
	}
	fields, err := p.flatten(src, d.fields[:0])
	d.fields, d.src, d.parsed = fields, src, true
	if err != nil {
		clear(d.fields)
		d.fields = d.fields[:0]
		return err
	}
	dotted := p.dotted
	if id != "" {
		d.fields = append(d.fields, field{path: "_id", value: id})
		dotted = true
	}
	if dotted {
		d.dedupe()
	}
	return nil
}

// release drops the values of a reused document.
func (d *document) release() {
	clear(d.fields)
	d.fields = d.fields[:0]
	d.src, d.parsed, d.body, d.raw = "", false, nil, nil
	d.once = sync.Once{}
}

// json returns the document as JSON for external filters.
func (p *probe) json() []byte {
	if p.raw == nil {
		p.raw = p.document.json()
	}
	return p.raw
}

// bytesMembers bounds the number of fields of a JSON document: one per
// colon, plus the id.
func bytesMembers(raw []byte) int {
	return bytes.Count(raw, []byte{':'}) + 1
}

func newDocument(body map[string]any, id string) *document {
	d := &document{fields: make([]field, 0, len(body)+1)}
	d.fill(body, id)
	return d
}

// fill appends the flattened body (and id) to d.fields.
func (d *document) fill(body map[string]any, id string) {
	dotted := false
	d.flatten(body, "", &dotted)
	if id != "" {
		d.fields = append(d.fields, field{path: "_id", value: id})
		dotted = true // may duplicate an _id of the body
	}
	if dotted {
		d.dedupe()
	}
}

func (d *document) flatten(o map[string]any, prefix string, dotted *bool) {
	for k, v := range o {
		if !*dotted && strings.IndexByte(k, '.') >= 0 {
			*dotted = true
		}
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		d.fields = append(d.fields, field{path: path, value: v})
		switch sub := v.(type) {
		case map[string]any:
			d.flatten(sub, path, dotted)
		case *object:
			d.flattenObject(sub, path, dotted)
		}
	}
}

// flattenObject is flatten for an object read by the flattener (an array
// element given to select).
func (d *document) flattenObject(o *object, prefix string, dotted *bool) {
	for _, m := range o.members {
		if !*dotted && strings.IndexByte(m.path, '.') >= 0 {
			*dotted = true
		}
		path := prefix + "." + m.path
		d.fields = append(d.fields, field{path: path, value: m.value})
		if sub, ok := m.value.(*object); ok {
			d.flattenObject(sub, path, dotted)
		}
	}
}

// dedupe keeps the last value of each path: a key with a dot can collide
// with a nested path, and the id replaces any body _id.
func (d *document) dedupe() {
	last := make(map[string]int, len(d.fields))
	for i, f := range d.fields {
		last[f.path] = i
	}
	out := d.fields[:0]
	for i, f := range d.fields {
		if last[f.path] == i {
			out = append(out, f)
		}
	}
	d.fields = out
}

// get returns the value at a flattened path.
func (d *probe) get(path string) (any, bool) {
	f, ok := d.lookup(path)
	if !ok {
		return nil, false
	}
	return f.any(), true
}

// lookup returns the field at a flattened path.
func (d *probe) lookup(path string) (field, bool) {
	if d.body != nil {
		v, ok := lookupPath(d.body, path)
		return field{path: path, value: v}, ok
	}
	if len(d.fields) <= 16 {
		for i := range d.fields {
			if d.fields[i].path == path {
				return d.fields[i], true
			}
		}
		return field{}, false
	}
	if len(d.byPath) == 0 {
		if d.byPath == nil {
			d.byPath = make(map[string]int, len(d.fields))
		}
		for i, f := range d.fields {
			d.byPath[f.path] = i
		}
	}
	i, ok := d.byPath[path]
	if !ok {
		return field{}, false
	}
	return d.fields[i], true
}

// point returns the geopoint at path, when its value is a valid one.
func (d *probe) point(path string) (point, bool) {
	if c, ok := d.points[path]; ok {
		return c.p, c.ok
	}
	v, _ := d.get(path)
	p, ok := toPoint(v)
	if d.points == nil {
		d.points = make(map[string]pointCache, 2)
	}
	d.points[path] = pointCache{p, ok}
	return p, ok
}

// matchObject is the match keyword on the flattened document: every key
// of want is a flattened path whose value matches.
func (d *probe) matchObject(want map[string]any) bool {
	for k, w := range want {
		h, ok := d.get(k)
		if !ok || !matchAny(h, w) {
			return false
		}
	}
	return true
}

// lookupPath finds a flattened path in an unflattened object: the whole
// path as a key, else a key up to a dot naming an object that holds the
// rest.
func lookupPath(o map[string]any, path string) (any, bool) {
	if v, ok := o[path]; ok {
		return v, true
	}
	for i := 0; i < len(path); i++ {
		if path[i] != '.' {
			continue
		}
		if sub, ok := o[path[:i]].(map[string]any); ok {
			if v, ok := lookupPath(sub, path[i+1:]); ok {
				return v, true
			}
		}
	}
	return nil, false
}
