// Package validation owns Kuzzle's collection specifications: the
// document validation rules a collection may declare (collection
// controller's *Specifications actions) and the checks every document
// write goes through against them (document:create, update, replace, ...,
// and document:validate).
//
// A specification is {strict, fields, validators}: fields maps a field
// path ("a" or "a/b" for nested fields) to {type, mandatory, defaultValue,
// description, multivalued: {value, minCount, maxCount}, typeOptions};
// validators is a list of Koncorde filters the whole document must match.
// Parse curates one as Kuzzle does when it loads specifications (first
// error wins); Check is collection:validateSpecifications (every error,
// Kuzzle's {valid, details, description} report). The built-in types are
// Kuzzle 2.56's: anything, boolean, date, email, enum, geo_point,
// geo_shape, integer, ip_address, numeric, object, string and url, with
// their type options, messages and error ids (validation.assert.*,
// validation.types.*, validation.check.*).
//
// Specification.Check and Specification.Verbose validate one document
// write: the first is Kuzzle's check before a write (defaults applied, or
// validation.check.failed_field / failed_document), the second is
// document:validate's {errorMessages, valid} report.
//
// Registry holds the specifications of every index and collection; it is
// read far more often than written, so readers take an immutable snapshot
// without locking. Nodes sharing one store tell each other of the changes
// of their registries (internal/coherence): another node's checks follow
// a change within one broadcast.
//
// Differences from Kuzzle, all deliberate: documents come decoded, so the
// field a strict specification reports first among several unexpected ones
// is the first in sorted order rather than in the document's order; field
// specifications with non-object typeOptions get
// validation.assert.unexpected_properties only, where Kuzzle sometimes adds
// a JavaScript TypeError's text; a null object field whose specification
// has children keeps its null (Kuzzle fails with a TypeError).
//
// validation imports internal/coherence, internal/jsonx, internal/kerror
// and internal/koncorde only.
package validation
