package mapping

import (
	"github.com/starlingmq/starling/internal/jsonx"
)

// MarshalJSON writes m as collection:getMapping returns it:
// {"_meta": ..., "dynamic": "...", "properties": {...}}, with _meta and
// dynamic left out when unset, dynamic_templates when given, and
// properties always present. Keys are sorted, so equal mappings give equal
// bytes.
func (m *Mappings) MarshalJSON() ([]byte, error) {
	return m.AppendJSON(nil), nil
}

// AppendJSON appends m's JSON form (see MarshalJSON) to dst.
func (m *Mappings) AppendJSON(dst []byte) []byte {
	if m == nil {
		return append(dst, `{"properties":{}}`...)
	}
	dst = append(dst, '{')
	if m.Meta != nil {
		dst = append(append(dst, `"_meta":`...), m.Meta...)
		dst = append(dst, ',')
	}
	if m.Dynamic != "" {
		dst = append(dst, `"dynamic":`...)
		dst = append(jsonx.AppendString(dst, m.Dynamic), ',')
	}
	if m.DynamicTemplates != nil {
		dst = append(append(dst, `"dynamic_templates":`...), m.DynamicTemplates...)
		dst = append(dst, ',')
	}
	dst = append(dst, `"properties":`...)
	dst = appendFields(dst, m.Properties)
	return append(dst, '}')
}

// UnmarshalJSON parses data with Parse, validations included.
func (m *Mappings) UnmarshalJSON(data []byte) error {
	parsed, err := Parse(data)
	if err != nil {
		return err
	}
	*m = *parsed
	return nil
}

// MarshalJSON writes f as Elasticsearch returns a field's mapping: type
// first (left out for an object), then its parameters, dynamic, fields and
// properties, keys sorted.
func (f *Field) MarshalJSON() ([]byte, error) {
	return appendField(nil, f), nil
}

func appendFields(dst []byte, fields map[string]*Field) []byte {
	dst = append(dst, '{')
	for i, name := range sortedKeys(fields) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(jsonx.AppendString(dst, name), ':')
		dst = appendField(dst, fields[name])
	}
	return append(dst, '}')
}

func appendField(dst []byte, f *Field) []byte {
	if f == nil {
		return append(dst, "{}"...)
	}
	dst = append(dst, '{')
	first := true
	key := func(k string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(jsonx.AppendString(dst, k), ':')
	}
	if f.Type != "" && f.Type != "object" {
		key("type")
		dst = jsonx.AppendString(dst, f.Type)
	}
	for _, name := range sortedKeys(f.Options) {
		key(name)
		dst = append(dst, f.Options[name]...)
	}
	if f.Dynamic != "" {
		key("dynamic")
		dst = jsonx.AppendString(dst, f.Dynamic)
	}
	if f.Fields != nil {
		key("fields")
		dst = appendFields(dst, f.Fields)
	}
	if f.Properties != nil {
		key("properties")
		dst = appendFields(dst, f.Properties)
	}
	if first && f.IsObject() {
		key("type")
		dst = append(dst, `"object"`...)
	}
	return append(dst, '}')
}
