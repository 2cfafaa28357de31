// Package node assembles a running Starling server: the actor system, the
// request dispatcher, the connection registry, the API controllers and the
// MQTT listener, and takes them down in order on Shutdown.
//
// node imports the other actor packages, internal/* and wasmhost; nothing
// imports it but cmd/starling and tests.
package node
