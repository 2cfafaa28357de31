// Package wasmtest runs one Wasm module outside the server, for
// `starling wasm run` and for Go tests of guests: it loads the module with
// wasmhost, calls a controller action or a filter with JSON given by the
// caller, and answers the guest's API calls (starling.call) from mocks
// instead of a server.
//
// wasmtest imports wasmhost, internal/api, internal/jsonx and
// internal/kerror only; it must not import actors or anything that starts
// a server.
package wasmtest
