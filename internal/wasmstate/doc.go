// Package wasmstate keeps the per-module key/value state of Wasm guests
// (the state_get, state_set, state_delete and state_incr host functions of
// guests/README.md, ABI version 3) in Starling's document store.
//
// Every key is one document of the internal index "%wasm", collection
// "state", whose _id is the module name and the key's bytes in unpadded
// base64url (so that any key bytes are a valid id), and whose body holds
// the module, the key and the value (base64) and their size. The store
// acknowledges a write once it is durable, so state survives traps, reloads
// and restarts. Internal indexes (names starting with "%") do not exist for
// the API's controllers: clients can neither read nor write it.
//
// The bytes each module uses (keys and values) are counted at Open by
// reading the collection, then kept exact as writes commit: a write that
// grows a module's usage reserves the growth first, so concurrent writers
// never pass the quota together. Writes to one key are serialised by a
// mutex striped by module and key, which makes state_incr atomic on this
// node.
//
// wasmstate imports internal/jsonx, internal/kerror, internal/store,
// internal/store/mapping and internal/store/query only; it does not import
// wasmhost, whose State interface it satisfies with plain types.
package wasmstate
