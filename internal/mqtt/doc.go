// Package mqtt owns Starling's MQTT listener: a mochi-mqtt server and the
// hook that enforces Kuzzle's topic rules and turns MQTT events (session
// established, request published, client gone) into calls on Sessions.
//
// The topic rules, from Kuzzle's MQTT protocol:
//   - a publish on the request topic is an API request; it is never routed
//     to subscribers;
//   - with allowPubSub false, a publish on any other topic closes the
//     publisher's connection and is never delivered;
//   - with allowPubSub true, other topics work as on a plain broker, except
//     the response topic, whose publishers are disconnected;
//   - subscriptions to the request topic or with a wildcard are refused
//     with a SUBACK failure, and the connection stays open;
//   - a realtime channel's topic may be subscribed to only by a client whose
//     connection obtained that channel, and published on by nobody;
//   - responses go to the requesting client only, or, in development mode,
//     to every subscriber of the response topic.
//
// Realtime notifications do not go through mochi's topic routing: channel
// actors hand encoded PUBLISH packets to each subscriber's Peer.Deliver,
// which writes them at once when the socket takes them, else queues them in
// a bounded queue (outbox.go) written in batches.
//
// Accepted connections are sockConns (sockconn.go): reads and writes are
// raw system calls on the non-blocking socket, parked on the runtime's
// poller when they would block, so that a packet after an idle spell costs
// no wake-up of the runtime's monitor thread.
//
// mqtt knows nothing of actors: callers implement Sessions. It imports
// internal/config only.
package mqtt
