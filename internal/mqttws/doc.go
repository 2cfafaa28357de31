// Package mqttws owns the MQTT over WebSocket listener, for browser MQTT
// clients such as MQTT.js: an HTTP server of its own that upgrades requests
// on one path (subprotocol "mqtt", or "mqttv3.1"), turns each WebSocket's
// binary messages into a byte stream (a packet may span messages, a message
// may hold several packets) and hands that stream to the MQTT server, so
// that every MQTT rule, bound and the connection actors apply unchanged.
//
// It bounds what a client may send before the MQTT server sees it: the
// upgrade request's headers (size and time) and each message's size.
//
// mqttws imports no package of the module: the MQTT server is reached
// through the Streams interface, which the composition root fills.
package mqttws
