// Package koncorde is Starling's filter engine: a Go implementation of the
// filter language of Koncorde 4.7, the reverse-matching engine Kuzzle uses
// for its real-time subscriptions.
//
// It owns the whole filter life cycle: validation (malformed filters are
// rejected with Kuzzle's api.assert.koncorde_dsl_error carrying koncorde's
// own message), normalization to a canonical disjunctive normal form, the
// filter ids derived from it, storage per index and collection, and
// matching documents against every stored filter through per-operator
// indexes (hashed values for equals and in, a bucket grid and an interval
// tree for range, a hierarchical grid for the geo keywords, literal
// prefixes for anchored regexps, per-field sets for exists). Each term of
// a normal form is indexed under one of its positive conditions, the one
// that should hold least often; a document reaching it through that index
// has the term's other conditions tested directly, so conditions that many
// filters share cost nothing to documents that fail their rarer ones.
//
// Keywords: equals, exists, missing, in, ids, range, regexp, match, select,
// geoBoundingBox, geoDistance, geoDistanceRange, geoPolygon, and, or, not,
// bool (must, must_not, should, should_not), nothing, and the empty filter
// {} that matches everything. Starling also accepts term and terms as
// synonyms of equals and in.
//
// Keyword wasm (Starling's, unknown to koncorde): an external filter,
// enabled by WithExternalFilters and otherwise rejected as an unknown
// keyword.
//
//	{"wasm": {"module": "geo", "filter": "inZone", "args": {"zone": 3}}}
//
// module and filter are non-empty strings, args any JSON value (null when
// absent); no other property is allowed. The filter is resolved through
// ExternalFilters.Resolve when the filter holding it is validated or
// normalized (a resolution error rejects it); its canonical form, hence
// the filter id, includes module, filter and args with sorted keys. It
// combines with every other keyword, inside and, or, not, bool and select
// queries. It is a residual condition, like negations: the engine calls
// ExternalFilter.Test with the document's JSON only for terms whose
// positive conditions all hold (or that have none), after the term's
// other residual conditions. An error or a panic of Test counts as no
// match: the term holding the condition fails, whether the condition is
// negated or not.
//
// Two limits bound what one filter may cost, both off unless set:
// WithMaxConditions (conditions once in and ids are expanded, refused as
// koncorde does) and WithMaxMinterms (terms of the normal form, refused as
// core.realtime.too_many_terms). The minterms are counted from the tree,
// not by expanding it: an and of forty two-way ors is refused after a walk
// of its eighty conditions, not after 2^40 terms.
//
// Documents given as JSON (TestJSON, ParseDocument) are read in one pass
// over their bytes, without decoding into maps; their values are those of
// the decoded document (numbers are float64, a duplicate key keeps its
// last value), and they may not nest deeper than MaxDepth.
//
// Differences from koncorde, all deliberate: "not" around a geo keyword
// nested in and/or (koncorde: "geospatial": unknown keyword), around
// "nothing" or around "select" (koncorde fails at storage) are accepted and
// mean what they say; regexp flags g and y do not make matching stateful;
// geo matching of one field never stops nor crashes on another field's
// value; koncorde's string-keyed "not equals" pruning (1 versus "1") is not
// copied.
//
// The package is a pure library: it must not import actors, MQTT code nor
// any other Starling package than internal/kerror and internal/jsonx.
package koncorde
