// Package mapping owns collection mappings: Elasticsearch 7's mapping
// language as Kuzzle 2.56 accepts it (dynamic true/false/strict, properties
// with keyword, text, integer, long, short, byte, float, double, half_float,
// scaled_float, boolean, date, geo_point, object and nested fields,
// multi-fields and per-type parameters), its validation with Kuzzle's
// errors, its JSON form as collection:getMapping returns it, the merge of an
// update into existing mappings (put-mapping rules), and the check of a
// document against them (values of the wrong type refused, unknown fields
// inferred, ignored or refused as dynamic says).
//
// Mappings are plain values: nothing here is safe for concurrent mutation,
// but a Mappings that nobody mutates may be read (Check, Lookup, Fields,
// MarshalJSON) from any number of goroutines.
//
// mapping imports internal/jsonx and internal/kerror only.
package mapping
