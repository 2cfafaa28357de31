// Package query owns the search languages of document:search and its
// siblings (count, deleteByQuery, updateByQuery): the Elasticsearch query
// DSL subset Kuzzle users write and Kuzzle's lang "koncorde", parsed into
// one tree of Nodes; the tree's evaluation against a document (Matches);
// its translation to SQL through a small Dialect (Where, OrderBy), with
// SQLiteDialect as the reference and PostgresDialect for JSONB; sort and search_after (Compare,
// SortValues), _source filtering (FilterSource) and aggregations computed
// in Go (Aggregate).
//
// Semantics are Elasticsearch 7's, as Kuzzle answers through it: a field
// holding an array matches when one element does; dotted paths reach into
// objects and arrays of objects; text fields (mapped "text", and string
// values of fields absent from the mappings, which Elasticsearch maps
// dynamically as text with a "keyword" sub-field) are analyzed by an
// approximation of the standard analyzer (lowercased, split on anything
// but letters and digits); keyword, numeric, date and boolean fields
// compare exact values. Documents are decoded with jsonx into
// map[string]any: numbers are float64. Dates are ISO 8601 strings or epoch
// milliseconds. Every match scores 1 (constant score).
//
// Lang "koncorde" is translated as Kuzzle's queryTranslator does (and, or,
// not become bool queries, equals a term, in a terms, missing a must_not
// exists...), so it has Elasticsearch's semantics too: it differs from the
// real-time filter engine on arrays, text fields, null values and
// coerced types, and agrees with it on scalar values of mapped fields.
//
// A search runs as: ParseSearch (or ParseQuery for count and the
// ByQuery actions) with the collection's mappings; Where for the SQL
// condition, then Matches on each row when it is not exact; OrderBy when
// the sort can be pushed down, else SortValues and Compare in Go (also
// for search_after); Aggregate over the matched documents; FilterSource
// on each returned hit.
//
// query imports internal/jsonx, internal/kerror, internal/koncorde and
// internal/store/mapping only.
package query
