package mapping

import (
	"sort"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
)

// The values of a dynamic setting.
const (
	DynamicTrue   = "true"
	DynamicFalse  = "false"
	DynamicStrict = "strict"
)

// DefaultDynamic is the dynamic policy Kuzzle gives a collection created
// without one (services.storageEngine.commonMapping.dynamic).
const DefaultDynamic = DynamicFalse

// KuzzleMetaField is the name of the metadata object Kuzzle adds to every
// document and to every collection's mappings.
const KuzzleMetaField = "_kuzzle_info"

// Mappings are one collection's mappings.
type Mappings struct {
	// Dynamic is "true", "false" or "strict"; "" means "true".
	Dynamic string
	// Meta is the raw _meta object, nil when absent.
	Meta jsonx.RawMessage
	// Properties maps field names to their mapping.
	Properties map[string]*Field
	// DynamicTemplates is the raw dynamic_templates array, nil when absent.
	// It is kept and returned as given, but not applied when fields are
	// inferred.
	DynamicTemplates jsonx.RawMessage
}

// Field is the mapping of one field.
type Field struct {
	// Type is the Elasticsearch type; "" or "object" for an object with
	// Properties, "nested" for an array of objects.
	Type string
	// Dynamic is the object's own dynamic setting, "" to inherit.
	Dynamic string
	// Properties are an object's fields.
	Properties map[string]*Field
	// Fields are multi-fields (e.g. a text field's "keyword").
	Fields map[string]*Field
	// Options holds every other mapping parameter (format, index,
	// ignore_above, analyzer, ...) as given.
	Options map[string]jsonx.RawMessage
}

// IsObject reports whether f maps an object (type object or nested), whose
// fields are its Properties.
func (f *Field) IsObject() bool {
	return f.Type == "" || f.Type == "object" || f.Type == "nested"
}

// KuzzleMeta returns the mapping Kuzzle adds to every collection under
// _kuzzle_info: author and updater as keywords, createdAt and updatedAt as
// dates. Each call returns a new value the caller may modify.
func KuzzleMeta() *Field {
	return &Field{Properties: map[string]*Field{
		"author":    {Type: "keyword"},
		"createdAt": {Type: "date"},
		"updater":   {Type: "keyword"},
		"updatedAt": {Type: "date"},
	}}
}

// ForCollection returns the mappings Kuzzle gives a new collection created
// with m (nil for none): dynamic defaults to DefaultDynamic and the
// _kuzzle_info mapping is added, replacing any the caller gave. m is not
// modified.
func ForCollection(m *Mappings) *Mappings {
	out := m.Clone()
	if out.Dynamic == "" {
		out.Dynamic = DefaultDynamic
	}
	return out.WithKuzzleMeta()
}

// WithKuzzleMeta returns a shallow copy of m whose properties include the
// _kuzzle_info mapping.
func (m *Mappings) WithKuzzleMeta() *Mappings {
	out := m.shallow()
	out.Properties[KuzzleMetaField] = KuzzleMeta()
	return out
}

// WithoutKuzzleMeta returns a shallow copy of m without the _kuzzle_info
// mapping, as collection:getMapping returns it unless includeKuzzleMeta is
// set.
func (m *Mappings) WithoutKuzzleMeta() *Mappings {
	out := m.shallow()
	delete(out.Properties, KuzzleMetaField)
	return out
}

// shallow copies m and its top-level property map; nil gives empty mappings.
func (m *Mappings) shallow() *Mappings {
	out := &Mappings{Properties: map[string]*Field{}}
	if m == nil {
		return out
	}
	out.Dynamic, out.Meta, out.DynamicTemplates = m.Dynamic, m.Meta, m.DynamicTemplates
	for name, f := range m.Properties {
		out.Properties[name] = f
	}
	return out
}

// Clone returns a deep copy of m; nil gives empty mappings.
func (m *Mappings) Clone() *Mappings {
	out := m.shallow()
	for name, f := range out.Properties {
		out.Properties[name] = f.Clone()
	}
	return out
}

// Clone returns a deep copy of f (raw option values are shared: they are
// never modified in place).
func (f *Field) Clone() *Field {
	if f == nil {
		return nil
	}
	out := &Field{Type: f.Type, Dynamic: f.Dynamic}
	out.Properties = cloneFields(f.Properties)
	out.Fields = cloneFields(f.Fields)
	if f.Options != nil {
		out.Options = make(map[string]jsonx.RawMessage, len(f.Options))
		for k, v := range f.Options {
			out.Options[k] = v
		}
	}
	return out
}

func cloneFields(in map[string]*Field) map[string]*Field {
	if in == nil {
		return nil
	}
	out := make(map[string]*Field, len(in))
	for k, v := range in {
		out[k] = v.Clone()
	}
	return out
}

// Lookup returns the mapping of the field at a dotted path ("user.name",
// or a multi-field such as "name.keyword"), nil when none is mapped.
func (m *Mappings) Lookup(path string) *Field {
	if m == nil {
		return nil
	}
	props := m.Properties
	var f *Field
	for path != "" {
		name, rest, _ := strings.Cut(path, ".")
		next := props[name]
		if next == nil && f != nil {
			next = f.Fields[name]
		}
		if next == nil {
			return nil
		}
		f, path = next, rest
		props = f.Properties
	}
	return f
}

// Fields calls fn for every leaf field of m (every field that is not an
// object or nested), multi-fields included, with its dotted path, in path
// order.
func (m *Mappings) Fields(fn func(path string, f *Field)) {
	if m == nil {
		return
	}
	walkLeaves("", m.Properties, fn)
}

func walkLeaves(prefix string, props map[string]*Field, fn func(string, *Field)) {
	for _, name := range sortedKeys(props) {
		f := props[name]
		path := prefix + name
		if f.IsObject() {
			walkLeaves(path+".", f.Properties, fn)
			continue
		}
		fn(path, f)
		walkLeaves(path+".", f.Fields, fn)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
