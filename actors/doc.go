// Package actors is the root of Starling's actor graph. Its subpackages each
// own one kind of actor; node assembles them with the MQTT listener.
//
// The message flow of an API request:
//
//	MQTT read goroutine ──Dispatch──▶ dispatcher ──go action()──▶ worker
//	                                     ▲   │                      │
//	                                     │   └──Response (errors)─┐ │
//	                                  finished                    ▼ ▼
//	                                     └────────────────── connection ──▶ MQTT client
//
// The dispatcher parses and validates payloads, enforces the concurrency
// limits and hands each action to its own goroutine, so a slow action holds
// up nobody else; answers reach the connection actor in any order and the
// client matches them by requestId. A connection actor lives from the MQTT
// session's start until disconnectDelay after its end.
package actors
