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
// prefixes for anchored regexps, per-field sets for exists).
//
// Keywords: equals, exists, missing, in, ids, range, regexp, match, select,
// geoBoundingBox, geoDistance, geoDistanceRange, geoPolygon, and, or, not,
// bool (must, must_not, should, should_not), nothing, and the empty filter
// {} that matches everything. Starling also accepts term and terms as
// synonyms of equals and in.
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
