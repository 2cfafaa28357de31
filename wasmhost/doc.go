// Package wasmhost runs sandboxed extensions written as WebAssembly modules:
// controllers that add actions to the API and filters that test documents.
//
// It owns the wazero runtimes, the on-disk compilation cache, one pool of
// instances per module (guests are not re-entrant, so each call takes an
// instance of its own), the host functions guests may import (module
// "starling": log, call, call_result, now, state_*), and the per-module limits: memory
// pages, a deadline per call, the size of a result, and the directories a
// guest may see. A guest that traps, panics, loops or exhausts its memory
// costs its caller a Kuzzle error and its instance a replacement; the host
// and every other guest go on.
//
// Per module settings (ABI 3, Settings): a configuration the guest reads
// (host function config, starling_init's input), the API actions its calls
// may run (allowedActions), the hosts its outbound HTTP requests may reach
// (http_request, net/http with every URL, redirect and dial checked), and
// a sha256 pin of the file. starling_init runs once per module version
// before it is published; starling_tick runs on a timer, one call at a
// time, until the version retires. Reconfigure applies new settings and
// has Watch reload the modules they change.
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
// listening, Host.Events is one atomic load. Module.Pipe and Module.Hook run
// one module's pipe or hook on one event through the same code, for tools
// and tests (wasmtest, `starling wasm run`); a host without Actions (no
// server) accepts any well-formed event name.
//
// ABI 3 also adds per-module state (state_get, state_set, state_delete,
// state_incr), kept by a State the server supplies (internal/wasmstate, on
// the document store) within the module's stateQuota and stateValueSize.
// Every call into a module ends in one place (Module.recordCall), which
// feeds the module's statistics (Host.Stats: calls, errors, traps, p50/p99
// from a fixed-size histogram, instances and linear memory), the Observer,
// and the quarantine: a module whose calls trap or time out 5 times in a
// row is refused for 1 s, then 2 s, 4 s, … up to 5 minutes, until a call
// succeeds; a new version of its file starts afresh.
//
// Concurrency: a Host, its Modules and Filters are safe for concurrent use.
//
// wasmhost imports internal/api, internal/kerror and internal/jsonx only: no
// actor, no MQTT code and no metrics library. The server reaches it through
// small interfaces it satisfies (Caller, Registrar, State, Actions, and
// Observer, told of every call into a guest for the metrics), so that the dependency stays
// actors → wasmhost.
package wasmhost
