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
// Concurrency: a Host, its Modules and Filters are safe for concurrent use.
//
// wasmhost imports internal/api, internal/kerror and internal/jsonx only: no
// actor, no MQTT code and no metrics library. The server reaches it through
// small interfaces it satisfies (Caller, Registrar, and Observer, told of
// every call into a guest for the metrics), so that the dependency stays
// actors → wasmhost.
package wasmhost
