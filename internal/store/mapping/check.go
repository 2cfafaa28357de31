package mapping

import (
	"fmt"
	"strings"

	"github.com/starlingmq/starling/internal/kerror"
)

// Where names the document a check is about, for error messages.
type Where struct {
	Index, Collection, ID string
}

// Check walks a document (as jsonx decodes it into map[string]any: numbers
// are float64) against m, as Elasticsearch indexes it:
//
//   - a mapped field's values must suit its type (and its multi-fields'),
//     else services.storage.unexpected_bad_request with Elasticsearch's
//     "failed to parse field [path] of type [type] in document with id
//     '...'" message (or "object mapping for [path] tried to parse field
//     [name] as object, but found a concrete value");
//   - an unmapped field under dynamic "strict" fails with
//     services.storage.strict_mapping_rejection naming the field (its name,
//     as Elasticsearch gives it) and w's index and collection;
//   - under dynamic "false" it is accepted and left unmapped;
//   - under dynamic "true" (the default) its mapping is inferred as
//     Elasticsearch's dynamic mapping does, and returned in added, which the
//     caller merges (Merge) and persists. added is nil when nothing is new.
//
// Objects inherit dynamic from their parent unless they set their own.
// Dotted keys ("a.b") are read as nested objects. Fields are visited in key
// order, so that the error reported among several is always the same.
//
// The mappings checked should be the stored ones, _kuzzle_info included
// (ForCollection), or the document should be checked without its
// _kuzzle_info. Check does not modify m, and allocates nothing when the
// document is valid and adds nothing.
func (m *Mappings) Check(doc map[string]any, w Where) (added *Mappings, err error) {
	dyn := m.rootDynamic()
	var props map[string]*Field
	if m != nil {
		props = m.Properties
	}
	if fastObject(props, dyn, doc) {
		return nil, nil
	}
	c := &checker{where: w, work: m.Clone()}
	root := &Field{Properties: c.work.Properties}
	if err := c.object(nil, root, dyn, doc); err != nil {
		return nil, err
	}
	return c.added, nil
}

func (m *Mappings) rootDynamic() string {
	if m == nil || m.Dynamic == "" {
		return DynamicTrue
	}
	return m.Dynamic
}

// childDynamic is the dynamic policy inside object f under a parent's.
func childDynamic(f *Field, parent string) string {
	if f.Dynamic != "" {
		return f.Dynamic
	}
	return parent
}

// fastObject reports whether obj is valid against props and adds nothing.
// Anything else (an error, a new field, a dotted key) is left to the
// checker, which finds the definite answer.
func fastObject(props map[string]*Field, dyn string, obj map[string]any) bool {
	for key, value := range obj {
		f := props[key]
		if f == nil {
			if dyn == DynamicFalse && strings.IndexByte(key, '.') < 0 {
				continue
			}
			return false
		}
		if !fastValue(f, dyn, value) {
			return false
		}
	}
	return true
}

func fastValue(f *Field, dyn string, value any) bool {
	switch kindOf(f.Type) {
	case kindObject, kindNested:
		if disabled(f) {
			return true
		}
		switch v := value.(type) {
		case nil:
			return true
		case map[string]any:
			return fastObject(f.Properties, childDynamic(f, dyn), v)
		case []any:
			for _, e := range v {
				if !fastValue(f, dyn, e) {
					return false
				}
			}
			return true
		}
		return false
	}
	if _, ok := acceptLeaf(f, value); !ok {
		return false
	}
	for _, sub := range f.Fields {
		if _, ok := acceptLeaf(sub, value); !ok {
			return false
		}
	}
	return true
}

// disabled reports whether f is an object with "enabled": false, whose
// content Elasticsearch neither parses nor maps.
func disabled(f *Field) bool {
	return f.Options != nil && string(f.Options["enabled"]) == "false"
}

// checker is the slow, exact walk: keys in order, new fields inferred into
// work (a copy of the mappings) and recorded in added.
type checker struct {
	where Where
	work  *Mappings
	added *Mappings
}

// object checks obj, the value of the object field owner at path segs.
func (c *checker) object(segs []string, owner *Field, dyn string, obj map[string]any) error {
	for _, key := range sortedKeys(obj) {
		if err := c.member(segs, owner, dyn, key, obj[key]); err != nil {
			return err
		}
	}
	return nil
}

// member checks one key of an object.
func (c *checker) member(segs []string, owner *Field, dyn, key string, value any) error {
	f := owner.Properties[key]
	if f == nil {
		if head, rest, dotted := strings.Cut(key, "."); dotted && head != "" {
			return c.member(segs, owner, dyn, head, map[string]any{rest: value})
		}
		switch dyn {
		case DynamicFalse:
			return nil
		case DynamicStrict:
			return kerror.New("services.storage.strict_mapping_rejection", key, c.where.Index, c.where.Collection)
		}
		if f = infer(value); f == nil {
			return nil
		}
		if owner.Properties == nil {
			owner.Properties = map[string]*Field{}
		}
		owner.Properties[key] = f
		c.record(segs, key, f)
	}
	return c.value(append(segs[:len(segs):len(segs)], key), f, dyn, value)
}

// value checks the value of field f at path segs.
func (c *checker) value(segs []string, f *Field, dyn string, value any) error {
	if !f.IsObject() {
		if bad, ok := acceptLeaf(f, value); !ok {
			return c.parseError(segs, f.Type, bad)
		}
		return c.multiFields(segs, f, value)
	}
	if disabled(f) {
		return nil
	}
	switch v := value.(type) {
	case nil:
		return nil
	case map[string]any:
		return c.object(segs, f, childDynamic(f, dyn), v)
	case []any:
		for _, e := range v {
			if err := c.value(segs, f, dyn, e); err != nil {
				return err
			}
		}
		return nil
	}
	path := strings.Join(segs, ".")
	return kerror.New("services.storage.unexpected_bad_request", fmt.Sprintf(
		"object mapping for [%s] tried to parse field [%s] as object, but found a concrete value",
		path, segs[len(segs)-1]))
}

// multiFields checks value against f's multi-fields, which index it too.
func (c *checker) multiFields(segs []string, f *Field, value any) error {
	for _, name := range sortedKeys(f.Fields) {
		sub := f.Fields[name]
		if bad, ok := acceptLeaf(sub, value); !ok {
			return c.parseError(append(segs[:len(segs):len(segs)], name), sub.Type, bad)
		}
	}
	return nil
}

func (c *checker) parseError(segs []string, typ string, value any) error {
	return kerror.New("services.storage.unexpected_bad_request", fmt.Sprintf(
		"failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'",
		strings.Join(segs, "."), typ, c.where.ID, preview(value)))
}

// record adds the new field f, named name under the object at path segs,
// to c.added, creating the objects leading to it with their mapped types.
func (c *checker) record(segs []string, name string, f *Field) {
	if c.added == nil {
		c.added = &Mappings{Properties: map[string]*Field{}}
	}
	node := &Field{Properties: c.added.Properties}
	mapped := c.work.Properties
	for _, seg := range segs {
		next := node.Properties[seg]
		if next == nil {
			next = &Field{Type: mapped[seg].Type, Properties: map[string]*Field{}}
			node.Properties[seg] = next
		}
		if next.Properties == nil {
			next.Properties = map[string]*Field{}
		}
		mapped = mapped[seg].Properties
		node = next
	}
	node.Properties[name] = f
}
