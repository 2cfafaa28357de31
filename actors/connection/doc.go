// Package connection owns the connection actors, one per MQTT client session,
// and the registry actor that watches them.
//
// A connection actor is spawned when the client's MQTT session is
// established. It writes the responses the dispatcher sends it to its
// client. When the client disconnects it lives on for disconnectDelay — a
// mailbox timer, not a sleep — then stops; the registry sees it go. A client
// that reconnects within the delay gets a new connection, as in Kuzzle.
//
// Sessions adapts the MQTT listener's session events to these actors.
// connection imports internal/mqtt, internal/api, actors/dispatcher and
// protoactor.
package connection
