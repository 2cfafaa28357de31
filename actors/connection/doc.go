// Package connection owns the connection actors, one per MQTT or
// WebSocket client, and the registry actor that counts them.
//
// A connection actor is spawned when its client's CONNECT is accepted,
// under the name "conn/<connection id>" so that realtime can address it by
// id. It owns everything the server knows of its client beyond the socket:
// the realtime channels it was granted, which of them its client
// subscribed to (it alone decides whether a channel subscription is
// allowed, and makes the client a subscriber of the channel's actor before
// the SUBACK goes out; a client subscribing to a channel it was not granted
// has its session run realtime:join for it first, with its rights), and
// its end: when the client disconnects it lives
// on for disconnectDelay — a mailbox timer, not a sleep — then leaves its
// rooms, tells the registry and stops. A client that reconnects within
// the delay gets a new connection, as in Kuzzle.
//
// Sessions is the MQTT listener's Handler: it spawns the actors, forwards
// requests to the dispatcher (answers go straight to the client through
// its mqtt.Reply) and subscription events to the actors. It is the
// httpws.Handler too: a WebSocket client gets a connection actor like an
// MQTT one, except that it is made a subscriber of each channel as soon as
// it is granted (a Kuzzle WebSocket client sends no MQTT SUBSCRIBE), gets
// notifications as JSON with their room, and leaves its rooms as soon as
// it disconnects, as in Kuzzle; an HTTP request runs on a connection id
// of its own, without an actor.
//
// connection imports internal/mqtt, internal/httpws, internal/api, actors/channel, actors/realtime/roommsg,
// actors/dispatcher and protoactor.
package connection
