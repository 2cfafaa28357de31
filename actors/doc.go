// Package actors is the root of Starling's actor graph. Its subpackages each
// own one kind of actor; node assembles them with the MQTT listener.
//
// The message flow of an API request:
//
//	MQTT read goroutine ──Dispatch──▶ dispatcher ──job──▶ worker (runs the action)
//	        │     ▲                      ▲                   │
//	        │     └── immediate action ──┤                   │
//	        │         (Handoff)          └──── finished ─────┤
//	        ▼                                                ▼
//	  runs it itself ─────────────▶ client's bounded queue ──▶ MQTT client
//
// The dispatcher parses and validates payloads, enforces the concurrency
// limits and hands each action to a worker goroutine, so a slow action holds
// up nobody else; the worker encodes the answer once and queues it for the
// client, and answers may arrive in any order: clients match them by
// requestId. An action its controller declares immediate (never blocking,
// microseconds long: realtime:publish, server:now) is handed back to the
// read goroutine that sent it instead, sparing a wake-up of another thread.
// A connection actor lives from the MQTT session's start until
// disconnectDelay after its end and owns the connection's realtime
// subscriptions; channel actors fan notifications out to the same queues.
// Actor mailboxes run on pool, the one mailbox scheduler: a message to an
// idle actor is handled by the goroutine that sends it (an inline run,
// bounded), else by long-lived pool goroutines; connection and channel
// actors share a pool, and the dispatcher has a pool of its own.
//
// Dependencies run one way: cmd → actors → internal/*, actors → wasmhost,
// never back. Every package's doc comment states what it may import, and
// imports_test.go checks those rules; actors itself holds no code and
// imports nothing.
package actors
