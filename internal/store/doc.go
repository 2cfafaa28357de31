// Package store owns Starling's document store API: indexes, collections
// with their mappings and specifications, documents and their writes,
// searches and scrolls. It defines the Store interface the controllers use
// and the values that cross it; engines implement it (internal/store/sqlstore
// on SQL through a Dialect: internal/store/sqlite by default, or
// internal/store/postgres when storage.engine is "postgres").
//
// Errors that reach clients are *kerror.Error values with Kuzzle's ids
// (services.storage.*); any other error is an engine failure, reported as
// core.fatal.unexpected_error or services.storage.unexpected_error.
//
// Internal indexes (Kuzzle's names starting with "%") are stored like any
// other: refusing them to users is the controllers' job, not the store's.
//
// store imports internal/jsonx, internal/kerror, internal/store/mapping and
// internal/store/query only.
package store
