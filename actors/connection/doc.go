// Package connection owns the connection actors, one per MQTT client session,
// and the registry actor that watches them.
//
// A connection actor is spawned when the client's MQTT session is
// established, under the name "conn/<connection id>" so that realtime can
// address it by id. It owns the connection's realtime channels: which it was
// granted, which its client subscribed to, and it publishes a read-only copy
// of them for the MQTT side's subscription checks. When the client
// disconnects it lives on for disconnectDelay — a mailbox timer, not a
// sleep — then leaves its rooms and stops; the registry sees it go. A client
// that reconnects within the delay gets a new connection, as in Kuzzle.
//
// Sessions adapts the MQTT listener's session events to these actors: it
// forwards requests to the dispatcher (answers go straight to the client's
// queue) and channel subscriptions to the channel actors, before the SUBACK.
// connection imports internal/mqtt, internal/api, actors/channel,
// actors/dispatcher and protoactor.
package connection
