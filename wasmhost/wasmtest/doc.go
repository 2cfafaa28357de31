// Package wasmtest runs one Wasm module outside the server, for
// `starling wasm run` and for Go tests of guests: it loads the module with
// wasmhost (its configuration given, its starling_init run), calls a
// controller action, a filter, a pipe or a hook with JSON given by the
// caller, answers the guest's API calls (starling.call) from mocks instead
// of a server, and keeps the module's state in memory.
//
// wasmtest imports wasmhost, internal/api, internal/jsonx and
// internal/kerror only; it must not import actors or anything that starts
// a server.
package wasmtest
