// Package mapping owns collection mappings: Elasticsearch's mapping
// language as Kuzzle accepts it (dynamic true/false/strict, properties with
// keyword, text, integer, long, float, double, boolean, date, geo_point,
// object and nested), its validation with Kuzzle's errors, the merge of an
// update into existing mappings, and the check of a document against them
// (dynamic fields added, strict refusals, values of the wrong type).
//
// mapping imports internal/jsonx and internal/kerror only.
package mapping

import "github.com/starlingmq/starling/internal/jsonx"

// Mappings are one collection's mappings.
type Mappings struct {
	// Dynamic is "true", "false" or "strict"; "" means "true".
	Dynamic string
	// Meta is the raw _meta object, nil when absent.
	Meta jsonx.RawMessage
	// Properties maps field names to their mapping.
	Properties map[string]*Field
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
