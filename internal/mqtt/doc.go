// Package mqtt owns Starling's MQTT transport: the listener, one Conn per
// client socket, the protocol state of each client (CONNECT, keepalive,
// acknowledgements, MQTT 5 properties), the bounded outbound queue every
// packet to a client goes through, and plain publish/subscribe with its
// retained messages. It moves bytes and events: each client's session
// belongs to a Handler (the connection actors), which decides what the
// client may subscribe to among the realtime channels. The listener
// speaks plain TCP, or TLS when Config.TLS is set.
//
// The topic rules, from Kuzzle's MQTT protocol, applied to every message a
// client can cause (a PUBLISH, its will, a retained message):
//   - a publish on the request topic is an API request; it is never routed
//     to subscribers, and no will may name it;
//   - with allowPubSub false, a publish on any other topic closes the
//     publisher's connection and is never delivered, and a will on any
//     topic is refused at CONNECT (CONNACK 0x05, 0x87 for MQTT 5);
//   - with allowPubSub true, other topics work as on a plain broker
//     (delivered at QoS 0, retained messages bounded in count and bytes),
//     except the response topic, realtime channels and $ topics, whose
//     publishers are disconnected and wills refused;
//   - subscriptions to the request topic, with a wildcard or shared are
//     refused with a SUBACK failure, and the connection stays open;
//   - a realtime channel's topic may be subscribed to only when the
//     session says so;
//   - answers go to the requesting client only (on the MQTT 5 Response
//     Topic it named, with its Correlation Data, when it did), or, in
//     development mode, to every subscriber of the response topic.
//
// Nothing a client does can make the server hold unbounded memory or wait
// on its socket: inbound packets are capped (MaxPacketSize), requests in
// flight are capped per client (the client is not read past them),
// outbound queues are capped per client and in total (past them the client
// is disconnected), every write has a deadline, silent clients time out,
// and the number of clients is capped. Outbound packets respect the
// client's MQTT 5 Maximum Packet Size.
//
// Each socket has one goroutine, which waits on the runtime's poller
// holding no buffer (sockconn.go reads with raw system calls into a pooled
// buffer taken once bytes are there). Writes are made by whoever delivers
// a packet: at once when the socket takes it, else by a writer goroutine
// that exists only while the queue is not empty. A stream that is no raw
// socket (MQTT over WebSocket, handed over by Serve) is always written by
// that writer goroutine: whether it would block is not known.
//
// mqtt knows nothing of actors. It imports internal/api and
// internal/kerror (to answer requests it refuses itself) and mochi's packet
// codec.
package mqtt
