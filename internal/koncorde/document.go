package koncorde

import (
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
)

// field is one entry of a flattened document.
type field struct {
	path  string
	value any
}

// document is a document flattened the way koncorde sees it: every nested
// object's fields also appear under their dotted path, the objects
// themselves stay under their own path, arrays are values. Build it once,
// test it against any number of collections.
type document struct {
	fields []field
}

// probe is one test of a document: the document and what was computed
// from it on the way (a path index for large documents, geopoints). One
// goroutine only; pooled with the scratch.
type probe struct {
	*document
	body   map[string]any // set when the document was not flattened
	byPath map[string]int
	points map[string]pointCache
}

func (p *probe) reset(d *document, body map[string]any) {
	p.document, p.body = d, body
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
	return &Document{d: newDocument(body, id)}
}

// ParseDocument decodes and flattens a JSON object; id as in NewDocument.
func ParseDocument(raw []byte, id string) (*Document, error) {
	var body map[string]any
	if err := jsonx.Unmarshal(raw, &body); err != nil {
		return nil, err
	}
	return NewDocument(body, id), nil
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
		if sub, ok := v.(map[string]any); ok {
			d.flatten(sub, path, dotted)
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
	if d.body != nil {
		return lookupPath(d.body, path)
	}
	if len(d.fields) <= 16 {
		for i := range d.fields {
			if d.fields[i].path == path {
				return d.fields[i].value, true
			}
		}
		return nil, false
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
		return nil, false
	}
	return d.fields[i].value, true
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
