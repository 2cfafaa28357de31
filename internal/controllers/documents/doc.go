// Package documents implements Kuzzle's storage API: the index,
// collection, document, bulk and admin controllers, with Kuzzle 2.56's
// arguments, results and errors, on a store.Store. It applies collection
// specifications (internal/validation) on every write and hands every
// change to a Notifier for Kuzzle's document notifications.
//
// Internal indexes (Kuzzle's names starting with "%") do not exist for
// these controllers: they are refused as unknown or invalid names.
//
// documents imports internal/api, internal/jsonx, internal/kerror,
// internal/store, internal/store/mapping, internal/store/query and
// internal/validation only.
package documents
