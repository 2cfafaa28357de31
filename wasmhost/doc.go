// Package wasmhost runs sandboxed extensions written as WebAssembly modules:
// controllers that add actions to the API and filters that test documents.
//
// It owns the wazero runtimes, the on-disk compilation cache, one pool of
// instances per module (guests are not re-entrant, so each call takes an
// instance of its own), the host functions guests may import (module
// "starling": log, call, call_result, now), and the per-module limits: memory
// pages, a deadline per call, the size of a result, and the directories a
// guest may see. A guest that traps, panics, loops or exhausts its memory
// costs its caller a Kuzzle error and its instance a replacement; the host
// and every other guest go on.
//
// The guest ABI, version 2 (version 1 guests are still served), is
// documented in guests/README.md: a guest exports starling_abi_version,
// starling_alloc, starling_manifest and starling_handle and/or
// starling_filter; data crosses the boundary as JSON. One call into a guest
// is one call of its handler: the input buffer starling_alloc returned is
// kept and reused, and deadlines are enforced by one watchdog goroutine per
// Host rather than a timer per call.
//
// ABI 3 adds pipes and hooks on Kuzzle's API events (events.go, pipes.go,
// hooks.go): a module's manifest names the events, checked against the
// API's actions (Actions) and the Wasm controllers loaded; Host.Events gives
// the dispatcher, per controller:action, the modules whose pipes run around
// the action and whose hooks are queued after the answer. The event table is
// swapped atomically whenever a module is loaded or unloaded; with no module
// listening, Host.Events is one atomic load.
//
// Concurrency: a Host, its Modules and Filters are safe for concurrent use.
//
// wasmhost imports internal/api, internal/kerror and internal/jsonx only: no
// actor, no MQTT code and no metrics library. The server reaches it through
// small interfaces it satisfies (Caller, Registrar, Actions, and Observer, told of
// every call into a guest for the metrics), so that the dependency stays
// actors → wasmhost.
package wasmhost
