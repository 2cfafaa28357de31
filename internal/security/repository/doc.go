// Package repository keeps the security definitions — roles, profiles and
// users — in the store's internal index, where Kuzzle keeps them
// ("%kuzzle": "roles", "profiles", "users", with Kuzzle's mappings), and
// answers rights questions from memory: every role and profile is held in
// an immutable snapshot replaced on each change, and users are read through
// a bounded cache. Every change goes through a Repository, one at a time,
// which keeps the snapshot and the cache coherent with the store. Nodes
// sharing one store tell each other of their changes (coherence.go):
// another node's rights follow a change within one broadcast.
//
// At its first start on a store the repository writes Kuzzle's bootstrap
// definitions (the admin, default and anonymous roles and profiles, every
// role allowing everything), then a marker, so that a start interrupted
// halfway completes them the next time.
//
// It also keeps what must outlive a restart of the token manager: every
// live token in "tokens" (the JWT itself under its SHA-256 fingerprint, so
// that it can be registered again at start) and Kuzzle's API key
// documents in "api-keys" (userId, description, expiresAt, ttl and the
// fingerprint of the key's JWT, never the JWT).
//
// Definitions are validated by internal/security before they reach the
// repository; the repository checks what needs the store: that roles and
// profiles referenced exist, that one still in use is not deleted, that
// built-in ones are not deleted.
//
// repository imports internal/coherence, internal/jsonx, internal/kerror,
// internal/security, internal/store, internal/store/mapping and
// internal/store/query only.
package repository
