// Package documents implements Kuzzle's storage API: the index,
// collection, document, bulk and admin controllers, with Kuzzle 2.56's
// arguments, results and errors, on a store.Store. It applies collection
// specifications (internal/validation) where Kuzzle 2.56 does: on
// document:create, createOrReplace, replace and update (the changes merged
// over the stored document); upsert, the m* writes and the bulk writes are
// not validated, as in Kuzzle. It hands every change to a Notifier for
// Kuzzle's document notifications; bulk:write and mWrite notify only with
// notify: true, bulk:import never.
//
// The m* actions and bulk:import write every document on its own: a
// refused one is reported in the answer's errors, with Kuzzle's per-item
// shapes ({document, reason, status}, mDelete's {_id, reason, status},
// import's Elasticsearch items), and never stops the others.
//
// Internal indexes (Kuzzle's names starting with "%") do not exist for
// these controllers: they are refused as unknown or invalid names. The
// only one, "%kuzzle", keeps the specifications in its "validations"
// collection, one document "<index>#<collection>" each, as Kuzzle does;
// LoadSpecifications reads them back at start, and ReloadSpecification
// reads one again when another node changed it. Deleting a collection or an
// index deletes its specifications (Kuzzle keeps them in storage, where
// they would apply again to a collection created under the same name).
//
// documents imports internal/api, internal/jsonx, internal/kerror,
// internal/store, internal/store/mapping, internal/store/query and
// internal/validation only.
package documents
