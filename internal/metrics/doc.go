// Package metrics exposes a Starling server's counters in Prometheus's text
// format, for GET /metrics.
//
// It owns its own registry (never Prometheus's global one), the request
// counters and latency histogram that the dispatcher feeds through a small
// interface, the notification counters the channel actors feed, the Wasm
// calls, errors and latency per module and kind that the Wasm host feeds
// through its Observer interface, and a
// collector that reads the server's existing counters (connections, rooms,
// subscriptions, refusals, store commits, each Wasm module's traps,
// instances, memory and quarantine, the Wasm hook events dropped) only when scraped, through a
// Source function the composition root supplies.
//
// metrics imports the standard library and
// github.com/prometheus/client_golang only: no actor, no MQTT code, no other
// package of the module. Nothing but the composition root (actors/node)
// imports it; the dispatcher, the channels and the Wasm host see it through
// interfaces of their own.
package metrics
