// Package connection owns the connection actors, one per MQTT client, and
// the registry actor that counts them.
//
// A connection actor is spawned when its client's CONNECT is accepted,
// under the name "conn/<connection id>" so that realtime can address it by
// id. It owns everything the server knows of its client beyond the socket:
// the realtime channels it was granted, which of them its client
// subscribed to (it alone decides whether a channel subscription is
// allowed, and makes the client a subscriber of the channel's actor before
// the SUBACK goes out), and its end: when the client disconnects it lives
// on for disconnectDelay — a mailbox timer, not a sleep — then leaves its
// rooms, tells the registry and stops. A client that reconnects within
// the delay gets a new connection, as in Kuzzle.
//
// Sessions is the MQTT listener's Handler: it spawns the actors, forwards
// requests to the dispatcher (answers go straight to the client through
// its mqtt.Reply) and subscription events to the actors.
//
// connection imports internal/mqtt, internal/api, actors/channel, actors/realtime/roommsg,
// actors/dispatcher and protoactor.
package connection
